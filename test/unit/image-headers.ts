/** Tiny image headers, byte for byte, so size detection is tested without image files. */

const u16be = (value: number) => [(value >> 8) & 0xff, value & 0xff];
const u16le = (value: number) => [value & 0xff, (value >> 8) & 0xff];
const u24le = (value: number) => [value & 0xff, (value >> 8) & 0xff, (value >> 16) & 0xff];
const u32be = (value: number) => [(value >>> 24) & 0xff, (value >> 16) & 0xff, (value >> 8) & 0xff, value & 0xff];
const u32le = (value: number) => [value & 0xff, (value >> 8) & 0xff, (value >> 16) & 0xff, (value >>> 24) & 0xff];
const ascii = (text: string) => [...text].map((character) => character.charCodeAt(0));

/** PNG signature and IHDR chunk. */
export function pngHeader(width: number, height: number): Uint8Array {
  return new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...u32be(13), ...ascii("IHDR"), ...u32be(width), ...u32be(height), 8, 2, 0, 0, 0, 0, 0, 0, 0]);
}

/** GIF89a logical screen descriptor. */
export function gifHeader(width: number, height: number): Uint8Array {
  return new Uint8Array([...ascii("GIF89a"), ...u16le(width), ...u16le(height), 0xf7, 0, 0]);
}

/** JPEG: SOI, an APP0 (JFIF) segment, a DHT segment, then the frame header with the given SOF marker. */
export function jpegHeader(width: number, height: number, sofMarker = 0xc0): Uint8Array {
  const app0 = [0xff, 0xe0, ...u16be(16), ...ascii("JFIF"), 0, 1, 1, 0, 0, 1, 0, 1, 0, 0];
  const dht = [0xff, 0xc4, ...u16be(5), 0, 0, 0];
  const sof = [0xff, sofMarker, ...u16be(17), 8, ...u16be(height), ...u16be(width), 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1];
  return new Uint8Array([0xff, 0xd8, ...app0, ...dht, ...sof]);
}

const riff = (chunk: number[]) => [...ascii("RIFF"), ...u32le(4 + chunk.length), ...ascii("WEBP"), ...chunk];

/** Extended WebP (VP8X) header. */
export function webpVp8xHeader(width: number, height: number): Uint8Array {
  return new Uint8Array(riff([...ascii("VP8X"), ...u32le(10), 0, 0, 0, 0, ...u24le(width - 1), ...u24le(height - 1), 0, 0]));
}

/** Lossy WebP (VP8) key frame header. */
export function webpVp8Header(width: number, height: number): Uint8Array {
  return new Uint8Array(riff([...ascii("VP8 "), ...u32le(10), 0x9d, 0x01, 0x00, 0x9d, 0x01, 0x2a, ...u16le(width), ...u16le(height), 0, 0]));
}

/** Lossless WebP (VP8L) header: 14 bits width-1, 14 bits height-1. */
export function webpVp8lHeader(width: number, height: number): Uint8Array {
  const bits = (width - 1) | ((height - 1) << 14);
  // Followed by some image data, as in any real file.
  return new Uint8Array(riff([...ascii("VP8L"), ...u32le(5), 0x2f, ...u32le(bits), 0, 0, 0, 0, 0, 0, 0, 0]));
}
