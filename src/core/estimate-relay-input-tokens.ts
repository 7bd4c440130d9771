/**
 * A local estimate of a request's input tokens, for backends without a token counter (the claude CLI) and
 * for clamping max_tokens to what a context window leaves. Rules of thumb: ~3.5 characters per token for text
 * and JSON, width*height/750 for images (after Claude's resize to at most ~1.15 megapixels and 1568 px),
 * ~2000 tokens per PDF page.
 */
import { imageSize } from "../util/image-size.ts";
import type { RelayContentPart, RelayMediaSource, RelayRequest } from "./relay-request.ts";

const charactersPerToken = 3.5;
const perMessageOverhead = 4;
const perToolOverhead = 12;
const defaultImageTokens = 1600;
const tokensPerPdfPage = 2000;

const textTokens = (text: string) => Math.ceil(text.length / charactersPerToken);

/** The estimated input tokens of the system text, the messages and the tool definitions. */
export function estimateRelayInputTokens(request: RelayRequest): number {
  let total = request.system ? textTokens(request.system) : 0;
  for (const message of request.messages) total += perMessageOverhead + partsTokens(message.content);
  for (const tool of request.tools ?? []) total += perToolOverhead + textTokens(JSON.stringify({ name: tool.name, description: tool.description, input_schema: tool.inputSchema }));
  for (const tool of request.providerTools ?? []) total += perToolOverhead + textTokens(JSON.stringify(tool.raw));
  return total;
}

function partsTokens(parts: RelayContentPart[]): number {
  return parts.reduce((sum, part) => sum + partTokens(part), 0);
}

function partTokens(part: RelayContentPart): number {
  switch (part.type) {
    case "text":
      return textTokens(part.text);
    case "image":
      return imageTokens(part.source);
    case "document":
      return documentTokens(part.source) + textTokens(`${part.title ?? ""}${part.context ?? ""}`);
    case "tool-call":
      return textTokens(part.name) + textTokens(JSON.stringify(part.input ?? {}));
    case "tool-result":
      return partsTokens(part.content);
    case "reasoning": {
      const redacted = part.providerMetadata?.anthropic?.redactedData;
      // Encrypted thinking is base64 of roughly four times the underlying tokens' text.
      return redacted ? Math.ceil(textTokens(redacted) / 4) : textTokens(part.text);
    }
    default: {
      const unreachable: never = part;
      return unreachable;
    }
  }
}

function imageTokens(source: RelayMediaSource): number {
  if (source.kind !== "base64") return defaultImageTokens;
  // JPEG size markers can sit behind a large EXIF block, so look at the first 64 KB.
  const size = imageSize(Buffer.from(source.data.slice(0, 87_384), "base64"));
  if (!size) return defaultImageTokens;
  const scale = Math.min(1, Math.sqrt(1_150_000 / (size.width * size.height)), 1568 / Math.max(size.width, size.height));
  return Math.max(1, Math.ceil((size.width * scale * size.height * scale) / 750));
}

function documentTokens(source: RelayMediaSource): number {
  switch (source.kind) {
    case "text":
      return textTokens(source.data);
    case "base64": {
      if (!source.mediaType.includes("pdf")) return textTokens(Buffer.from(source.data, "base64").toString("utf8"));
      const pages = Buffer.from(source.data, "base64").toString("latin1").match(/\/Type\s*\/Page(?!s)/g)?.length ?? 1;
      return pages * tokensPerPdfPage;
    }
    case "url":
      return tokensPerPdfPage;
  }
}
