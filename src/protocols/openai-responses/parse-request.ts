/** OpenAI Responses request (plus the stored conversation it continues, if any) -> neutral RelayRequest. */
import { RelayError } from "../../core/relay-error.ts";
import type { RelayRequest, RelayResponseFormat, RelayToolChoice, RelayToolDefinition, RelayWarning } from "../../core/relay-request.ts";
import type { StoredConversation } from "../../store/response-store.ts";
import { parseOpenAIResponsesInputItems, type OpenAIResponsesItem } from "./parse-input-items.ts";
import type { OpenAIResponsesRequest } from "./schema.ts";
import { mapOpenAIReasoningEffort } from "../openai-chat/map-reasoning-effort.ts";

export interface ParsedOpenAIResponsesRequest {
  relayRequest: RelayRequest;
  /** This request's input items with ids, for GET /v1/responses/{id}/input_items. */
  inputItems: OpenAIResponsesItem[];
  /** The conversation through this request's input (without `instructions`, which are not carried over). */
  conversation: StoredConversation;
  /** Whether the response is to be stored (`store`, true unless the client says false). */
  store: boolean;
}

/** Parameters the Claude backend cannot carry; accepted, logged, not honoured. */
const ignoredParameters: Record<string, string> = {
  top_logprobs: "log probabilities are not available",
  max_tool_calls: "the relay offers no hosted tools to limit",
  background: "background responses are not supported; the response is produced while the request waits",
};

export function parseOpenAIResponsesRequest(body: OpenAIResponsesRequest, previous?: StoredConversation): ParsedOpenAIResponsesRequest {
  const warnings: RelayWarning[] = [];
  rejectUnsupported(body);
  for (const [parameter, reason] of Object.entries(ignoredParameters)) {
    const value = (body as Record<string, unknown>)[parameter];
    if (value !== undefined && value !== null && value !== false) warnings.push({ parameter, message: reason });
  }
  if (body.truncation === "auto") warnings.push({ parameter: "truncation", message: "the relay never truncates; a conversation too long for the model is an error" });
  if (body.include?.includes("message.output_text.logprobs")) warnings.push({ parameter: "include", message: "log probabilities are not available" });
  const verbosity = body.text?.verbosity;
  if (verbosity && verbosity !== "medium") warnings.push({ parameter: "text.verbosity", message: `verbosity "${verbosity}" is not supported; ask for it in the instructions` });

  const input = parseOpenAIResponsesInputItems((body.input ?? []) as string | OpenAIResponsesItem[], warnings);
  const conversation: StoredConversation = {
    systemTexts: [...(previous?.systemTexts ?? []), ...input.systemTexts],
    messages: [...(previous?.messages ?? []), ...input.messages],
  };
  if (conversation.messages.length === 0) {
    throw new RelayError("invalid_request", "input is required: a string or at least one user message.", { param: "input" });
  }

  const system = [body.instructions ?? "", ...conversation.systemTexts].filter((text) => text.trim() !== "");
  let temperature = body.temperature ?? undefined;
  if (temperature !== undefined && temperature > 1) {
    warnings.push({ parameter: "temperature", message: `Claude accepts temperature up to 1; ${temperature} was sent as 1` });
    temperature = 1;
  }
  const relayRequest: RelayRequest = {
    model: body.model,
    system: system.length > 0 ? system.join("\n\n") : undefined,
    messages: conversation.messages,
    stream: body.stream === true,
    maxOutputTokens: body.max_output_tokens ?? undefined,
    temperature,
    topP: body.top_p ?? undefined,
    userId: body.safety_identifier ?? body.user ?? undefined,
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

function tools(body: OpenAIResponsesRequest, warnings: RelayWarning[]): Pick<RelayRequest, "tools" | "toolChoice" | "parallelToolCalls"> {
  const definitions: RelayToolDefinition[] = [];
  (body.tools ?? []).forEach((tool, index) => {
    if (tool.type === "function") definitions.push(toolDefinition(tool, `tools.${index}`));
    else warnings.push({ parameter: `tools.${index}.type`, message: `tool type "${tool.type}" is not supported and was dropped` });
  });
  if (definitions.length === 0) return {};
  return { tools: definitions, toolChoice: toolChoice(body.tool_choice, warnings), parallelToolCalls: body.parallel_tool_calls ?? undefined };
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

