/**
 * Turns an Anthropic Messages request body into the InvokeModel body for a Claude model on Bedrock:
 * `anthropic_version` and the filtered `anthropic_beta` go into the body; `model` and `stream` leave it (the
 * path carries both); top-level fields Bedrock's schema rejects ("Extra inputs are not permitted") are
 * removed; a top-level `cache_control` (automatic caching, which Bedrock rejects) moves onto the last
 * block it can mark. Everything else (tools, images, documents, thinking blocks with their signatures,
 * cache markers on blocks) is kept as the client sent it.
 */
import { filterBedrockBetas } from "./filter-bedrock-betas.ts";

export const bedrockAnthropicVersion = "bedrock-2023-05-31";

// Fields of the Anthropic API that Bedrock's InvokeModel schema does not have.
const unsupportedTopLevelFields = ["model", "stream", "metadata", "service_tier", "container", "inference_geo", "mcp_servers"];
// Fields Bedrock accepts only together with the beta flag that enables them.
const betaGatedFields: Record<string, string> = { context_management: "context-management-2025-06-27" };
// Blocks that cannot carry a cache breakpoint.
const uncacheableBlockTypes = new Set(["thinking", "redacted_thinking"]);

export interface PrepareBedrockBodyOptions {
  body: Record<string, unknown>;
  /** The anthropic-beta header values and the body's own `anthropic_beta`/`betas`, in order. */
  betas: string[];
  /** The model id without region prefix or ARN. */
  baseModelId: string;
  /** The provider's replacement for the built-in beta table. */
  allowedBetas?: string[];
  anthropicVersion?: string;
}

export interface PreparedBedrockBody {
  body: Record<string, unknown>;
  /** What was changed beyond the envelope, for the log line (the client is not told: these are Bedrock's limits). */
  droppedBetas: string[];
  droppedFields: string[];
  movedCacheControl: boolean;
}

export function prepareBedrockAnthropicBody(options: PrepareBedrockBodyOptions): PreparedBedrockBody {
  const body: Record<string, unknown> = { ...options.body };
  const bodyBetas = [body.anthropic_beta, body.betas].flatMap((value) => (Array.isArray(value) ? value.map(String) : []));
  delete body.betas;
  const { kept, dropped } = filterBedrockBetas([...options.betas, ...bodyBetas], options.baseModelId, options.allowedBetas);
  const droppedFields: string[] = [];
  for (const field of unsupportedTopLevelFields) {
    if (field in body) {
      delete body[field];
      if (field !== "model" && field !== "stream") droppedFields.push(field);
    }
  }
  for (const [field, beta] of Object.entries(betaGatedFields)) {
    if (field in body && !kept.includes(beta)) {
      delete body[field];
      droppedFields.push(field);
    }
  }
  const movedCacheControl = moveTopLevelCacheControl(body);
  const prepared: Record<string, unknown> = { anthropic_version: options.anthropicVersion ?? bedrockAnthropicVersion, ...body };
  if (kept.length > 0) prepared.anthropic_beta = kept;
  else delete prepared.anthropic_beta;
  return { body: prepared, droppedBetas: dropped, droppedFields, movedCacheControl };
}

/** Moves `cache_control` from the top level onto the last cacheable block (messages, then system, then tools). */
export function moveTopLevelCacheControl(body: Record<string, unknown>): boolean {
  const cacheControl = body.cache_control;
  if (cacheControl === undefined) return false;
  delete body.cache_control;
  const messages = Array.isArray(body.messages) ? (body.messages as Array<Record<string, unknown>>) : [];
  for (let index = messages.length - 1; index >= 0; index--) {
    const message = { ...messages[index]! };
    const content = markLastBlock(message.content, cacheControl);
    if (content) {
      message.content = content;
      body.messages = messages.map((original, position) => (position === index ? message : original));
      return true;
    }
  }
  const system = markLastBlock(body.system, cacheControl);
  if (system) {
    body.system = system;
    return true;
  }
  if (Array.isArray(body.tools) && body.tools.length > 0) {
    const tools = [...body.tools] as Array<Record<string, unknown>>;
    const last = tools[tools.length - 1]!;
    tools[tools.length - 1] = { ...last, cache_control: last.cache_control ?? cacheControl };
    body.tools = tools;
    return true;
  }
  return false;
}

/** The content with its last cacheable block marked (a string becomes one text block), or undefined. */
function markLastBlock(content: unknown, cacheControl: unknown): Array<Record<string, unknown>> | undefined {
  if (typeof content === "string") return content ? [{ type: "text", text: content, cache_control: cacheControl }] : undefined;
  if (!Array.isArray(content)) return undefined;
  for (let index = content.length - 1; index >= 0; index--) {
    const block = content[index] as Record<string, unknown>;
    if (!block || typeof block !== "object" || uncacheableBlockTypes.has(String(block.type))) continue;
    const marked = [...content] as Array<Record<string, unknown>>;
    marked[index] = { ...block, cache_control: block.cache_control ?? cacheControl };
    return marked;
  }
  return undefined;
}
