/**
 * Line numbers for messages about a YAML file. Bun's YAML parser returns plain values without positions,
 * so the line of a key is found by walking the text's block mappings by indentation; flow collections and
 * list items are reported at the line of the key that holds them.
 */

interface KeyLine {
  indent: number;
  key: string;
  line: number;
}

function unquote(key: string): string {
  const trimmed = key.trim();
  if ((trimmed.startsWith('"') && trimmed.endsWith('"')) || (trimmed.startsWith("'") && trimmed.endsWith("'"))) return trimmed.slice(1, -1);
  return trimmed;
}

/** Every "key:" of a block mapping, with its indentation and 1-based line. */
function keyLines(text: string): KeyLine[] {
  const found: KeyLine[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.replace(/\s+#.*$/, "");
    const match = /^(\s*)(?:-\s+)?("[^"]*"|'[^']*'|[^\s#'"][^:#]*?)\s*:(\s|$)/.exec(line);
    if (match) found.push({ indent: match[1].length, key: unquote(match[2]), line: index + 1 });
  });
  return found;
}

/** The 1-based line of a key path such as ["providers", "openrouter", "type"]; the deepest found prefix otherwise. */
export function lineOfKey(text: string, path: string[]): number | undefined {
  const keys = keyLines(text);
  let best: number | undefined;
  let from = 0;
  let parentIndent = -1;
  for (const segment of path) {
    let index = from;
    let hit: KeyLine | undefined;
    for (; index < keys.length; index++) {
      const candidate = keys[index];
      if (candidate.indent <= parentIndent) break;
      if (candidate.key === segment) {
        hit = candidate;
        break;
      }
    }
    if (!hit) return best;
    best = hit.line;
    parentIndent = hit.indent;
    from = index + 1;
  }
  return best;
}

/** The 1-based line of the first occurrence of a string, if any. */
export function lineOfText(text: string, needle: string): number | undefined {
  const index = text.indexOf(needle);
  return index < 0 ? undefined : text.slice(0, index).split("\n").length;
}

/**
 * The line a YAML syntax error is on: the first line from which every longer prefix of the file fails to
 * parse (a prefix that fails only because a bracket opened on it closes later does not count).
 */
export function lineOfSyntaxError(text: string, parse: (text: string) => unknown): number | undefined {
  const lines = text.split("\n");
  let firstBad: number | undefined;
  for (let count = lines.length; count >= 1; count--) {
    try {
      parse(lines.slice(0, count).join("\n"));
      break;
    } catch {
      firstBad = count;
    }
  }
  return firstBad;
}
