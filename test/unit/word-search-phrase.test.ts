import { describe, expect, test } from "bun:test";
import { wordSearchPhrase } from "../../src/store/word-search-phrase.ts";

describe("wordSearchPhrase", () => {
  const cases: Array<[text: string, phrase: string | undefined, why: string]> = [
    ["module 9999", '"9999"*', "the first word may start inside a word, the last may go on"],
    ["module 99991", '"9999"*', "a last word longer than the index's prefixes is cut to four characters"],
    ["refactor the parser module", '"the parser modu"*', "middle words are whole tokens, in order"],
    ["Refactor THE Parser", '"the pars"*', "lower case, as unicode61 folds ASCII"],
    [" parser module ", '"parser module"', "text that starts and ends at a separator keeps both words whole"],
    ["ctor, parser; module", '"parser modu"*', "punctuation separates tokens like a space"],
    ["add logging to", '"logging"', "a last word shorter than the index's prefixes is dropped"],
    ["add logging tes", '"logging"', "three characters are still too short for a prefix"],
    ["the modu", '"modu"*', "a four-character prefix alone is enough"],
    ["req_00abc123", '"00ab"*', "an id: the underscore separates"],
    ["module 42", undefined, "no word of four characters left: the trigram index answers"],
    ["logging", undefined, "a single word may start inside a word: nothing is left"],
    ["in the a", undefined, "only short words"],
    ["prüfe die Änderung", undefined, "non-ASCII text: the trigram index answers"],
    ["tab\tseparated words", undefined, "control characters are left to the trigram index"],
    ['say "quoted words" here', '"quoted words here"*', "double quotes never reach the FTS5 expression"],
    ['say "quoted words" 50%', '"quoted words 50"', "the last word is whole when the text ends at a separator"],
    ["", undefined, "empty"],
  ];
  for (const [text, phrase, why] of cases) {
    test(`${JSON.stringify(text)}: ${why}`, () => {
      expect(wordSearchPhrase(text)).toBe(phrase);
    });
  }
});
