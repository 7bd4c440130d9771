/**
 * The AWS event stream binary framing (application/vnd.amazon.eventstream), as Bedrock's
 * InvokeModelWithResponseStream and ConverseStream send it. Each message is
 *   total length (u32) | headers length (u32) | prelude CRC32 (u32) | headers | payload | message CRC32 (u32)
 * with both CRCs over the bytes before them. Decoding checks both, so a corrupted or truncated stream is an
 * error instead of a garbled answer.
 */

/** A header value, typed as the wire types it (strings are by far the most common). */
export type AwsEventStreamHeaderValue = string | number | boolean | bigint | Uint8Array | Date;

/** One decoded event stream message. */
export interface AwsEventStreamMessage {
  headers: Record<string, AwsEventStreamHeaderValue>;
  payload: Uint8Array;
}

/** The stream's bytes do not form valid messages. */
export class AwsEventStreamError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AwsEventStreamError";
  }
}

const preludeLength = 12;
const checksumLength = 4;
const minimumMessageLength = preludeLength + checksumLength;
// Bedrock's messages are far smaller; the bound stops a corrupt length from buffering without end.
const maximumMessageLength = 24 * 1024 * 1024;

const textDecoder = new TextDecoder();
const textEncoder = new TextEncoder();

function crc32(bytes: Uint8Array): number {
  return Bun.hash.crc32(bytes) >>> 0;
}

/** Decodes a byte stream, split anywhere, into messages. Throws AwsEventStreamError on a bad frame. */
export async function* decodeAwsEventStream(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<AwsEventStreamMessage> {
  let buffer: Uint8Array = new Uint8Array(0);
  for await (const chunk of chunks) {
    buffer = buffer.length === 0 ? chunk : concatBytes(buffer, chunk);
    while (buffer.length >= preludeLength) {
      const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
      const totalLength = view.getUint32(0);
      if (totalLength < minimumMessageLength || totalLength > maximumMessageLength) {
        throw new AwsEventStreamError(`invalid message length ${totalLength}`);
      }
      if (buffer.length < totalLength) break;
      yield decodeAwsEventStreamMessage(buffer.subarray(0, totalLength));
      buffer = buffer.subarray(totalLength);
    }
  }
  if (buffer.length > 0) throw new AwsEventStreamError(`stream ended inside a message (${buffer.length} bytes left)`);
}

/** Decodes exactly one complete message. */
export function decodeAwsEventStreamMessage(bytes: Uint8Array): AwsEventStreamMessage {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const totalLength = view.getUint32(0);
  const headersLength = view.getUint32(4);
  if (totalLength !== bytes.length) throw new AwsEventStreamError(`message length ${totalLength} does not match ${bytes.length} bytes`);
  if (view.getUint32(8) !== crc32(bytes.subarray(0, 8))) throw new AwsEventStreamError("prelude checksum mismatch");
  if (view.getUint32(totalLength - checksumLength) !== crc32(bytes.subarray(0, totalLength - checksumLength))) {
    throw new AwsEventStreamError("message checksum mismatch");
  }
  const headersEnd = preludeLength + headersLength;
  if (headersEnd > totalLength - checksumLength) throw new AwsEventStreamError(`headers length ${headersLength} exceeds the message`);
  return {
    headers: decodeHeaders(bytes.subarray(preludeLength, headersEnd)),
    payload: bytes.slice(headersEnd, totalLength - checksumLength),
  };
}

function decodeHeaders(bytes: Uint8Array): Record<string, AwsEventStreamHeaderValue> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headers: Record<string, AwsEventStreamHeaderValue> = {};
  let position = 0;
  const need = (count: number) => {
    if (position + count > bytes.length) throw new AwsEventStreamError("header runs past the headers section");
  };
  while (position < bytes.length) {
    need(1);
    const nameLength = view.getUint8(position);
    position += 1;
    need(nameLength + 1);
    const name = textDecoder.decode(bytes.subarray(position, position + nameLength));
    position += nameLength;
    const type = view.getUint8(position);
    position += 1;
    switch (type) {
      case 0:
      case 1:
        headers[name] = type === 0;
        break;
      case 2:
        need(1);
        headers[name] = view.getInt8(position);
        position += 1;
        break;
      case 3:
        need(2);
        headers[name] = view.getInt16(position);
        position += 2;
        break;
      case 4:
        need(4);
        headers[name] = view.getInt32(position);
        position += 4;
        break;
      case 5:
        need(8);
        headers[name] = view.getBigInt64(position);
        position += 8;
        break;
      case 6:
      case 7: {
        need(2);
        const length = view.getUint16(position);
        position += 2;
        need(length);
        const value = bytes.slice(position, position + length);
        headers[name] = type === 7 ? textDecoder.decode(value) : value;
        position += length;
        break;
      }
      case 8:
        need(8);
        headers[name] = new Date(Number(view.getBigInt64(position)));
        position += 8;
        break;
      case 9:
        need(16);
        headers[name] = bytes.slice(position, position + 16);
        position += 16;
        break;
      default:
        throw new AwsEventStreamError(`unknown header type ${type} for ${name}`);
    }
  }
  return headers;
}

/** Encodes one message with string headers (what Bedrock sends); used by the fake Bedrock and the tests. */
export function encodeAwsEventStreamMessage(message: { headers: Record<string, string>; payload: Uint8Array | string }): Uint8Array {
  const payload = typeof message.payload === "string" ? textEncoder.encode(message.payload) : message.payload;
  const headerParts: Uint8Array[] = [];
  for (const [name, value] of Object.entries(message.headers)) {
    const nameBytes = textEncoder.encode(name);
    const valueBytes = textEncoder.encode(value);
    const part = new Uint8Array(1 + nameBytes.length + 1 + 2 + valueBytes.length);
    const view = new DataView(part.buffer);
    part[0] = nameBytes.length;
    part.set(nameBytes, 1);
    part[1 + nameBytes.length] = 7;
    view.setUint16(2 + nameBytes.length, valueBytes.length);
    part.set(valueBytes, 4 + nameBytes.length);
    headerParts.push(part);
  }
  const headers = concatBytes(...headerParts);
  const totalLength = preludeLength + headers.length + payload.length + checksumLength;
  const bytes = new Uint8Array(totalLength);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, totalLength);
  view.setUint32(4, headers.length);
  view.setUint32(8, crc32(bytes.subarray(0, 8)));
  bytes.set(headers, preludeLength);
  bytes.set(payload, preludeLength + headers.length);
  view.setUint32(totalLength - checksumLength, crc32(bytes.subarray(0, totalLength - checksumLength)));
  return bytes;
}

function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const result = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    result.set(part, offset);
    offset += part.length;
  }
  return result;
}
