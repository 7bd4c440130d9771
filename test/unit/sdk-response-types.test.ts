/**
 * Our non-streaming answers against the official SDKs' type definitions (openai, @anthropic-ai/sdk): each
 * rendered object is assigned to the SDK's type, so `tsc` (part of `npm test`) fails on a missing required
 * field or a field of the wrong type; at run time the same objects are checked for the fields the SDK types
 * mark as required but leave nullable, whose absence a type check cannot see through our renderers.
 */
import type Anthropic from "@anthropic-ai/sdk";
import type OpenAI from "openai";
import { describe, expect, test } from "bun:test";
import type { RelayResponse } from "../../src/core/relay-event.ts";
import { renderAnthropicMessagesResponse } from "../../src/protocols/anthropic-messages/render-response.ts";
import { renderOpenAIChatResponse } from "../../src/protocols/openai-chat/render-response.ts";
import { renderOpenAIResponsesResponse } from "../../src/protocols/openai-responses/render-response.ts";
import { usage } from "./relay-events.ts";

const response: RelayResponse = {
  id: "msg_1",
  model: "claude-sonnet-5",
  content: [
    { type: "reasoning", text: "Two lookups.", providerMetadata: { anthropic: { signature: "c2ln" } } },
    { type: "text", text: "Looking it up." },
    { type: "tool-call", id: "toolu_1", name: "lookup", input: '{"q":"paris"}' },
  ],
  finishReason: { unified: "tool-calls", raw: "tool_use" },
  usage: usage({ inputTokens: 21, outputTokens: 40, cacheReadInputTokens: 100, cacheCreationInputTokens: 5 }),
  warnings: [],
} as unknown as RelayResponse;

describe("answers typed as the official SDKs type them", () => {
  test("Anthropic Message", () => {
    const message: Anthropic.Message = renderAnthropicMessagesResponse(response, { id: "msg_1" });
    expect(message.content.map((block) => block.type)).toEqual(["thinking", "text", "tool_use"]);
  });

  test("OpenAI ChatCompletion", () => {
    const completion: OpenAI.ChatCompletion = renderOpenAIChatResponse(response, { id: "chatcmpl-1", created: 1 });
    expect(completion.choices[0]!.message.tool_calls).toHaveLength(1);
  });

  test("OpenAI Responses Response", () => {
    // The parameters a response repeats are echoed as the client sent them (the API's own examples show
    // "user": null where the SDK types user as an optional string); output_text is the SDK's own addition;
    // error.code may be context_length_exceeded, which the API sends (Codex acts on it) and the SDK's list lacks;
    // usage is null while a streamed response is in progress, as the API's stream examples show.
    type Echoed = "output_text" | "instructions" | "metadata" | "reasoning" | "text" | "tool_choice" | "tools" | "truncation" | "user" | "error" | "usage";
    const object: Omit<OpenAI.Responses.Response, Echoed> = renderOpenAIResponsesResponse(response, { id: "resp_1", createdAt: 1, model: "sonnet", parameters: {} as never });
    expect(object.output.map((item) => item.type)).toEqual(["reasoning", "message", "function_call"]);
    const usage: OpenAI.Responses.ResponseUsage | null = renderOpenAIResponsesResponse(response, { id: "resp_1", createdAt: 1, model: "sonnet", parameters: {} as never }).usage;
    expect(usage).toMatchObject({ input_tokens: 126, output_tokens: 40, input_tokens_details: { cached_tokens: 100 } });
  });
});
