/**
 * A local estimate of input tokens for /v1/messages/count_tokens. The CLI has no token counter, so this
 * counts every block type with the usual rules of thumb: ~3.5 characters per token for text and JSON,
 * width*height/750 for images (after Claude's resize to at most ~1.15 megapixels), ~2000 tokens per PDF page.
 */
import { imageSize } from "../../util/image-size.ts";
import type { AnthropicCountTokensRequest } from "./schema.ts";

type Block = { type: string; [key: string]: any };

const charactersPerToken = 3.5;
const perMessageOverhead = 4;
const perToolOverhead = 12;
/** The CLI adds a billing line, an identity line and a date reminder to every request. */
const cliOverhead = 140;
const defaultImageTokens = 1600;
const tokensPerPdfPage = 2000;

const textTokens = (text: string) => Math.ceil(text.length / charactersPerToken);

export function estimateAnthropicInputTokens(body: AnthropicCountTokensRequest): number {
  let total = cliOverhead;
  total += body.system === undefined ? 0 : typeof body.system === "string" ? textTokens(body.system) : blocksTokens(body.system as Block[]);
  for (const message of body.messages) {
    total += perMessageOverhead + (typeof message.content === "string" ? textTokens(message.content) : blocksTokens(message.content as Block[]));
  }
  const tools = (body as { tools?: unknown[] }).tools;
  if (Array.isArray(tools)) for (const tool of tools) total += perToolOverhead + textTokens(JSON.stringify(tool));
  return total;
}

function blocksTokens(blocks: Block[]): number {
  return blocks.reduce((sum, block) => sum + blockTokens(block), 0);
}

function blockTokens(block: Block): number {
  switch (block.type) {
    case "text":
      return textTokens(String(block.text ?? ""));
    case "image":
      return imageTokens(block.source);
    case "document":
      return documentTokens(block.source) + textTokens(`${block.title ?? ""}${block.context ?? ""}`);
    case "tool_use":
    case "server_tool_use":
      return textTokens(String(block.name ?? "")) + textTokens(JSON.stringify(block.input ?? {}));
    case "tool_result":
      return typeof block.content === "string" ? textTokens(block.content) : Array.isArray(block.content) ? blocksTokens(block.content) : 0;
    case "thinking":
      return textTokens(String(block.thinking ?? ""));
    case "redacted_thinking":
      // Encrypted thinking is base64 of roughly four times the underlying tokens' text.
      return Math.ceil(textTokens(String(block.data ?? "")) / 4);
    default:
      return textTokens(JSON.stringify(block));
  }
}

function imageTokens(source: Block | undefined): number {
  if (source?.type !== "base64" || typeof source.data !== "string") return defaultImageTokens;
  // JPEG size markers can sit behind a large EXIF block, so look at the first 64 KB.
  const size = imageSize(Buffer.from(source.data.slice(0, 87_384), "base64"));
  if (!size) return defaultImageTokens;
  const scale = Math.min(1, Math.sqrt(1_150_000 / (size.width * size.height)), 1568 / Math.max(size.width, size.height));
  return Math.max(1, Math.ceil((size.width * scale * size.height * scale) / 750));
}

function documentTokens(source: Block | undefined): number {
  if (!source) return 0;
  if (source.type === "text") return textTokens(String(source.data ?? ""));
  if (source.type === "content") return Array.isArray(source.content) ? blocksTokens(source.content) : textTokens(String(source.content ?? ""));
  if (source.type === "base64" && typeof source.data === "string") {
    const pages = Buffer.from(source.data, "base64").toString("latin1").match(/\/Type\s*\/Page(?!s)/g)?.length ?? 1;
    return pages * tokensPerPdfPage;
  }
  return tokensPerPdfPage;
}
