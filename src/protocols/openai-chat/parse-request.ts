/** OpenAI Chat Completions request -> neutral RelayRequest. */
import { RelayError } from "../../core/relay-error.ts";
import type {
  RelayContentPart,
  RelayImagePart,
  RelayMessage,
  RelayProviderTool,
  RelayRequest,
  RelayResponseFormat,
  RelayToolChoice,
  RelayToolDefinition,
  RelayToolResultPart,
  RelayWarning,
} from "../../core/relay-request.ts";
import type { OpenAIChatMessage, OpenAIChatRequest } from "./schema.ts";
import { mapOpenAIReasoningEffort } from "./map-reasoning-effort.ts";
import { parseOpenAIFileData, parseOpenAIImageUrl } from "./parse-openai-media.ts";
import { checkOpenAIChatRequestShape } from "./check-request-shape.ts";

export interface ParsedOpenAIChatRequest {
  relayRequest: RelayRequest;
  /** stream_options.include_usage: send a final usage chunk. */
  includeUsage: boolean;
  /** The client used the legacy `functions` API: answer with `function_call`, not `tool_calls`. */
  legacyFunctions: boolean;
}

type Part = { type: string; [key: string]: any };

/** Chat Completions parameters without a neutral form, carried raw for the backends that understand them. */
const rawParameters = ["logit_bias", "modalities", "audio", "prediction", "web_search_options", "store"] as const;

export function parseOpenAIChatRequest(body: OpenAIChatRequest): ParsedOpenAIChatRequest {
  checkOpenAIChatRequestShape(body as Record<string, unknown>);
  const warnings: RelayWarning[] = [];
  const fields = body as Record<string, unknown>;

  const systemTexts: string[] = [];
  const messages: RelayMessage[] = [];
  const legacyCallIds: string[] = [];
  body.messages.forEach((message, index) => {
    const param = `messages.${index}`;
    switch (message.role) {
      case "system":
      case "developer":
        systemTexts.push(textOf(message.content, `${param}.content`));
        break;
      case "user":
        messages.push({ role: "user", content: userContent(message.content, `${param}.content`, warnings) });
        break;
      case "assistant":
        messages.push({ role: "assistant", content: assistantContent(message, param, legacyCallIds, warnings) });
        break;
      case "tool":
        messages.push({ role: "user", content: [toolResult(message.tool_call_id, message.content, param, warnings)] });
        break;
      case "function":
        messages.push({ role: "user", content: [toolResult(legacyCallIds.shift() ?? `call_${message.name ?? index}`, message.content, param, warnings)] });
        break;
    }
  });

  const stopSequences = body.stop === undefined || body.stop === null ? [] : typeof body.stop === "string" ? [body.stop] : body.stop;

  const legacyFunctions = !body.tools?.length && Array.isArray(body.functions) && body.functions.length > 0;
  const relayRequest: RelayRequest = {
    model: body.model,
    system: systemTexts.length > 0 ? systemTexts.join("\n\n") : undefined,
    messages,
    stream: body.stream === true,
    maxOutputTokens: body.max_completion_tokens ?? body.max_tokens ?? undefined,
    maxOutputTokensParameter: body.max_completion_tokens != null ? "max_completion_tokens" : "max_tokens",
    temperature: body.temperature ?? undefined,
    topP: body.top_p ?? undefined,
    stopSequences: stopSequences.length > 0 ? stopSequences : undefined,
    seed: numberOrUndefined(fields.seed),
    frequencyPenalty: numberOrUndefined(fields.frequency_penalty),
    presencePenalty: numberOrUndefined(fields.presence_penalty),
    choiceCount: body.n ?? undefined,
    logprobs: typeof fields.logprobs === "boolean" ? fields.logprobs : undefined,
    topLogprobs: numberOrUndefined(fields.top_logprobs),
    userId: body.user ?? undefined,
    metadata: stringRecordOrUndefined(fields.metadata),
    serviceTier: typeof fields.service_tier === "string" ? fields.service_tier : undefined,
    providerOptions: rawOptions(fields),
    warnings,
    ...mapOpenAIReasoningEffort(body.reasoning_effort ?? undefined, "reasoning_effort", warnings),
    ...tools(body, legacyFunctions, warnings),
    responseFormat: responseFormat(body.response_format, warnings),
  };
  return { relayRequest, includeUsage: body.stream === true && body.stream_options?.include_usage === true, legacyFunctions };
}

