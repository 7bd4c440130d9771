import { describe, expect, test } from "bun:test";
import { SseEventDecoder, type SseEvent } from "../../../src/backends/anthropic/sse-event-decoder.ts";

function decodeInPieces(text: string, cuts: number[]): SseEvent[] {
  const bytes = new TextEncoder().encode(text);
  const decoder = new SseEventDecoder();
  const events: SseEvent[] = [];
  let offset = 0;
  for (const cut of [...cuts, bytes.length]) {
    events.push(...decoder.push(bytes.subarray(offset, cut)));
    offset = cut;
  }
  return [...events, ...decoder.end()];
}

const stream = 'event: content_block_delta\r\ndata: {"text":"h\u00e9"}\r\n\r\n: keepalive\n\nevent: ping\ndata: a\ndata: b\n\ndata: last';
const expected: SseEvent[] = [
  { event: "content_block_delta", data: '{"text":"h\u00e9"}' },
  { event: "ping", data: "a\nb" },
  { event: "message", data: "last" },
];

describe("SseEventDecoder", () => {
  const byteLength = new TextEncoder().encode(stream).length;
  test("whole", () => expect(decodeInPieces(stream, [])).toEqual(expected));
  test("every split point (inside é, between CR and LF, inside field names)", () => {
    for (let cut = 1; cut < byteLength; cut++) expect(decodeInPieces(stream, [cut])).toEqual(expected);
  });
  test("one byte at a time", () => expect(decodeInPieces(stream, Array.from({ length: byteLength - 1 }, (_, index) => index + 1))).toEqual(expected));
  test("CR alone ends lines too", () => expect(decodeInPieces("data: x\r\rdata: y\r\r", [])).toEqual([{ event: "message", data: "x" }, { event: "message", data: "y" }]));
});
