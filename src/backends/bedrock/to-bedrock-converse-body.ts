/**
 * A neutral request as a Bedrock Converse body, for the models that do not speak the Anthropic Messages
 * body (Llama, Mistral, Nova, ...): text, images and documents as bytes, tool calls and results with their
 * ids, tool definitions and choice, and prompt-cache breakpoints as `cachePoint` blocks after the part that
 * carried them. What Converse cannot carry is a 400 naming the parameter, or a warning.
 */
import { RelayError } from "../../core/relay-error.ts";
import type { RelayCacheControl, RelayContentPart, RelayMediaSource, RelayMessage, RelayRequest, RelayWarning } from "../../core/relay-request.ts";
import { mergeConsecutiveTurns } from "../anthropic-wire/map-relay-content-to-anthropic.ts";

type ConverseJson = Record<string, unknown>;

const imageFormats: Record<string, string> = { "image/png": "png", "image/jpeg": "jpeg", "image/jpg": "jpeg", "image/gif": "gif", "image/webp": "webp" };
const documentFormats: Record<string, string> = {
  "application/pdf": "pdf",
  "text/plain": "txt",
  "text/csv": "csv",
  "text/html": "html",
  "text/markdown": "md",
  "application/msword": "doc",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
  "application/vnd.ms-excel": "xls",
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
};

export interface BedrockConverseBody {
  body: ConverseJson;
  warnings: RelayWarning[];
}

export function toBedrockConverseBody(request: RelayRequest): BedrockConverseBody {
  const warnings: RelayWarning[] = [];
  if ((request.choiceCount ?? 1) > 1) throw new RelayError("invalid_request", "Bedrock Converse returns one answer per request; n must be 1.", { param: "n" });
  const documents = { count: 0 };
  const body: ConverseJson = {
    messages: mergeConsecutiveTurns(request.messages).map((message, index) => ({
      role: message.role,
      content: toConverseContent(message.content, `messages.${index}`, documents),
    })),
  };
  const system = toConverseSystem(request);
  if (system.length > 0) body.system = system;
  const inferenceConfig: ConverseJson = {};
  if (request.maxOutputTokens !== undefined) inferenceConfig.maxTokens = request.maxOutputTokens;
  if (request.temperature !== undefined) inferenceConfig.temperature = request.temperature;
  if (request.topP !== undefined) inferenceConfig.topP = request.topP;
  if (request.stopSequences?.length) inferenceConfig.stopSequences = request.stopSequences;
  if (Object.keys(inferenceConfig).length > 0) body.inferenceConfig = inferenceConfig;
  // Model-specific parameters go through additionalModelRequestFields under the model's own names.
  if (request.topK !== undefined) body.additionalModelRequestFields = { top_k: request.topK };
  const toolConfig = toConverseToolConfig(request, warnings);
  if (toolConfig) body.toolConfig = toolConfig;
  if (request.responseFormat) {
    warnings.push({ parameter: "response_format", message: "Bedrock Converse has no structured output mode for this model; the schema was not enforced" });
  }
  if (request.thinking && request.thinking.type !== "disabled") {
    warnings.push({ parameter: "thinking", message: "extended thinking is only sent to Claude models on Bedrock" });
  }
  for (const [parameter, value] of [["seed", request.seed], ["frequency_penalty", request.frequencyPenalty], ["presence_penalty", request.presencePenalty], ["logprobs", request.logprobs || undefined]] as const) {
    if (value !== undefined) warnings.push({ parameter, message: `${parameter} is not supported by Bedrock Converse; it was not sent` });
  }
  for (const tool of request.providerTools ?? []) {
    warnings.push({ parameter: tool.parameter, message: `the server tool ${tool.type} is not available through Bedrock Converse; it was not sent` });
  }
  return { body, warnings };
}

function toConverseSystem(request: RelayRequest): ConverseJson[] {
  if (request.systemParts?.length) return request.systemParts.flatMap((part) => withCachePoint({ text: part.text }, part.cacheControl));
  return request.system ? [{ text: request.system }] : [];
}

