/** OpenAI Responses request (plus the stored conversation it continues, if any) -> neutral RelayRequest. */
import { RelayError } from "../../core/relay-error.ts";
import type { RelayProviderTool, RelayRequest, RelayResponseFormat, RelayToolChoice, RelayToolDefinition, RelayWarning } from "../../core/relay-request.ts";
import type { StoredConversation } from "../../store/response-store.ts";
import { parseOpenAIResponsesInputItems, type OpenAIResponsesItem } from "./parse-input-items.ts";
import type { OpenAIResponsesRequest } from "./schema.ts";
import { mapOpenAIReasoningEffort } from "../openai-chat/map-reasoning-effort.ts";
import { checkOpenAIResponsesRequestShape } from "./check-request-shape.ts";

export interface ParsedOpenAIResponsesRequest {
  relayRequest: RelayRequest;
  /** This request's input items with ids, for GET /v1/responses/{id}/input_items. */
  inputItems: OpenAIResponsesItem[];
  /** The conversation through this request's input (without `instructions`, which are not carried over). */
  conversation: StoredConversation;
  /** Whether the response is to be stored (`store`, true unless the client says false). */
  store: boolean;
}

/** Responses parameters without a neutral form, carried raw (under these names) for the backends that understand them. */
function rawOptions(body: OpenAIResponsesRequest): RelayRequest["providerOptions"] {
  const fields = body as Record<string, unknown>;
  const openai: Record<string, unknown> = {};
  for (const name of ["max_tool_calls", "background", "truncation"]) if (fields[name] !== undefined && fields[name] !== null) openai[name] = fields[name];
  if (body.text?.verbosity) openai["text.verbosity"] = body.text.verbosity;
  return Object.keys(openai).length > 0 ? { openai } : undefined;
}

export function parseOpenAIResponsesRequest(body: OpenAIResponsesRequest, previous?: StoredConversation): ParsedOpenAIResponsesRequest {
  checkOpenAIResponsesRequestShape(body as Record<string, unknown>);
  const warnings: RelayWarning[] = [];
  rejectUnsupported(body);
  const fields = body as Record<string, unknown>;

  const input = parseOpenAIResponsesInputItems((body.input ?? []) as string | OpenAIResponsesItem[], warnings);
  const conversation: StoredConversation = {
    systemTexts: [...(previous?.systemTexts ?? []), ...input.systemTexts],
    messages: [...(previous?.messages ?? []), ...input.messages],
  };
  if (conversation.messages.length === 0) {
    throw new RelayError("invalid_request", "input is required: a string or at least one user message.", { param: "input" });
  }

  const system = [body.instructions ?? "", ...conversation.systemTexts].filter((text) => text.trim() !== "");
  const relayRequest: RelayRequest = {
    model: body.model,
    system: system.length > 0 ? system.join("\n\n") : undefined,
    messages: conversation.messages,
    stream: body.stream === true,
    maxOutputTokens: body.max_output_tokens ?? undefined,
    maxOutputTokensParameter: "max_output_tokens",
    temperature: body.temperature ?? undefined,
    topP: body.top_p ?? undefined,
    logprobs: body.include?.includes("message.output_text.logprobs") || undefined,
    topLogprobs: typeof fields.top_logprobs === "number" ? fields.top_logprobs : undefined,
    userId: body.safety_identifier ?? body.user ?? undefined,
    metadata: stringRecord(fields.metadata),
    serviceTier: typeof fields.service_tier === "string" ? fields.service_tier : undefined,
    providerOptions: rawOptions(body),
    warnings,
    ...mapOpenAIReasoningEffort(body.reasoning?.effort ?? undefined, "reasoning.effort", warnings),
    ...tools(body, warnings),
    responseFormat: responseFormat(body.text?.format ?? undefined, warnings),
  };
  return { relayRequest, inputItems: input.items, conversation, store: body.store !== false };
}

