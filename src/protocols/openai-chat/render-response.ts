/** A complete neutral response -> OpenAI chat.completion. */
import type { RelayResponse } from "../../core/relay-event.ts";
import { mapOpenAIFinishReason } from "./map-finish-reason.ts";
import { renderOpenAIUsage } from "./render-usage.ts";

export function renderOpenAIChatResponse(response: RelayResponse, options: { id: string; created: number; legacyFunctions?: boolean }) {
  const text = response.content.flatMap((part) => (part.type === "text" ? [part.text] : [])).join("");
  const reasoning = response.content.flatMap((part) => (part.type === "reasoning" ? [part.text] : [])).join("");
  const calls = response.content.flatMap((part) => (part.type === "tool-call" ? [part] : []));
  const finishReason = mapOpenAIFinishReason(response.finishReason);
  const toolFields =
    calls.length === 0
      ? {}
      : options.legacyFunctions
        ? { function_call: { name: calls[0].name, arguments: calls[0].input || "{}" } }
        : { tool_calls: calls.map((call) => ({ id: call.id, type: "function" as const, function: { name: call.name, arguments: call.input || "{}" } })) };
  return {
    id: options.id,
    object: "chat.completion" as const,
    created: options.created,
    model: response.model,
    choices: [
      {
        index: 0,
        message: {
          role: "assistant" as const,
          // OpenAI sends null content when the answer is only tool calls.
          content: text === "" && calls.length > 0 ? null : text,
          refusal: null,
          annotations: [],
          // The field DeepSeek, vLLM and OpenRouter-compatible clients read for reasoning; others ignore it.
          ...(reasoning ? { reasoning_content: reasoning } : {}),
          ...toolFields,
        },
        logprobs: null,
        finish_reason: options.legacyFunctions && finishReason === "tool_calls" ? ("function_call" as const) : finishReason,
      },
    ],
    // No system_fingerprint: the API leaves it out when it has none (a null fails the official SDK's type).
    usage: renderOpenAIUsage(response.usage),
  };
}
