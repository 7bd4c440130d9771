/**
 * Anthropic Messages request schema. It checks what the relay reads and lets every other field through,
 * so new API fields and betas never cause a rejection.
 */
import { t, type Static } from "elysia";
import { jsonInteger } from "../json-integer.ts";

const open = { additionalProperties: true } as const;

const block = t.Object({ type: t.String({ error: "each content block needs a type" }) }, open);

export const anthropicMessageSchema = t.Object(
  {
    // Claude Code 2.1.x sends role "system" entries inside messages.
    role: t.Union([t.Literal("user"), t.Literal("assistant"), t.Literal("system")], { error: "role must be user, assistant or system" }),
    content: t.Union([t.String(), t.Array(block)], { error: "content must be a string or an array of content blocks" }),
  },
  open,
);

export const anthropicMessagesRequestSchema = t.Object(
  {
    model: t.String({ error: "model: Field required" }),
    messages: t.Array(anthropicMessageSchema, { error: "messages: Field required (an array of messages)" }),
    system: t.Optional(t.Union([t.String(), t.Array(block)], { error: "system must be a string or an array of text blocks" })),
    max_tokens: t.Optional(jsonInteger({ minimum: 1, error: "max_tokens must be an integer >= 1" })),
    stream: t.Optional(t.Boolean()),
    temperature: t.Optional(t.Number({ minimum: 0, maximum: 1, error: "temperature must be a number between 0 and 1" })),
    top_p: t.Optional(t.Number({ minimum: 0, maximum: 1, error: "top_p must be a number between 0 and 1" })),
    top_k: t.Optional(jsonInteger({ minimum: 0, error: "top_k must be an integer >= 0" })),
    stop_sequences: t.Optional(t.Array(t.String(), { error: "stop_sequences must be an array of strings" })),
    thinking: t.Optional(t.Object({ type: t.String(), budget_tokens: t.Optional(jsonInteger()) }, open)),
    metadata: t.Optional(t.Object({ user_id: t.Optional(t.Union([t.String(), t.Null()])) }, open)),
    output_config: t.Optional(t.Object({ effort: t.Optional(t.Union([t.String(), t.Null()])) }, open)),
  },
  open,
);

export const anthropicCountTokensRequestSchema = t.Object(
  {
    model: t.Optional(t.String()),
    messages: t.Array(anthropicMessageSchema, { error: "messages: Field required (an array of messages)" }),
    system: t.Optional(t.Union([t.String(), t.Array(block)])),
  },
  open,
);

export type AnthropicMessagesRequest = Static<typeof anthropicMessagesRequestSchema>;
export type AnthropicMessage = Static<typeof anthropicMessageSchema>;
export type AnthropicCountTokensRequest = Static<typeof anthropicCountTokensRequestSchema>;
