import { describe, expect, test } from "bun:test";
import { imageSize } from "../../src/util/image-size.ts";
import { gifHeader, jpegHeader, pngHeader, webpVp8Header, webpVp8lHeader, webpVp8xHeader } from "./image-headers.ts";

describe("imageSize", () => {
  const cases: Array<[string, Uint8Array, { width: number; height: number }]> = [
    ["PNG", pngHeader(640, 480), { width: 640, height: 480 }],
    ["PNG larger than 16 bits", pngHeader(70_000, 3), { width: 70_000, height: 3 }],
    ["GIF", gifHeader(320, 200), { width: 320, height: 200 }],
    ["JPEG baseline (SOF0) after APP0 and DHT", jpegHeader(1024, 768), { width: 1024, height: 768 }],
    ["JPEG progressive (SOF2)", jpegHeader(300, 5000, 0xc2), { width: 300, height: 5000 }],
    ["WebP VP8X", webpVp8xHeader(4000, 3000), { width: 4000, height: 3000 }],
    ["WebP VP8 (lossy)", webpVp8Header(800, 600), { width: 800, height: 600 }],
    ["WebP VP8L (lossless)", webpVp8lHeader(1234, 567), { width: 1234, height: 567 }],
  ];
  for (const [name, bytes, expected] of cases) {
    test(name, () => {
      expect(imageSize(bytes)).toEqual(expected);
    });
  }

  test("reads a header that sits inside a larger buffer (byteOffset)", () => {
    const buffer = new Uint8Array(100);
    const png = pngHeader(12, 34);
    buffer.set(png, 10);
    expect(imageSize(buffer.subarray(10, 10 + png.length))).toEqual({ width: 12, height: 34 });
  });

  const unknown: Array<[string, Uint8Array]> = [
    ["empty", new Uint8Array()],
    ["text", new TextEncoder().encode("this is not an image at all, really")],
    ["PNG cut before its size", pngHeader(640, 480).subarray(0, 20)],
    ["JPEG whose frame header is beyond the bytes given", jpegHeader(10, 10).subarray(0, 30)],
    ["JPEG with garbage where a marker should be", new Uint8Array([0xff, 0xd8, 0x00, 0x11, 0, 0, 0, 0, 0, 0, 0, 0])],
  ];
  for (const [name, bytes] of unknown) {
    test(`undefined for ${name}`, () => {
      expect(imageSize(bytes)).toBeUndefined();
    });
  }

  test("a VP8X header cut to 30 bytes gives undefined instead of throwing", () => {
    expect(() => imageSize(webpVp8xHeader(400, 300).subarray(0, 30))).not.toThrow();
  });
});