/** Parameters whose meaning the relay cannot provide at all: a clear 400 beats a silently different answer. */
function rejectUnsupported(body: OpenAIResponsesRequest): void {
  const fields = body as Record<string, unknown>;
  if (fields.conversation !== undefined && fields.conversation !== null) {
    throw new RelayError("invalid_request", "conversation is not supported (the relay has no Conversations API); continue with previous_response_id.", {
      param: "conversation",
    });
  }
  if (fields.prompt !== undefined && fields.prompt !== null) {
    throw new RelayError("invalid_request", "prompt templates are not supported; send instructions and input instead.", { param: "prompt" });
  }
}

function stringRecord(value: unknown): Record<string, string> | undefined {
  if (!value || typeof value !== "object" || Array.isArray(value)) return undefined;
  const entries = Object.entries(value as Record<string, unknown>).filter((entry): entry is [string, string] => typeof entry[1] === "string");
  return entries.length > 0 ? Object.fromEntries(entries) : undefined;
}

function tools(body: OpenAIResponsesRequest, warnings: RelayWarning[]): Pick<RelayRequest, "tools" | "providerTools" | "toolChoice" | "parallelToolCalls"> {
  const definitions: RelayToolDefinition[] = [];
  const providerTools: RelayProviderTool[] = [];
  (body.tools ?? []).forEach((tool, index) => {
    if (tool.type === "function") definitions.push(toolDefinition(tool, `tools.${index}`));
    else providerTools.push({ provider: "openai", type: String(tool.type), parameter: `tools.${index}`, raw: tool as Record<string, unknown> });
  });
  const hosted = providerTools.length > 0 ? { providerTools } : {};
  if (definitions.length === 0) return hosted;
  return { tools: definitions, ...hosted, toolChoice: toolChoice(body.tool_choice, warnings), parallelToolCalls: body.parallel_tool_calls ?? undefined };
}

function toolDefinition(tool: Record<string, unknown>, param: string): RelayToolDefinition {
  const name = tool.name;
  if (typeof name !== "string" || !/^[a-zA-Z0-9_-]{1,64}$/.test(name)) {
    throw new RelayError("invalid_request", `${param}.name must be 1-64 letters, digits, underscores or dashes.`, { param: `${param}.name` });
  }
  const parameters = tool.parameters as Record<string, unknown> | null | undefined;
  return {
    name,
    description: typeof tool.description === "string" ? tool.description : undefined,
    inputSchema: parameters && typeof parameters === "object" && Object.keys(parameters).length > 0 ? parameters : { type: "object", properties: {} },
  };
}

function toolChoice(choice: unknown, warnings: RelayWarning[]): RelayToolChoice | undefined {
  if (choice === undefined || choice === null) return undefined;
  if (choice === "auto" || choice === "none" || choice === "required") return { type: choice };
  const object = choice as { type?: string; name?: string; mode?: string };
  if (object.type === "function" && typeof object.name === "string") return { type: "tool", name: object.name };
  if (object.type === "allowed_tools") {
    warnings.push({ parameter: "tool_choice", message: "allowed_tools cannot narrow the offered tools; every function tool is offered" });
    return { type: object.mode === "required" ? "required" : "auto" };
  }
  warnings.push({ parameter: "tool_choice", message: `tool choice ${JSON.stringify(choice)} is not supported; using auto` });
  return { type: "auto" };
}

function responseFormat(format: Record<string, unknown> | undefined, warnings: RelayWarning[]): RelayResponseFormat | undefined {
  if (!format || format.type === "text") return undefined;
  if (format.type === "json_object") return { type: "json" };
  if (format.type === "json_schema") {
    const schema = format.schema;
    if (!schema || typeof schema !== "object" || Array.isArray(schema)) {
      throw new RelayError("invalid_request", "text.format.schema is required for json_schema.", { param: "text.format.schema" });
    }
    return { type: "json", schema: schema as Record<string, unknown>, name: typeof format.name === "string" ? format.name : undefined };
  }
  warnings.push({ parameter: "text.format.type", message: `text format "${String(format.type)}" is not supported; answering in text` });
  return undefined;
}