function numberOrUndefined(value: unknown): number | undefined {
  return typeof value === "number" ? value : undefined;
}

function stringRecordOrUndefined(value: unknown): Record<string, string> | undefined {
  if (!value || typeof value !== "object" || Array.isArray(value)) return undefined;
  const entries = Object.entries(value as Record<string, unknown>).filter((entry): entry is [string, string] => typeof entry[1] === "string");
  return entries.length > 0 ? Object.fromEntries(entries) : undefined;
}

function rawOptions(fields: Record<string, unknown>): RelayRequest["providerOptions"] {
  const openai: Record<string, unknown> = {};
  for (const name of rawParameters) if (fields[name] !== undefined && fields[name] !== null) openai[name] = fields[name];
  return Object.keys(openai).length > 0 ? { openai } : undefined;
}

function tools(body: OpenAIChatRequest, legacy: boolean, warnings: RelayWarning[]): Pick<RelayRequest, "tools" | "providerTools" | "toolChoice" | "parallelToolCalls"> {
  if (legacy) {
    // The legacy API makes at most one call per turn.
    return {
      tools: (body.functions ?? []).map((fn, index) => toolDefinition(fn, `functions.${index}`)),
      toolChoice: toolChoice(body.function_call, "function_call", warnings),
      parallelToolCalls: false,
    };
  }
  const definitions: RelayToolDefinition[] = [];
  const providerTools: RelayProviderTool[] = [];
  (body.tools ?? []).forEach((tool, index) => {
    if (tool.type === "function" && tool.function) definitions.push(toolDefinition(tool.function, `tools.${index}.function`));
    else providerTools.push({ provider: "openai", type: String(tool.type), parameter: `tools.${index}`, raw: tool as Record<string, unknown> });
  });
  if (definitions.length === 0) return providerTools.length > 0 ? { providerTools } : {};
  return {
    tools: definitions,
    ...(providerTools.length > 0 ? { providerTools } : {}),
    toolChoice: toolChoice(body.tool_choice, "tool_choice", warnings),
    parallelToolCalls: body.parallel_tool_calls ?? undefined,
  };
}

function toolDefinition(fn: { name: string; description?: string; parameters?: Record<string, unknown> }, param: string): RelayToolDefinition {
  if (!/^[a-zA-Z0-9_-]{1,64}$/.test(fn.name)) {
    throw new RelayError("invalid_request", `${param}.name must be 1-64 letters, digits, underscores or dashes.`, { param: `${param}.name` });
  }
  return {
    name: fn.name,
    description: fn.description,
    inputSchema: fn.parameters && Object.keys(fn.parameters).length > 0 ? fn.parameters : { type: "object", properties: {} },
  };
}

function toolChoice(choice: unknown, param: string, warnings: RelayWarning[]): RelayToolChoice | undefined {
  if (choice === undefined || choice === null || choice === "auto") return choice === "auto" ? { type: "auto" } : undefined;
  if (choice === "none") return { type: "none" };
  if (choice === "required") return { type: "required" };
  const object = choice as { type?: string; function?: { name?: string }; name?: string };
  const name = object.function?.name ?? object.name;
  if ((object.type === "function" || param === "function_call") && typeof name === "string") return { type: "tool", name };
  warnings.push({ parameter: param, message: `tool choice ${JSON.stringify(choice)} is not supported; using auto` });
  return { type: "auto" };
}

function responseFormat(format: unknown, warnings: RelayWarning[]): RelayResponseFormat | undefined {
  const value = format as { type?: string; json_schema?: { name?: string; schema?: Record<string, unknown> } } | null | undefined;
  if (!value || value.type === "text") return undefined;
  if (value.type === "json_object") return { type: "json" };
  if (value.type === "json_schema") {
    const schema = value.json_schema?.schema;
    if (!schema || typeof schema !== "object") {
      throw new RelayError("invalid_request", "response_format.json_schema.schema is required.", { param: "response_format.json_schema.schema" });
    }
    return { type: "json", schema, name: value.json_schema?.name };
  }
  warnings.push({ parameter: "response_format.type", message: `response format "${value.type}" is not supported; answering in text` });
  return undefined;
}


function textOf(content: OpenAIChatMessage["content"], param: string): string {
  if (content === undefined || content === null) return "";
  if (typeof content === "string") return content;
  return content
    .map((part: Part, index) => {
      if (part.type === "text" || part.type === "input_text") return String(part.text ?? "");
      throw new RelayError("invalid_request", `${param}.${index}: only text parts are allowed here, got "${part.type}".`, { param: `${param}.${index}.type` });
    })
    .join("");
}

