import { describe, expect, test } from "bun:test";
import { wordSearchPhrase } from "../../src/store/word-search-phrase.ts";

describe("wordSearchPhrase", () => {
  const cases: Array<[text: string, phrase: string | undefined, why: string]> = [
    ["module 9999", '"9999"*', "the first word may start inside a word, the last may go on"],
    ["refactor the parser module", '"the parser module"*', "middle words are whole tokens, in order"],
    ["Refactor THE Parser", '"the parser"*', "lower case, as unicode61 folds ASCII"],
    [" parser module ", '"parser module"', "text that starts and ends at a separator keeps both words whole"],
    ["ctor, parser; module", '"parser module"*', "punctuation separates tokens like a space"],
    ["add logging to", '"logging"', "a last word shorter than three characters is dropped, not made a prefix"],
    ["add logging tes", '"logging tes"*', "a last word of three characters stays a prefix"],
    ["req_00abc123", '"00abc123"*', "an id: the underscore separates"],
    ["module 42", undefined, "no word of four characters left: the trigram index answers"],
    ["logging", undefined, "a single word may start inside a word: nothing is left"],
    ["in the a", undefined, "only short words"],
    ["prüfe die Änderung", undefined, "non-ASCII text: the trigram index answers"],
    ["tab\tseparated words", undefined, "control characters are left to the trigram index"],
    ['say "quoted words" here', '"quoted words here"*', "double quotes never reach the FTS5 expression"],
    ["", undefined, "empty"],
  ];
  for (const [text, phrase, why] of cases) {
    test(`${JSON.stringify(text)}: ${why}`, () => {
      expect(wordSearchPhrase(text)).toBe(phrase);
    });
  }
});
