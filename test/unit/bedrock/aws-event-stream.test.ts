import { describe, expect, test } from "bun:test";
import { AwsEventStreamError, decodeAwsEventStream, decodeAwsEventStreamMessage, encodeAwsEventStreamMessage } from "../../../src/backends/bedrock/aws-event-stream.ts";

async function* chunksOf(bytes: Uint8Array, sizes: number[]): AsyncGenerator<Uint8Array> {
  let offset = 0;
  for (const size of sizes) {
    yield bytes.subarray(offset, offset + size);
    offset += size;
  }
  if (offset < bytes.length) yield bytes.subarray(offset);
}

async function decodeAll(chunks: AsyncIterable<Uint8Array>) {
  const messages = [];
  for await (const message of decodeAwsEventStream(chunks)) messages.push(message);
  return messages;
}

const first = encodeAwsEventStreamMessage({ headers: { ":event-type": "chunk", ":message-type": "event" }, payload: '{"bytes":"eyJ0eXBlIjoicGluZyJ9"}' });
const second = encodeAwsEventStreamMessage({ headers: { ":event-type": "chunk", ":message-type": "event" }, payload: "{\"text\":\"h\u00e9llo \u{1F600}\"}" });
const both = new Uint8Array([...first, ...second]);

describe("decodeAwsEventStream", () => {
  test("a known vector: AWS's documented empty-payload message decodes", () => {
    // From the AWS event stream test suite: a message with no headers and no payload.
    const bytes = new Uint8Array([0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x05, 0xc2, 0x48, 0xeb, 0x7d, 0x98, 0xc8, 0xff]);
    expect(decodeAwsEventStreamMessage(bytes)).toEqual({ headers: {}, payload: new Uint8Array(0) });
  });

  const splits: Array<[string, number[]]> = [
    ["whole", [both.length]],
    ["one byte at a time", Array.from({ length: both.length }, () => 1)],
    ["split inside the prelude", [5, 3]],
    ["split inside the headers", [20]],
    ["split inside a multi-byte character of the payload", [first.length + 12 + 40 + 9]],
    ["split exactly between messages", [first.length]],
    ["split inside the trailing checksum", [first.length - 2, 4]],
  ];
  for (const [name, sizes] of splits) {
    test(`${name}: both messages, headers and payload intact`, async () => {
      const messages = await decodeAll(chunksOf(both, sizes));
      expect(messages).toHaveLength(2);
      expect(messages[0]!.headers).toEqual({ ":event-type": "chunk", ":message-type": "event" });
      expect(new TextDecoder().decode(messages[1]!.payload)).toBe("{\"text\":\"h\u00e9llo \u{1F600}\"}");
    });
  }

  test("a corrupted prelude is refused by its checksum", async () => {
    const corrupted = first.slice();
    corrupted[5] ^= 0xff;
    await expect(decodeAll(chunksOf(corrupted, []))).rejects.toThrow(/prelude checksum|length/);
  });

  test("a corrupted payload byte is refused by the message checksum", async () => {
    const corrupted = first.slice();
    corrupted[first.length - 8] ^= 0x01;
    await expect(decodeAll(chunksOf(corrupted, []))).rejects.toThrow("message checksum mismatch");
  });

  test("a stream cut inside a message is an error, not a silent end", async () => {
    await expect(decodeAll(chunksOf(both.subarray(0, first.length + 10), []))).rejects.toBeInstanceOf(AwsEventStreamError);
  });

  test("an absurd length is refused before buffering", async () => {
    const bogus = new Uint8Array(16);
    new DataView(bogus.buffer).setUint32(0, 0x7fffffff);
    await expect(decodeAll(chunksOf(bogus, []))).rejects.toThrow("invalid message length");
  });

  test("typed headers decode to their values", () => {
    const name = new TextEncoder().encode("n");
    const headers = new Uint8Array([name.length, ...name, 4, 0, 0, 1, 0, name.length, ...new TextEncoder().encode("b"), 0]);
    const total = 12 + headers.length + 4;
    const bytes = new Uint8Array(total);
    const view = new DataView(bytes.buffer);
    view.setUint32(0, total);
    view.setUint32(4, headers.length);
    view.setUint32(8, Bun.hash.crc32(bytes.subarray(0, 8)));
    bytes.set(headers, 12);
    view.setUint32(total - 4, Bun.hash.crc32(bytes.subarray(0, total - 4)));
    expect(decodeAwsEventStreamMessage(bytes).headers).toEqual({ n: 256, b: true });
  });
});
