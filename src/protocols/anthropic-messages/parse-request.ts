/** Anthropic Messages request -> neutral RelayRequest. */
import { RelayError } from "../../core/relay-error.ts";
import type {
  RelayContentPart,
  RelayDocumentPart,
  RelayImagePart,
  RelayCacheControl,
  RelayMessage,
  RelayProviderTool,
  RelayRequest,
  RelayResponseFormat,
  RelaySystemPart,
  RelayTextPart,
  RelayThinking,
  RelayToolDefinition,
  RelayWarning,
} from "../../core/relay-request.ts";
import type { AnthropicMessage, AnthropicMessagesRequest } from "./schema.ts";

type Block = { type: string; [key: string]: any };

const efforts = new Set(["low", "medium", "high", "xhigh", "max"]);

/** Messages parameters without a neutral form, carried raw for the backends that understand them. */
const rawParameters = ["mcp_servers", "container", "context_management"] as const;

/** Parses a Messages request; `betas` is the anthropic-beta header's list. */
export function parseAnthropicMessagesRequest(body: AnthropicMessagesRequest, betas: string[] = []): RelayRequest {
  const warnings: RelayWarning[] = [];
  const fields = body as Record<string, unknown>;
  const anthropicOptions: Record<string, unknown> = {};
  for (const name of rawParameters) if (fields[name] !== undefined && fields[name] !== null) anthropicOptions[name] = fields[name];

  const systemParts = systemBlocks(body.system);
  const messages: RelayMessage[] = [];
  body.messages.forEach((message, index) => {
    if (message.role === "system") {
      // Mid-conversation system messages (Claude Code 2.1.x) join the system prompt: the CLI has no other place for them.
      const text = textOfBlocks(contentBlocks(message.content), `messages.${index}.content`, warnings).join("");
      if (text) systemParts.push({ text });
      return;
    }
    messages.push({ role: message.role, content: parseContent(message, `messages.${index}.content`, warnings) });
  });

  const effort = body.output_config?.effort ?? undefined;
  return {
    model: body.model,
    system: systemParts.length > 0 ? systemParts.map((part) => part.text).join("\n\n") : undefined,
    systemParts: systemParts.length > 0 ? systemParts : undefined,
    messages,
    stream: body.stream === true,
    maxOutputTokens: body.max_tokens,
    maxOutputTokensParameter: "max_tokens",
    temperature: body.temperature,
    topP: body.top_p,
    topK: body.top_k,
    stopSequences: body.stop_sequences?.length ? body.stop_sequences : undefined,
    thinking: parseThinking(body.thinking, warnings),
    effort: effort && efforts.has(effort) ? (effort as RelayRequest["effort"]) : undefined,
    userId: body.metadata?.user_id ?? undefined,
    serviceTier: typeof fields.service_tier === "string" ? fields.service_tier : undefined,
    providerOptions: Object.keys(anthropicOptions).length > 0 ? { anthropic: anthropicOptions } : undefined,
    longContext: betas.some((beta) => beta.startsWith("context-1m")) || undefined,
    warnings,
    ...parseTools(body, warnings),
    responseFormat: parseResponseFormat(body, warnings),
  };
}

/** The text of blocks where only text can be carried; other blocks are reported. */
function textOfBlocks(blocks: Block[], param: string, warnings: RelayWarning[]): string[] {
  return blocks.flatMap((block, index) => {
    if (block.type === "text") return [String(block.text ?? "")];
    warnings.push({ parameter: `${param}.${index}.type`, message: `block type "${block.type}" cannot be carried here and was dropped` });
    return [];
  });
}

