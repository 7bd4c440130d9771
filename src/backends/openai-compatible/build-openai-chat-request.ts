/** The neutral request -> a Chat Completions request body for one provider: parameters, tools, limits, reasoning. */
import { createHash } from "node:crypto";
import { estimateRelayInputTokens } from "../../core/estimate-relay-input-tokens.ts";
import { RelayError } from "../../core/relay-error.ts";
import type { RelayRequest, RelayResponseFormat, RelayToolChoice, RelayWarning } from "../../core/relay-request.ts";
import { compactSystemPrompt } from "./compact-system-prompt.ts";
import type { OpenAIChatMessage, OpenAIChatRequestBody, OpenAIChatResponseFormat, OpenAIChatToolChoice } from "./openai-chat-wire.ts";
import type { OpenAICompatibleOptions, OpenAIDialect, OpenAIModelLimits } from "./openai-compatible-options.ts";
import { toOpenAIChatMessages } from "./to-openai-chat-messages.ts";

export interface BuildOpenAIChatRequestInput {
  request: RelayRequest;
  /** The model as the provider names it. */
  model: string;
  options: OpenAICompatibleOptions;
  dialect: OpenAIDialect;
  /** The model's limits, when the routing file or /models reported them. */
  limits: OpenAIModelLimits | undefined;
  /** Send the output limit as max_completion_tokens (reasoning models, or learned from an upstream 400). */
  maxCompletionTokens: boolean;
  /** Leave reasoning effort out (learned from an upstream 400: the model has no reasoning). */
  omitReasoningEffort?: boolean;
}

export interface BuiltOpenAIChatRequest {
  body: OpenAIChatRequestBody;
  warnings: RelayWarning[];
}

export function buildOpenAIChatRequest(input: BuildOpenAIChatRequestInput): BuiltOpenAIChatRequest {
  const { request, options, dialect } = input;
  const warnings: RelayWarning[] = [];
  const messages: OpenAIChatMessage[] = [];
  const system = systemText(request.system, options, warnings);
  if (system) messages.push({ role: "system", content: system });
  messages.push(...toOpenAIChatMessages(request.messages, { providerName: options.name, pdf: options.pdf ?? "file", sendsReasoningContent: dialect.sendsReasoningContent, warnings }));

  const body: OpenAIChatRequestBody = { model: input.model, messages, stream: true, stream_options: { include_usage: true } };
  const maxTokens = clampOutputTokens(request.maxOutputTokens, input.limits, messages, request, warnings);
  if (maxTokens !== undefined) {
    if (input.maxCompletionTokens) body.max_completion_tokens = maxTokens;
    else body.max_tokens = maxTokens;
  }
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.topP !== undefined) body.top_p = request.topP;
  if (request.topK !== undefined) {
    if (dialect.acceptsTopK) body.top_k = request.topK;
    else warnings.push({ parameter: "top_k", message: `provider "${options.name}" does not accept top_k; it was not sent` });
  }
  if (request.stopSequences && request.stopSequences.length > 0) body.stop = request.stopSequences;
  if (request.userId !== undefined) body.user = endUserIdOf(request.userId);
  if (request.seed !== undefined) body.seed = request.seed;
  if (request.frequencyPenalty !== undefined) body.frequency_penalty = request.frequencyPenalty;
  if (request.presencePenalty !== undefined) body.presence_penalty = request.presencePenalty;
  if (request.choiceCount !== undefined && request.choiceCount > 1) {
    // The neutral event stream carries one answer; several choices reach a client only through the passthrough.
    throw new RelayError(
      "invalid_request",
      `n = ${request.choiceCount} is not supported for this request: it is translated, which returns one choice. Chat Completions requests to a route whose targets are all OpenAI-compatible providers are passed through with n as sent.`,
      { param: "n" },
    );
  }
  if (request.logprobs) warnings.push({ parameter: "logprobs", message: "log probabilities are not carried through the relay" });
  for (const tool of request.providerTools ?? []) warnings.push({ parameter: tool.parameter, message: `the ${tool.provider} server tool "${tool.type}" cannot run at provider "${options.name}" and was not sent` });
  Object.assign(body, passThroughOptions(request, dialect, options.name, warnings));
  if (request.tools && request.tools.length > 0) {
    body.tools = request.tools.map((tool) => ({
      type: "function",
      function: { name: tool.name, ...(tool.description ? { description: tool.description } : {}), parameters: tool.inputSchema },
    }));
    if (request.toolChoice) body.tool_choice = toOpenAIToolChoice(request.toolChoice);
    if (request.parallelToolCalls === false) body.parallel_tool_calls = false;
  } else if (request.toolChoice && request.toolChoice.type !== "auto" && request.toolChoice.type !== "none") {
    throw new RelayError("invalid_request", "tool_choice names a tool, but the request declares no tools.", { param: "tool_choice" });
  }
  if (request.responseFormat) body.response_format = toOpenAIResponseFormat(request.responseFormat);
  const effort = reasoningEffortOf(request);
  if (effort && input.omitReasoningEffort) warnings.push({ parameter: "reasoning_effort", message: `model "${input.model}" at provider "${options.name}" takes no reasoning effort; it was not sent` });
  else if (effort) {
    if (dialect.openRouter) body.reasoning = { effort };
    else body.reasoning_effort = effort;
  }
  return { body, warnings };
}