function userContent(content: OpenAIChatMessage["content"], param: string, warnings: RelayWarning[]): RelayContentPart[] {
  if (content === undefined || content === null) return [];
  if (typeof content === "string") return [{ type: "text", text: content }];
  const parts: RelayContentPart[] = [];
  content.forEach((part: Part, index) => {
    const at = `${param}.${index}`;
    switch (part.type) {
      case "text":
        parts.push({ type: "text", text: String(part.text ?? "") });
        break;
      case "image_url": {
        const url = typeof part.image_url === "string" ? part.image_url : part.image_url?.url;
        if (typeof url !== "string") throw new RelayError("invalid_request", `${at}.image_url.url must be a string.`, { param: `${at}.image_url.url` });
        parts.push(imagePart(url, at));
        break;
      }
      case "file":
        parts.push(filePart(part.file ?? {}, at));
        break;
      case "input_audio":
        throw new RelayError("invalid_request", `${at}: audio input is not supported by the Claude Code backend.`, { param: `${at}.type` });
      default:
        warnings.push({ parameter: `${at}.type`, message: `content part type "${part.type}" is not supported and was dropped` });
    }
  });
  return parts;
}

function imagePart(url: string, at: string): RelayImagePart {
  return parseOpenAIImageUrl(url, `${at}.image_url.url`);
}

function filePart(file: { file_data?: string; file_id?: string; filename?: string }, at: string): RelayContentPart {
  if (file.file_id) {
    throw new RelayError("invalid_request", `${at}: file_id references are not supported; send the file inline as file_data.`, { param: `${at}.file.file_id` });
  }
  if (typeof file.file_data !== "string") {
    throw new RelayError("invalid_request", `${at}: file.file_data is required.`, { param: `${at}.file.file_data` });
  }
  return parseOpenAIFileData(file.file_data, file.filename, `${at}.file.file_data`);
}

function assistantContent(message: OpenAIChatMessage, param: string, legacyCallIds: string[], warnings: RelayWarning[]): RelayContentPart[] {
  const parts: RelayContentPart[] = [];
  const { content } = message;
  if (typeof content === "string") parts.push({ type: "text", text: content });
  else if (Array.isArray(content)) {
    (content as Part[]).forEach((part, index) => {
      if (part.type === "text") parts.push({ type: "text", text: String(part.text ?? "") });
      else if (part.type === "refusal") parts.push({ type: "text", text: String(part.refusal ?? "") });
      else warnings.push({ parameter: `${param}.content.${index}.type`, message: `assistant content part type "${part.type}" is not supported and was dropped` });
    });
  }
  message.tool_calls?.forEach((call, index) => {
    parts.push({ type: "tool-call", id: call.id, name: call.function.name, input: parseArguments(call.function.arguments, `${param}.tool_calls.${index}.function.arguments`) });
  });
  if (message.function_call) {
    const id = `call_legacy_${legacyCallIds.length}_${message.function_call.name}`;
    legacyCallIds.push(id);
    parts.push({ type: "tool-call", id, name: message.function_call.name, input: parseArguments(message.function_call.arguments, `${param}.function_call.arguments`) });
  }
  return parts;
}

function parseArguments(text: string, param: string): unknown {
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new RelayError("invalid_request", `${param} must be a JSON object string.`, { param });
  }
}

function toolResult(toolCallId: string | undefined, content: OpenAIChatMessage["content"], param: string, warnings: RelayWarning[]): RelayToolResultPart {
  if (!toolCallId) throw new RelayError("invalid_request", `${param}.tool_call_id is required for tool messages.`, { param: `${param}.tool_call_id` });
  const parts: RelayToolResultPart["content"] = [];
  if (typeof content === "string") parts.push({ type: "text", text: content });
  else if (Array.isArray(content)) {
    content.forEach((part: Part, index) => {
      if (part.type === "text") parts.push({ type: "text", text: String(part.text ?? "") });
      else if (part.type === "image_url") parts.push(imagePart(part.image_url?.url ?? "", `${param}.content.${index}`));
      else warnings.push({ parameter: `${param}.content.${index}.type`, message: `tool content part type "${part.type}" is not supported and was dropped` });
    });
  }
  return { type: "tool-result", toolCallId, content: parts, isError: false };
}