function parseTools(body: AnthropicMessagesRequest, warnings: RelayWarning[]): Pick<RelayRequest, "tools" | "providerTools" | "toolChoice" | "parallelToolCalls"> {
  const declared = (body as { tools?: Block[] }).tools ?? [];
  const tools: RelayToolDefinition[] = [];
  const providerTools: RelayProviderTool[] = [];
  declared.forEach((tool, index) => {
    // Server tools (web search, code execution, bash_2025..., text_editor_...) run at Anthropic, not at the client.
    if (tool.type !== undefined && tool.type !== "custom") {
      providerTools.push({ provider: "anthropic", type: String(tool.type), parameter: `tools.${index}`, raw: tool });
      return;
    }
    if (typeof tool.name !== "string" || !/^[a-zA-Z0-9_-]{1,64}$/.test(tool.name)) {
      throw new RelayError("invalid_request", `tools.${index}.name must be 1-64 letters, digits, underscores or dashes.`, { param: `tools.${index}.name` });
    }
    tools.push({
      name: tool.name,
      description: tool.description,
      inputSchema: tool.input_schema ?? { type: "object", properties: {} },
      ...cacheControlOf(tool),
    });
  });
  if (tools.length === 0) return providerTools.length > 0 ? { providerTools } : {};
  if (providerTools.length > 0) return { ...clientToolChoice(body, tools, warnings), providerTools };
  return clientToolChoice(body, tools, warnings);
}

function clientToolChoice(body: AnthropicMessagesRequest, tools: RelayToolDefinition[], warnings: RelayWarning[]): Pick<RelayRequest, "tools" | "toolChoice" | "parallelToolCalls"> {
  const choice = (body as { tool_choice?: Block }).tool_choice;
  const parallelToolCalls = choice?.disable_parallel_tool_use === true ? false : undefined;
  switch (choice?.type) {
    case undefined:
    case "auto":
      return { tools, toolChoice: choice ? { type: "auto" } : undefined, parallelToolCalls };
    case "any":
      return { tools, toolChoice: { type: "required" }, parallelToolCalls };
    case "none":
      return { tools, toolChoice: { type: "none" } };
    case "tool":
      return { tools, toolChoice: { type: "tool", name: String(choice?.name) }, parallelToolCalls };
    default:
      warnings.push({ parameter: "tool_choice.type", message: `tool choice "${choice?.type}" is not supported; using auto` });
      return { tools };
  }
}

function parseResponseFormat(body: AnthropicMessagesRequest, warnings: RelayWarning[]): RelayResponseFormat | undefined {
  const format = (body.output_config as { format?: Block | null } | undefined)?.format;
  if (!format) return undefined;
  if (format.type === "json_schema" && format.schema && typeof format.schema === "object") return { type: "json", schema: format.schema };
  warnings.push({ parameter: "output_config.format", message: `output format "${format.type}" is not supported; answering in text` });
  return undefined;
}

function contentBlocks(content: AnthropicMessage["content"]): Block[] {
  return typeof content === "string" ? [{ type: "text", text: content }] : (content as Block[]);
}

function systemBlocks(system: AnthropicMessagesRequest["system"]): RelaySystemPart[] {
  if (system === undefined) return [];
  if (typeof system === "string") return system ? [{ text: system }] : [];
  return (system as Block[])
    .filter((block) => block.type === "text" && typeof block.text === "string")
    // Claude Code puts billing metadata in a system block; it is not an instruction for the model.
    .filter((block) => block.text && !block.text.startsWith("x-anthropic-billing-header:"))
    .map((block) => ({ text: block.text as string, ...cacheControlOf(block) }));
}

/** A block's cache_control breakpoint in neutral form; nothing when the block has none. */
function cacheControlOf(block: Block): { cacheControl?: RelayCacheControl } {
  const control = block.cache_control;
  if (!control || typeof control !== "object" || control.type !== "ephemeral") return {};
  return { cacheControl: { type: "ephemeral", ...(typeof control.ttl === "string" ? { ttl: control.ttl } : {}) } };
}

function parseThinking(thinking: AnthropicMessagesRequest["thinking"], warnings: RelayWarning[]): RelayThinking | undefined {
  if (!thinking) return undefined;
  switch (thinking.type) {
    case "enabled":
      return { type: "enabled", budgetTokens: thinking.budget_tokens };
    case "adaptive":
      return { type: "adaptive" };
    case "disabled":
      return { type: "disabled" };
    default:
      warnings.push({ parameter: "thinking.type", message: `unknown thinking type "${thinking.type}"; using adaptive thinking` });
      return { type: "adaptive" };
  }
}

