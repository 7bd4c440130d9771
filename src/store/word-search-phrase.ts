/** The length of the prefixes the word index holds (`prefix='4'` in migrations.ts). */
const prefixLength = 4;

/**
 * Free text is a substring search; a whole-word index cannot answer it exactly, but it can narrow it down
 * fast. This turns the text into an FTS5 phrase for the `unicode61` index that every row containing the text
 * matches (a pre-filter: the substring match still checks each row it finds).
 *
 * - The text may start inside a word ("odule 42" is found in "module 42"): a first word that touches the start
 *   is dropped.
 * - It may end inside one ("module 4242" is found in "module 42421"): a last word that touches the end becomes
 *   its first four characters as a prefix (`"... 4242"*`), which the index's prefix index answers from one
 *   list; a shorter one is dropped (a prefix the prefix index does not hold makes FTS5 merge the lists of every
 *   word it stands for).
 * - Every word in between is a whole token, and the tokens follow each other in the row.
 *
 * Only ASCII text: there `unicode61` splits exactly on what is not a letter or a digit, and its case folding
 * is plain ASCII lower case, the same as the substring match's. The phrase is only worth it with a word of at
 * least four characters left (shorter words and prefixes have lists as long as the trigrams'); otherwise the
 * answer is undefined and the trigram index answers alone.
 */
export function wordSearchPhrase(text: string): string | undefined {
  if (!/^[\x20-\x7e]*$/.test(text)) return undefined;
  const words: string[] = text.toLowerCase().match(/[a-z0-9]+/g) ?? [];
  if (/^[a-z0-9]/i.test(text)) words.shift();
  let prefix = false;
  if (/[a-z0-9]$/i.test(text) && words.length > 0) {
    const last = words.pop()!;
    prefix = last.length >= prefixLength;
    if (prefix) words.push(last.slice(0, prefixLength));
  }
  if (!words.some((word) => word.length >= 4)) return undefined;
  return `"${words.join(" ")}"${prefix ? "*" : ""}`;
}
