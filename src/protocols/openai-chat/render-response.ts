/** A complete neutral response -> OpenAI chat.completion. */
import type { RelayResponse } from "../../core/relay-event.ts";
import { mapOpenAIFinishReason } from "./map-finish-reason.ts";
import { renderOpenAIUsage } from "./render-usage.ts";

export function renderOpenAIChatResponse(response: RelayResponse, options: { id: string; created: number }) {
  const text = response.content.flatMap((part) => (part.type === "text" ? [part.text] : [])).join("");
  const reasoning = response.content.flatMap((part) => (part.type === "reasoning" ? [part.text] : [])).join("");
  return {
    id: options.id,
    object: "chat.completion",
    created: options.created,
    model: response.model,
    choices: [
      {
        index: 0,
        message: {
          role: "assistant",
          content: text,
          refusal: null,
          annotations: [],
          // The field DeepSeek, vLLM and OpenRouter-compatible clients read for reasoning; others ignore it.
          ...(reasoning ? { reasoning_content: reasoning } : {}),
        },
        logprobs: null,
        finish_reason: mapOpenAIFinishReason(response.finishReason),
      },
    ],
    usage: renderOpenAIUsage(response.usage),
    system_fingerprint: null,
  };
}
