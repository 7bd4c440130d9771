import { describe, expect, test } from "bun:test";
import { encodeJsonLine, JsonLinesDecoder, LineTooLongError, type JsonLine } from "../../src/util/json-lines.ts";
import { readFixture } from "./load-fixture.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

/** Feeds the chunks in order, then ends the input; returns every line decoded. */
function decodeChunks(chunks: Array<Uint8Array | string>): JsonLine[] {
  const decoder = new JsonLinesDecoder();
  const lines: JsonLine[] = [];
  for (const chunk of chunks) lines.push(...decoder.push(chunk));
  lines.push(...decoder.end());
  return lines;
}

/** Splits the UTF-8 bytes of `text` at the given byte offsets. */
function splitBytes(text: string, offsets: number[]): Uint8Array[] {
  const all = bytes(text);
  const points = [0, ...offsets, all.length];
  return points.slice(1).map((end, index) => all.subarray(points[index], end));
}

const json = (value: unknown): JsonLine => ({ kind: "json", value });

describe("JsonLinesDecoder chunk boundaries", () => {
  // "é" is 2 bytes, "€" 3 bytes, "😀" 4 bytes (a surrogate pair in JS).
  const cases: Array<{ name: string; chunks: Array<Uint8Array | string>; expected: JsonLine[] }> = [
    { name: "split inside the 2-byte é", chunks: splitBytes('{"t":"café"}\n', [10]), expected: [json({ t: "café" })] },
    { name: "split after the first byte of the 3-byte €", chunks: splitBytes('{"t":"5€"}\n', [8]), expected: [json({ t: "5€" })] },
    { name: "split after the second byte of the 3-byte €", chunks: splitBytes('{"t":"5€"}\n', [9]), expected: [json({ t: "5€" })] },
    { name: "emoji split into 4 one-byte chunks", chunks: splitBytes('{"t":"😀"}\n', [7, 8, 9]), expected: [json({ t: "😀" })] },
    { name: "\\r\\n inside one chunk", chunks: ['{"a":1}\r\n{"b":2}\r\n'], expected: [json({ a: 1 }), json({ b: 2 })] },
    { name: "\\r at the end of a chunk, \\n in the next", chunks: ['{"a":1}\r', '\n{"b":2}\r', "\n"], expected: [json({ a: 1 }), json({ b: 2 })] },
    { name: "\\r\\n split across byte chunks", chunks: splitBytes('{"a":"é"}\r\n', [11]), expected: [json({ a: "é" })] },
    { name: "blank and whitespace-only lines are skipped", chunks: ['\n\n{"a":1}\n  \n\r\n\t\n{"b":2}\n\n'], expected: [json({ a: 1 }), json({ b: 2 })] },
    { name: "no trailing newline: end() returns the last line", chunks: ['{"a":1}\n{"b":2}'], expected: [json({ a: 1 }), json({ b: 2 })] },
    { name: "no trailing newline, last line ends in \\r", chunks: ['{"a":1}\r'], expected: [json({ a: 1 })] },
    { name: "no trailing newline, last character split mid-byte", chunks: splitBytes('{"t":"€"}', [7, 8]), expected: [json({ t: "€" })] },
    {
      name: "a non-JSON line between valid ones is reported, not dropped",
      chunks: ['{"a":1}\nWarning: something odd\n{"b":2}\n'],
      expected: [json({ a: 1 }), { kind: "invalid", line: "Warning: something odd" }, json({ b: 2 })],
    },
    { name: "a truncated JSON line is invalid and keeps its text", chunks: ['{"a":\r\n'], expected: [{ kind: "invalid", line: '{"a":' }] },
    { name: "JSON scalars are values too", chunks: ["1\nnull\n\"s\"\n"], expected: [json(1), json(null), json("s")] },
    { name: "an empty input yields nothing", chunks: [], expected: [] },
  ];

  for (const { name, chunks, expected } of cases) {
    test(name, () => {
      expect(decodeChunks(chunks)).toEqual(expected);
    });
  }

  test("many lines in one chunk come out in order, in one push", () => {
    const text = Array.from({ length: 200 }, (_, index) => JSON.stringify({ index })).join("\n") + "\n";
    const decoder = new JsonLinesDecoder();
    const lines = decoder.push(bytes(text));
    expect(lines.map((line) => (line.kind === "json" ? (line.value as { index: number }).index : -1))).toEqual(
      Array.from({ length: 200 }, (_, index) => index),
    );
    expect(decoder.end()).toEqual([]);
  });

  test("push returns only completed lines; the partial one waits for its newline", () => {
    const decoder = new JsonLinesDecoder();
    expect(decoder.push('{"a":1}\n{"b"')).toEqual([json({ a: 1 })]);
    expect(decoder.push(":2")).toEqual([]);
    expect(decoder.push("}\n")).toEqual([json({ b: 2 })]);
    expect(decoder.end()).toEqual([]);
  });

  test("end() twice does not repeat the last line", () => {
    const decoder = new JsonLinesDecoder();
    decoder.push('{"a":1}');
    expect(decoder.end()).toEqual([json({ a: 1 })]);
    expect(decoder.end()).toEqual([]);
  });
});