/** OpenAI Chat Completions parameters the client sent without a neutral form: passed on where the provider takes them. */
const passedOpenAIOptions = new Set(["logit_bias", "prediction", "web_search_options", "store"]);

function passThroughOptions(request: RelayRequest, dialect: OpenAIDialect, providerName: string, warnings: RelayWarning[]): Record<string, unknown> {
  const passed: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(request.providerOptions?.openai ?? {})) {
    if (passedOpenAIOptions.has(name)) passed[name] = value;
    else if (name === "text.verbosity") passed.verbosity = value;
    else warnings.push({ parameter: name, message: `not supported through provider "${providerName}"; it was not sent` });
  }
  for (const name of Object.keys(request.providerOptions?.anthropic ?? {})) warnings.push({ parameter: name, message: `an Anthropic parameter provider "${providerName}" does not take; it was not sent` });
  // OpenAI's own API knows these; other compatible servers may refuse unknown fields.
  if (request.metadata) {
    if (dialect.openAI) passed.metadata = request.metadata;
    else warnings.push({ parameter: "metadata", message: `provider "${providerName}" does not take metadata; it was not sent` });
  }
  if (request.serviceTier) {
    if (dialect.openAI) passed.service_tier = request.serviceTier;
    else warnings.push({ parameter: "service_tier", message: `provider "${providerName}" does not take service_tier; it was not sent` });
  }
  return passed;
}

function systemText(system: string | undefined, options: OpenAICompatibleOptions, warnings: RelayWarning[]): string | undefined {
  if (!system) return undefined;
  const settings = options.systemPrompt;
  if (!settings || (!settings.compact && settings.maxTokens === undefined)) return system;
  const compacted = compactSystemPrompt(system, { compact: settings.compact ?? false, maxTokens: settings.maxTokens });
  if (compacted.truncated) warnings.push({ parameter: "system", message: `the system prompt was cut to about ${settings.maxTokens} tokens for provider "${options.name}"` });
  return compacted.text;
}

export function toOpenAIToolChoice(choice: RelayToolChoice): OpenAIChatToolChoice {
  switch (choice.type) {
    case "auto":
      return "auto";
    case "none":
      return "none";
    case "required":
      return "required";
    case "tool":
      return { type: "function", function: { name: choice.name } };
    default: {
      const unreachable: never = choice;
      throw new Error(`unhandled tool choice ${JSON.stringify(unreachable)}`);
    }
  }
}

export function toOpenAIResponseFormat(format: RelayResponseFormat): OpenAIChatResponseFormat {
  if (!format.schema) return { type: "json_object" };
  return { type: "json_schema", json_schema: { name: format.name ?? "response", schema: format.schema } };
}

/**
 * OpenAI's effort levels from the client's effort, or from an Anthropic thinking budget. Adaptive and
 * disabled thinking send nothing: the provider's default is the closest meaning.
 */
export function reasoningEffortOf(request: Pick<RelayRequest, "effort" | "thinking">): string | undefined {
  switch (request.effort) {
    case "low":
    case "medium":
    case "high":
    case "xhigh":
      return request.effort;
    case "max":
      return "xhigh";
    case undefined:
      break;
    default: {
      const unreachable: never = request.effort;
      throw new Error(`unhandled effort ${JSON.stringify(unreachable)}`);
    }
  }
  if (request.thinking?.type !== "enabled") return undefined;
  const budget = request.thinking.budgetTokens;
  if (budget === undefined) return "medium";
  if (budget < 4096) return "low";
  if (budget < 16_384) return "medium";
  return "high";
}

/**
 * The client's output limit, lowered to what the model can produce and to what is left of its context
 * after the input; never raised. An input that alone exceeds the context is the upstream's to refuse.
 */
function clampOutputTokens(requested: number | undefined, limits: OpenAIModelLimits | undefined, messages: OpenAIChatMessage[], request: RelayRequest, warnings: RelayWarning[]): number | undefined {
  if (requested === undefined) return undefined;
  let allowed = requested;
  if (limits?.maxOutputTokens !== undefined && limits.maxOutputTokens > 0) allowed = Math.min(allowed, limits.maxOutputTokens);
  if (limits?.contextWindow !== undefined) {
    const room = limits.contextWindow - estimateRelayInputTokens({ ...request, system: systemOf(messages) });
    if (room > 0) allowed = Math.min(allowed, room);
  }
  if (allowed < requested) warnings.push({ parameter: "max_tokens", message: `lowered from ${requested} to ${allowed}, the model's limit` });
  return allowed;
}

/** The system text as sent (compaction applied), for the input estimate. */
function systemOf(messages: OpenAIChatMessage[]): string | undefined {
  const first = messages[0];
  return first?.role === "system" ? first.content : undefined;
}

/**
 * OpenAI refuses a `user` longer than 64 characters, and Claude Code's metadata.user_id is a JSON document
 * of about 150; a longer id is sent as its SHA-256, which still tells end users apart.
 */
export function endUserIdOf(userId: string): string {
  return userId.length <= 64 ? userId : createHash("sha256").update(userId).digest("hex");
}
