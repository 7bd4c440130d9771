/**
 * Edits the top-level "model" value of a JSON request body in place, byte for byte: everything else (key
 * order, whitespace, number spelling, escapes, fields we do not know) stays exactly as the client sent it,
 * which a parse-and-serialise round trip cannot promise. Used by the passthrough paths.
 */

const quote = 0x22;
const backslash = 0x5c;
const openBrace = 0x7b;
const closeBrace = 0x7d;
const openBracket = 0x5b;
const closeBracket = 0x5d;
const colon = 0x3a;
const comma = 0x2c;

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

/** The span of the top-level "model" value (a JSON string, quotes included), or undefined. */
export function findTopLevelModel(body: Uint8Array): { start: number; end: number; value: string } | undefined {
  let position = skipWhitespace(body, 0);
  if (body[position] !== openBrace) return undefined;
  position++;
  while (position < body.length) {
    position = skipWhitespace(body, position);
    if (body[position] === closeBrace) return undefined;
    if (body[position] !== quote) return undefined;
    const keyEnd = endOfString(body, position);
    const key = textDecoder.decode(body.subarray(position + 1, keyEnd - 1));
    position = skipWhitespace(body, keyEnd);
    if (body[position] !== colon) return undefined;
    position = skipWhitespace(body, position + 1);
    const valueStart = position;
    const valueEnd = endOfValue(body, position);
    if (key === "model" && body[valueStart] === quote) {
      return { start: valueStart, end: valueEnd, value: JSON.parse(textDecoder.decode(body.subarray(valueStart, valueEnd))) as string };
    }
    position = skipWhitespace(body, valueEnd);
    if (body[position] === comma) position++;
  }
  return undefined;
}

/** The body with its top-level "model" replaced (or the body itself when the value is already that). */
export function replaceJsonModel(body: Uint8Array, model: string): Uint8Array {
  const found = findTopLevelModel(body);
  if (!found) throw new Error("the request body has no top-level model string");
  if (found.value === model) return body;
  const replacement = textEncoder.encode(JSON.stringify(model));
  const result = new Uint8Array(body.length - (found.end - found.start) + replacement.length);
  result.set(body.subarray(0, found.start), 0);
  result.set(replacement, found.start);
  result.set(body.subarray(found.end), found.start + replacement.length);
  return result;
}

function skipWhitespace(body: Uint8Array, position: number): number {
  while (position < body.length && (body[position] === 0x20 || body[position] === 0x0a || body[position] === 0x0d || body[position] === 0x09)) position++;
  return position;
}

/** The index just past the closing quote of the string starting at `position`. */
function endOfString(body: Uint8Array, position: number): number {
  let index = position + 1;
  while (index < body.length) {
    if (body[index] === backslash) index += 2;
    else if (body[index] === quote) return index + 1;
    else index++;
  }
  return body.length;
}

/** The index just past the value starting at `position` (string, object, array or scalar). */
function endOfValue(body: Uint8Array, position: number): number {
  if (body[position] === quote) return endOfString(body, position);
  if (body[position] === openBrace || body[position] === openBracket) {
    let depth = 0;
    let index = position;
    while (index < body.length) {
      const byte = body[index];
      if (byte === quote) {
        index = endOfString(body, index);
        continue;
      }
      if (byte === openBrace || byte === openBracket) depth++;
      else if (byte === closeBrace || byte === closeBracket) {
        depth--;
        if (depth === 0) return index + 1;
      }
      index++;
    }
    return body.length;
  }
  let index = position;
  while (index < body.length && body[index] !== comma && body[index] !== closeBrace && body[index] !== 0x20 && body[index] !== 0x0a && body[index] !== 0x0d && body[index] !== 0x09) index++;
  return index;
}
