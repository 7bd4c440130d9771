/**
 * What the claude CLI can do with a neutral request: the parsers carry every parameter as the client sent
 * it, and this decides, for this backend only, what is honoured, what is adjusted or dropped with a warning,
 * and what is refused with a 400.
 */
import { RelayError } from "../../core/relay-error.ts";
import type { RelayRequest, RelayWarning } from "../../core/relay-request.ts";

/** Protocol parameters without a neutral form that the CLI cannot carry, by their client-side name. */
const unsupportedProviderOptions: Record<string, string> = {
  // OpenAI
  logit_bias: "Claude models have no logit bias",
  modalities: "only text output is supported",
  audio: "audio output is not supported",
  prediction: "predicted outputs are not supported",
  web_search_options: "web search is not offered in plain API mode",
  max_tool_calls: "the relay offers no hosted tools to limit",
  background: "background responses are not supported; the response is produced while the request waits",
  // Anthropic
  mcp_servers: "request-level MCP servers are not supported",
  container: "code execution containers are not supported",
};

/** Whether a client sent a parameter in a way that asks for something (false, 0, null and [] ask for nothing). */
function asksForSomething(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === 0) return false;
  return !(Array.isArray(value) && value.length === 0);
}

/** The request as the CLI will carry it, and the warnings for what it cannot. Throws a 400 for what it must refuse. */
export function adaptRequestForClaude(request: RelayRequest): { request: RelayRequest; warnings: RelayWarning[] } {
  if (request.choiceCount !== undefined && request.choiceCount > 1) {
    throw new RelayError("invalid_request", "n > 1 is not supported: the Claude Code backend produces one choice per request.", { param: "n" });
  }
  const warnings: RelayWarning[] = [...request.warnings];
  const warn = (parameter: string, message: string) => warnings.push({ parameter, message });

  if (asksForSomething(request.presencePenalty)) warn("presence_penalty", "Claude models have no presence penalty");
  if (asksForSomething(request.frequencyPenalty)) warn("frequency_penalty", "Claude models have no frequency penalty");
  if (asksForSomething(request.seed)) warn("seed", "Claude models do not support seeded sampling");
  if (asksForSomething(request.logprobs)) warn("logprobs", "log probabilities are not available");
  if (asksForSomething(request.topLogprobs)) warn("top_logprobs", "log probabilities are not available");

  for (const options of [request.providerOptions?.openai, request.providerOptions?.anthropic]) {
    for (const [parameter, value] of Object.entries(options ?? {})) {
      const reason = unsupportedProviderOptions[parameter];
      if (reason && asksForSomething(value)) warn(parameter, reason);
    }
  }
  const openai = request.providerOptions?.openai ?? {};
  if (openai.truncation === "auto") warn("truncation", "the relay never truncates; a conversation too long for the model is an error");
  const verbosity = openai["text.verbosity"];
  if (typeof verbosity === "string" && verbosity !== "medium") warn("text.verbosity", `verbosity "${verbosity}" is not supported; ask for it in the instructions`);

  for (const tool of request.providerTools ?? []) {
    if (tool.provider === "anthropic") {
      const name = typeof tool.raw.name === "string" ? tool.raw.name : tool.type;
      warn(tool.parameter, `server tool "${name}" (${tool.type}) is not available through the CLI and was dropped`);
    } else {
      warn(`${tool.parameter}.type`, `tool type "${tool.type}" is not supported and was dropped`);
    }
  }

  let temperature = request.temperature;
  if (temperature !== undefined && temperature > 1) {
    warn("temperature", `Claude accepts temperature up to 1; ${temperature} was sent as 1`);
    temperature = 1;
  }
  let stopSequences = request.stopSequences;
  if (stopSequences) {
    const kept = stopSequences.filter((stop) => stop.trim() !== "");
    if (kept.length < stopSequences.length) warn("stop", "whitespace-only stop sequences are not accepted by Claude and were dropped");
    stopSequences = kept.length > 0 ? kept : undefined;
  }
  return { request: { ...request, temperature, stopSequences }, warnings };
}