describe("JsonLinesDecoder on a real transcript line split at every byte", () => {
  // The result line of a recorded 529 run: its message holds an em dash (3 bytes in UTF-8).
  const transcript = readFixture("error-529-maxretries0.out");
  const line = transcript.split("\n").find((candidate) => candidate.includes('"type":"result"'))!;
  const expected = JSON.parse(line);
  const lineBytes = bytes(line + "\n");

  test("the chosen line contains a multi-byte character", () => {
    expect(lineBytes.length).toBeGreaterThan(line.length);
  });

  test("every single split point decodes to the same value", () => {
    for (let offset = 1; offset < lineBytes.length; offset++) {
      const decoded = decodeChunks([lineBytes.subarray(0, offset), lineBytes.subarray(offset)]);
      if (decoded.length !== 1 || decoded[0].kind !== "json") throw new Error(`split at byte ${offset} gave ${JSON.stringify(decoded)}`);
      expect(decoded[0].value).toEqual(expected);
    }
  });

  test("one-byte chunks decode to the same value", () => {
    const chunks = Array.from(lineBytes, (_, index) => lineBytes.subarray(index, index + 1));
    expect(decodeChunks(chunks)).toEqual([json(expected)]);
  });

  test("the whole transcript in 7-byte chunks gives every message", () => {
    const all = bytes(transcript);
    const chunks: Uint8Array[] = [];
    for (let offset = 0; offset < all.length; offset += 7) chunks.push(all.subarray(offset, offset + 7));
    const decoded = decodeChunks(chunks);
    expect(decoded.every((entry) => entry.kind === "json")).toBe(true);
    expect(decoded.map((entry) => (entry.kind === "json" ? (entry.value as { type: string }).type : ""))).toEqual(["system", "assistant", "result"]);
  });
});

describe("encodeJsonLine", () => {
  test("writes one line that the decoder reads back", () => {
    const value = { type: "user", message: { content: "line1\nline2 é" } };
    const encoded = encodeJsonLine(value);
    expect(encoded.endsWith("\n")).toBe(true);
    expect(encoded.indexOf("\n")).toBe(encoded.length - 1);
    expect(decodeChunks([encoded])).toEqual([json(value)]);
  });
});

describe("JsonLinesDecoder line limit", () => {
  test("a line longer than the limit fails as soon as it is longer, newline or not", () => {
    const decoder = new JsonLinesDecoder({ maxLineLength: 100 });
    expect(decoder.push('{"a":1}\n')).toEqual([{ kind: "json", value: { a: 1 } }]);
    decoder.push("x".repeat(60));
    expect(() => decoder.push("x".repeat(60))).toThrow(LineTooLongError);
    const complete = new JsonLinesDecoder({ maxLineLength: 100 });
    expect(() => complete.push(`${"y".repeat(150)}\n{"b":2}\n`)).toThrow(LineTooLongError);
  });

  test("lines up to the limit pass, also when their newline comes in a later chunk", () => {
    const decoder = new JsonLinesDecoder({ maxLineLength: 20 });
    const line = JSON.stringify({ text: "a".repeat(8) });
    expect(decoder.push(line.slice(0, 5))).toEqual([]);
    expect(decoder.push(line.slice(5))).toEqual([]);
    expect(decoder.push("\n" + line + "\n")).toEqual([
      { kind: "json", value: { text: "aaaaaaaa" } },
      { kind: "json", value: { text: "aaaaaaaa" } },
    ]);
  });
});