function parseContent(message: AnthropicMessage, param: string, warnings: RelayWarning[]): RelayContentPart[] {
  const parts: RelayContentPart[] = [];
  contentBlocks(message.content).forEach((block, index) => {
    const at = `${param}.${index}`;
    switch (block.type) {
      case "text":
        parts.push({ type: "text", text: String(block.text ?? ""), ...cacheControlOf(block) });
        break;
      case "image":
        parts.push({ ...imagePart(block, at), ...cacheControlOf(block) });
        break;
      case "document":
        parts.push({ ...documentPart(block, at, warnings), ...cacheControlOf(block) });
        break;
      case "tool_use":
        parts.push({ type: "tool-call", id: String(block.id), name: String(block.name), input: block.input ?? {}, ...cacheControlOf(block) });
        break;
      case "tool_result":
        parts.push({
          type: "tool-result",
          toolCallId: String(block.tool_use_id),
          content: toolResultContent(block.content, `${at}.content`, warnings),
          isError: block.is_error === true,
          ...cacheControlOf(block),
        });
        break;
      case "thinking":
        parts.push({ type: "reasoning", text: String(block.thinking ?? ""), ...(block.signature === undefined ? {} : { providerMetadata: { anthropic: { signature: block.signature } } }) });
        break;
      case "redacted_thinking":
        parts.push({ type: "reasoning", text: "", providerMetadata: { anthropic: { redactedData: String(block.data ?? "") } } });
        break;
      default:
        warnings.push({ parameter: `${at}.type`, message: `content block type "${block.type}" is not supported and was dropped` });
    }
  });
  return parts;
}

function imagePart(block: Block, at: string): RelayImagePart {
  const source = block.source ?? {};
  if (source.type === "base64" && typeof source.data === "string") {
    return { type: "image", source: { kind: "base64", mediaType: String(source.media_type ?? "image/png"), data: source.data } };
  }
  if (source.type === "url" && typeof source.url === "string") return { type: "image", source: { kind: "url", url: source.url } };
  throw new RelayError("invalid_request", `${at}.source: images must be base64 or url sources (file ids are not supported).`, { param: `${at}.source` });
}

function documentPart(block: Block, at: string, warnings: RelayWarning[]): RelayDocumentPart {
  const source = block.source ?? {};
  const meta = { title: block.title ?? undefined, context: block.context ?? undefined };
  switch (source.type) {
    case "base64":
      return { type: "document", source: { kind: "base64", mediaType: String(source.media_type ?? "application/pdf"), data: String(source.data ?? "") }, ...meta };
    case "text":
      return { type: "document", source: { kind: "text", mediaType: "text/plain", data: String(source.data ?? "") }, ...meta };
    case "url":
      return { type: "document", source: { kind: "url", url: String(source.url) }, ...meta };
    case "content": {
      const text = textOfBlocks(contentBlocks(source.content ?? []), `${at}.source.content`, warnings).join("\n");
      return { type: "document", source: { kind: "text", mediaType: "text/plain", data: text }, ...meta };
    }
    default:
      throw new RelayError("invalid_request", `${at}.source: documents must be base64, text, url or content sources (file ids are not supported).`, {
        param: `${at}.source`,
      });
  }
}

function toolResultContent(content: unknown, param: string, warnings: RelayWarning[]): Array<RelayTextPart | RelayImagePart | RelayDocumentPart> {
  if (content === undefined || content === null) return [];
  if (typeof content === "string") return [{ type: "text", text: content }];
  if (!Array.isArray(content)) throw new RelayError("invalid_request", `${param} must be a string or an array of blocks.`, { param });
  const parts: Array<RelayTextPart | RelayImagePart | RelayDocumentPart> = [];
  (content as Block[]).forEach((block, index) => {
    if (block.type === "text") parts.push({ type: "text", text: String(block.text ?? "") });
    else if (block.type === "image") parts.push(imagePart(block, `${param}.${index}`));
    else if (block.type === "document") parts.push(documentPart(block, `${param}.${index}`, warnings));
    else warnings.push({ parameter: `${param}.${index}.type`, message: `tool result block type "${block.type}" is not supported and was dropped` });
  });
  return parts;
}
