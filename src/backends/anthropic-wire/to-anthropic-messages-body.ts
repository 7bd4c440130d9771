/**
 * A neutral request as an Anthropic Messages request body, for the upstreams that speak it (the Anthropic
 * API, Claude on Bedrock). Everything the Messages API can express is sent; what it cannot (OpenAI penalties,
 * seed, logprobs, n > 1, OpenAI server tools) becomes a warning, or a 400 where honouring it silently would
 * change the answer the client asked for.
 */
import { RelayError } from "../../core/relay-error.ts";
import type { RelayCacheControl, RelayRequest, RelayWarning } from "../../core/relay-request.ts";
import { mapRelayContentToAnthropic, mergeConsecutiveTurns, toAnthropicCacheControl } from "./map-relay-content-to-anthropic.ts";

/** An Anthropic content block or request object, as JSON. */
export type AnthropicJson = Record<string, unknown>;

export interface AnthropicMessagesBody {
  body: AnthropicJson;
  /** Parameters the request carried that the Messages API has no place for. */
  warnings: RelayWarning[];
}

export interface ToAnthropicMessagesBodyOptions {
  /** The upstream model id. */
  model: string;
  /** max_tokens when the client sent none (the Messages API requires one). */
  defaultMaxTokens?: number;
}

const fallbackMaxTokens = 8192;

export function toAnthropicMessagesBody(request: RelayRequest, options: ToAnthropicMessagesBodyOptions): AnthropicMessagesBody {
  const warnings: RelayWarning[] = [];
  if ((request.choiceCount ?? 1) > 1) {
    throw new RelayError("invalid_request", "The Anthropic Messages API returns one answer per request; n must be 1.", { param: "n" });
  }
  const thinkingBudget = request.thinking?.type === "enabled" ? request.thinking.budgetTokens : undefined;
  const body: AnthropicJson = {
    model: options.model,
    max_tokens: request.maxOutputTokens ?? Math.max(options.defaultMaxTokens ?? fallbackMaxTokens, (thinkingBudget ?? 0) + 1024),
    messages: mergeConsecutiveTurns(request.messages).map((message) => ({ role: message.role, content: mapRelayContentToAnthropic(message.content, { cacheControl: true }) })),
  };
  const system = toAnthropicSystem(request);
  if (system !== undefined) body.system = system;
  if (request.temperature !== undefined) {
    if (request.temperature > 1) warnings.push({ parameter: "temperature", message: `temperature ${request.temperature} is above Anthropic's maximum of 1; 1 was sent` });
    body.temperature = Math.min(1, request.temperature);
  }
  if (request.topP !== undefined) body.top_p = request.topP;
  if (request.topK !== undefined) body.top_k = request.topK;
  if (request.stopSequences?.length) body.stop_sequences = request.stopSequences;
  if (request.stream) body.stream = true;
  if (request.userId) body.metadata = { user_id: request.userId };
  if (request.thinking) body.thinking = toAnthropicThinking(request.thinking, body.max_tokens as number);
  const outputConfig: AnthropicJson = {};
  if (request.effort) outputConfig.effort = request.effort;
  if (request.responseFormat) {
    outputConfig.format = { type: "json_schema", schema: request.responseFormat.schema ?? { type: "object", additionalProperties: true } };
  }
  if (Object.keys(outputConfig).length > 0) body.output_config = outputConfig;
  const tools = toAnthropicTools(request, warnings);
  if (tools.length > 0) body.tools = tools;
  const toolChoice = toAnthropicToolChoice(request);
  if (toolChoice) body.tool_choice = toolChoice;
  for (const option of Object.entries(request.providerOptions?.anthropic ?? {})) body[option[0]] = option[1];
  warnUnsupported(request, warnings);
  return { body, warnings };
}

function toAnthropicSystem(request: RelayRequest): string | AnthropicJson[] | undefined {
  if (request.systemParts?.length && request.systemParts.some((part) => part.cacheControl)) {
    return request.systemParts.map((part) => withCacheControl({ type: "text", text: part.text }, part.cacheControl));
  }
  return request.system || undefined;
}

function toAnthropicThinking(thinking: NonNullable<RelayRequest["thinking"]>, maxTokens: number): AnthropicJson {
  switch (thinking.type) {
    case "enabled":
      // budget_tokens must be at least 1024 and below max_tokens.
      return { type: "enabled", budget_tokens: Math.max(1024, Math.min(thinking.budgetTokens ?? Math.floor(maxTokens / 2), maxTokens - 1)) };
    case "adaptive":
      return { type: "adaptive" };
    case "disabled":
      return { type: "disabled" };
    default: {
      const unreachable: never = thinking;
      return unreachable;
    }
  }
}

function toAnthropicTools(request: RelayRequest, warnings: RelayWarning[]): AnthropicJson[] {
  const tools: AnthropicJson[] = (request.tools ?? []).map((tool) =>
    withCacheControl({ name: tool.name, ...(tool.description ? { description: tool.description } : {}), input_schema: tool.inputSchema }, tool.cacheControl),
  );
  for (const tool of request.providerTools ?? []) {
    if (tool.provider === "anthropic") tools.push(tool.raw);
    else warnings.push({ parameter: tool.parameter, message: `the ${tool.provider} server tool ${tool.type} is not available on Anthropic models; it was not sent` });
  }
  return tools;
}

function toAnthropicToolChoice(request: RelayRequest): AnthropicJson | undefined {
  const disableParallel = request.parallelToolCalls === false ? { disable_parallel_tool_use: true } : {};
  const choice = request.toolChoice;
  if (!choice) return request.parallelToolCalls === false && request.tools?.length ? { type: "auto", ...disableParallel } : undefined;
  switch (choice.type) {
    case "auto":
      return { type: "auto", ...disableParallel };
    case "none":
      return { type: "none" };
    case "required":
      return { type: "any", ...disableParallel };
    case "tool":
      return { type: "tool", name: choice.name, ...disableParallel };
    default: {
      const unreachable: never = choice;
      return unreachable;
    }
  }
}

function warnUnsupported(request: RelayRequest, warnings: RelayWarning[]): void {
  const unsupported: Array<[string, unknown]> = [
    ["seed", request.seed],
    ["frequency_penalty", request.frequencyPenalty],
    ["presence_penalty", request.presencePenalty],
    ["logprobs", request.logprobs || undefined],
    ["top_logprobs", request.topLogprobs],
  ];
  for (const [parameter, value] of unsupported) {
    if (value !== undefined) warnings.push({ parameter, message: `${parameter} has no equivalent in the Anthropic Messages API; it was not sent` });
  }
  for (const parameter of Object.keys(request.providerOptions?.openai ?? {})) {
    warnings.push({ parameter, message: `${parameter} is an OpenAI parameter without an Anthropic equivalent; it was not sent` });
  }
}

function withCacheControl(block: AnthropicJson, cacheControl: RelayCacheControl | undefined): AnthropicJson {
  return cacheControl ? { ...block, cache_control: toAnthropicCacheControl(cacheControl) } : block;
}