function toConverseToolConfig(request: RelayRequest, warnings: RelayWarning[]): ConverseJson | undefined {
  if (!request.tools?.length) return undefined;
  const tools = request.tools.flatMap((tool) =>
    withCachePoint({ toolSpec: { name: tool.name, ...(tool.description ? { description: tool.description } : {}), inputSchema: { json: tool.inputSchema } } }, tool.cacheControl),
  );
  const config: ConverseJson = { tools };
  const choice = request.toolChoice;
  switch (choice?.type) {
    case undefined:
    case "auto":
      break;
    case "required":
      config.toolChoice = { any: {} };
      break;
    case "tool":
      config.toolChoice = { tool: { name: choice.name } };
      break;
    case "none":
      // Converse has no "none"; the tools stay declared (earlier turns may use them) and the model may call one.
      warnings.push({ parameter: "tool_choice", message: "tool_choice none is not supported by Bedrock Converse; the model may still call a tool" });
      break;
    default: {
      const unreachable: never = choice;
      return unreachable;
    }
  }
  if (request.parallelToolCalls === false) warnings.push({ parameter: "parallel_tool_calls", message: "Bedrock Converse cannot limit the model to one tool call per turn" });
  return config;
}

function toConverseContent(parts: RelayContentPart[], parameter: string, documents: { count: number }): ConverseJson[] {
  return parts.flatMap((part, index) => {
    const block = toConverseBlock(part, `${parameter}.content.${index}`, documents);
    if (!block) return [];
    return "cacheControl" in part ? withCachePoint(block, part.cacheControl) : [block];
  });
}

function toConverseBlock(part: RelayContentPart, parameter: string, documents: { count: number }): ConverseJson | undefined {
  switch (part.type) {
    case "text":
      return part.text === "" ? undefined : { text: part.text };
    case "image": {
      const { format, bytes } = mediaBytes(part.source, imageFormats, parameter, "image");
      return { image: { format, source: { bytes } } };
    }
    case "document": {
      const { format, bytes } = mediaBytes(part.source, documentFormats, parameter, "document");
      documents.count++;
      // Converse requires a name of letters, digits, spaces, hyphens, parentheses and brackets.
      const name = (part.title ?? `document ${documents.count}`).replace(/[^A-Za-z0-9 \-()[\]]/g, " ").replace(/\s+/g, " ").trim().slice(0, 200) || `document ${documents.count}`;
      return { document: { format, name, source: { bytes } } };
    }
    case "tool-call":
      return { toolUse: { toolUseId: part.id, name: part.name, input: part.input ?? {} } };
    case "tool-result": {
      const content = part.content.flatMap((inner, index): ConverseJson[] => {
        const block = toConverseBlock(inner, `${parameter}.content.${index}`, documents);
        return block && !("toolUse" in block) && !("toolResult" in block) ? [block] : [];
      });
      return { toolResult: { toolUseId: part.toolCallId, content: content.length > 0 ? content : [{ text: "" }], status: part.isError ? "error" : "success" } };
    }
    case "reasoning":
      // Reasoning from earlier turns belongs to the model that produced it; Converse models do not take it back.
      return undefined;
    default: {
      const unreachable: never = part;
      throw new Error(`unknown content part ${JSON.stringify(unreachable)}`);
    }
  }
}

function mediaBytes(source: RelayMediaSource, formats: Record<string, string>, parameter: string, what: string): { format: string; bytes: string } {
  switch (source.kind) {
    case "base64": {
      const format = formats[source.mediaType];
      if (!format) throw new RelayError("invalid_request", `Bedrock Converse does not accept ${what}s of type ${source.mediaType}.`, { param: parameter });
      return { format, bytes: source.data };
    }
    case "text":
      return { format: "txt", bytes: Buffer.from(source.data, "utf8").toString("base64") };
    case "url":
      throw new RelayError("invalid_request", `Bedrock Converse takes ${what}s as inline data only; send the ${what} base64-encoded instead of as a URL.`, { param: parameter });
    default: {
      const unreachable: never = source;
      return unreachable;
    }
  }
}

function withCachePoint(block: ConverseJson, cacheControl: RelayCacheControl | undefined): ConverseJson[] {
  return cacheControl ? [block, { cachePoint: { type: "default" } }] : [block];
}
