import { describe, expect, test } from "bun:test";
import { encodeSseFrame } from "../../src/server/sse.ts";
import { decodeSseStream, SseDecoder, type SseEvent } from "../../src/wire/sse-decoder.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

/** Decodes `input` fed in the given chunks (byte offsets), so boundaries land exactly where a test wants them. */
function decodeSplitAt(input: string, cuts: number[]): SseEvent[] {
  const all = bytes(input);
  const decoder = new SseDecoder();
  const events: SseEvent[] = [];
  let start = 0;
  for (const cut of [...cuts, all.length]) {
    events.push(...decoder.push(all.slice(start, cut)));
    start = cut;
  }
  return [...events, ...decoder.end()];
}

/** Every way of cutting `input` into two chunks gives the same events as one chunk. */
function everySplitDecodesTo(input: string, expected: SseEvent[]): void {
  const length = bytes(input).length;
  for (let cut = 0; cut <= length; cut++) expect(decodeSplitAt(input, [cut])).toEqual(expected);
  // And byte by byte.
  expect(decodeSplitAt(input, Array.from({ length }, (_, index) => index))).toEqual(expected);
}

describe("SseDecoder: chunk boundaries", () => {
  const cases: Array<[string, string, SseEvent[]]> = [
    ["two named events", 'event: a\ndata: {"x":1}\n\nevent: b\ndata: 2\n\n', [{ event: "a", data: '{"x":1}' }, { event: "b", data: "2" }]],
    ["a multi-byte character split anywhere", "data: h\u00e9llo \u{1F600} \u4e16\n\n", [{ data: "h\u00e9llo \u{1F600} \u4e16" }]],
    ["\\r\\n line endings", "event: a\r\ndata: 1\r\n\r\ndata: 2\r\n\r\n", [{ event: "a", data: "1" }, { data: "2" }]],
    ["bare \\r line endings", "data: 1\r\rdata: 2\r\r", [{ data: "1" }, { data: "2" }]],
    ["no trailing blank line", "data: last", [{ data: "last" }]],
    ["no trailing blank line after a newline", "data: last\n", [{ data: "last" }]],
    ["comments are skipped", ": keepalive\n\ndata: 1\n: between\n\n", [{ data: "1" }]],
    ["several data lines join with a newline", "data: one\ndata: two\ndata:\ndata:  three\n\n", [{ data: "one\ntwo\n\n three" }]],
    ["a field without a colon and unknown fields", "data\nfoo: bar\n\n", [{ data: "" }]],
    ["id and retry", "id: 7\nretry: 1500\ndata: x\n\nretry: soon\ndata: y\n\n", [{ data: "x", id: "7", retry: 1500 }, { data: "y", id: "7" }]],
    ["an event without data is not dispatched", "event: ping\n\ndata: 1\n\n", [{ data: "1" }]],
  ];
  for (const [name, input, expected] of cases) {
    test(name, () => everySplitDecodesTo(input, expected));
  }

  test("a \\r at the end of one chunk and \\n at the start of the next is one line ending, not two", () => {
    // Two line endings would make a blank line and dispatch the event early, splitting its data.
    expect(decodeSplitAt("data: a\r\ndata: b\r\n\r\n", [8])).toEqual([{ data: "a\nb" }]);
    expect(decodeSplitAt("data: a\r\ndata: b\r\n\r\n", [8, 8, 9])).toEqual([{ data: "a\nb" }]);
  });
});

describe("SseDecoder with the encoder", () => {
  test("what the relay encodes decodes to the same frames", () => {
    const encoded = [
      encodeSseFrame({ event: "message_start", data: { type: "message_start", text: "line one\nline two" } }),
      encodeSseFrame({ comment: "keepalive" }),
      encodeSseFrame({ data: "[DONE]" }),
    ];
    const decoder = new SseDecoder();
    const events = [...encoded.flatMap((chunk) => decoder.push(chunk)), ...decoder.end()];
    expect(events).toEqual([{ event: "message_start", data: JSON.stringify({ type: "message_start", text: "line one\nline two" }) }, { data: "[DONE]" }]);
  });

  test("decodeSseStream reads a fetch-style body", async () => {
    const body = new Response("data: 1\n\ndata: 2").body!;
    const events: SseEvent[] = [];
    for await (const event of decodeSseStream(body)) events.push(event);
    expect(events).toEqual([{ data: "1" }, { data: "2" }]);
  });
});
