/** Images and files as OpenAI clients send them (chat and Responses): data URLs, http(s) URLs, inline base64. */
import { RelayError } from "../../core/relay-error.ts";
import type { RelayDocumentPart, RelayImagePart } from "../../core/relay-request.ts";
import { parseDataUrl } from "../../util/data-url.ts";

/** An image from a data URL or an http(s) URL; `param` names the field in errors. */
export function parseOpenAIImageUrl(url: string, param: string): RelayImagePart {
  const data = parseDataUrl(url);
  if (data) {
    if (!data.mediaType.startsWith("image/")) {
      throw new RelayError("invalid_request", `${param}: image data URL has media type ${data.mediaType}, expected an image.`, { param });
    }
    return { type: "image", source: { kind: "base64", mediaType: data.mediaType, data: data.data } };
  }
  if (/^https?:\/\//i.test(url)) return { type: "image", source: { kind: "url", url } };
  throw new RelayError("invalid_request", `${param} must be a data URL or an http(s) URL.`, { param });
}

/** Inline file data (a base64 data URL, or plain base64, which is taken for a PDF) as an image or a document. */
export function parseOpenAIFileData(fileData: string, title: string | undefined, param: string): RelayImagePart | RelayDocumentPart {
  if (fileData.startsWith("data:") && !parseDataUrl(fileData)) {
    throw new RelayError("invalid_request", `${param} must be a base64 data URL or plain base64.`, { param });
  }
  // Plain base64 without a media type: PDF, the one document type the API takes as base64.
  const data = parseDataUrl(fileData) ?? { mediaType: "application/pdf", data: fileData };
  if (data.mediaType.startsWith("image/")) return { type: "image", source: { kind: "base64", mediaType: data.mediaType, data: data.data } };
  if (data.mediaType === "text/plain") {
    return { type: "document", source: { kind: "text", mediaType: "text/plain", data: Buffer.from(data.data, "base64").toString("utf8") }, title };
  }
  return { type: "document", source: { kind: "base64", mediaType: data.mediaType, data: data.data }, title };
}
