import { describe, expect, test } from "bun:test";
import { parseDataUrl } from "../../src/util/data-url.ts";

describe("parseDataUrl", () => {
  const cases: Array<[string, string, { mediaType: string; data: string } | undefined]> = [
    ["image", "data:image/png;base64,iVBORw0KGgo=", { mediaType: "image/png", data: "iVBORw0KGgo=" }],
    ["media type is lowercased", "data:Image/JPEG;base64,/9j/", { mediaType: "image/jpeg", data: "/9j/" }],
    ["parameters before ;base64", "data:text/plain;charset=utf-8;base64,aGk=", { mediaType: "text/plain", data: "aGk=" }],
    ["no media type defaults to octet-stream", "data:;base64,AAAA", { mediaType: "application/octet-stream", data: "AAAA" }],
    ["surrounding whitespace in the data is trimmed", "data:application/pdf;base64, JVBERi0x\n", { mediaType: "application/pdf", data: "JVBERi0x" }],
    ["not base64", "data:text/plain,hello", undefined],
    ["an http URL", "https://example.com/a.png", undefined],
    ["empty", "", undefined],
  ];
  for (const [name, url, expected] of cases) {
    test(name, () => {
      expect(parseDataUrl(url)).toEqual(expected);
    });
  }
});
