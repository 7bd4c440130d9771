/**
 * OpenAI Responses request schema. It checks what the relay reads and lets every other field through
 * (additionalProperties), so new or unknown fields (Codex sends client_metadata, prompt_cache_key, ...) never
 * cause a rejection. Input items are checked item by item by the parser, which names the offending item.
 */
import { t, type Static } from "elysia";
import { jsonInteger } from "../json-integer.ts";

const open = { additionalProperties: true } as const;

/** One input item: a message (with or without `type`), a function call, its output, a reasoning item, ... */
export const openAIResponsesInputItemSchema = t.Object(
  {
    type: t.Optional(t.String({ error: "each input item's type must be a string" })),
    role: t.Optional(t.String({ error: "role must be a string" })),
  },
  { ...open, error: "each input item must be an object" },
);

export const openAIResponsesRequestSchema = t.Object(
  {
    model: t.String({ error: "model must be a string" }),
    input: t.Optional(t.Union([t.String(), t.Array(openAIResponsesInputItemSchema)], { error: "input must be a string or an array of input items" })),
    instructions: t.Optional(t.Union([t.String(), t.Null()], { error: "instructions must be a string" })),
    previous_response_id: t.Optional(t.Union([t.String({ minLength: 1 }), t.Null()], { error: "previous_response_id must be a response id" })),
    stream: t.Optional(t.Union([t.Boolean(), t.Null()])),
    store: t.Optional(t.Union([t.Boolean(), t.Null()])),
    background: t.Optional(t.Union([t.Boolean(), t.Null()])),
    max_output_tokens: t.Optional(t.Union([jsonInteger({ minimum: 1 }), t.Null()], { error: "max_output_tokens must be an integer >= 1" })),
    temperature: t.Optional(t.Union([t.Number({ minimum: 0, maximum: 2 }), t.Null()], { error: "temperature must be a number between 0 and 2" })),
    top_p: t.Optional(t.Union([t.Number({ minimum: 0, maximum: 1 }), t.Null()], { error: "top_p must be a number between 0 and 1" })),
    tools: t.Optional(t.Union([t.Array(t.Object({ type: t.String() }, open)), t.Null()], { error: "tools must be an array of tools, each with a type" })),
    tool_choice: t.Optional(t.Unknown()),
    parallel_tool_calls: t.Optional(t.Union([t.Boolean(), t.Null()])),
    text: t.Optional(
      t.Union([t.Object({ format: t.Optional(t.Union([t.Object({ type: t.String() }, open), t.Null()])), verbosity: t.Optional(t.Union([t.String(), t.Null()])) }, open), t.Null()], {
        error: "text must be an object such as {format: {type: \"json_schema\", name, schema}}",
      }),
    ),
    reasoning: t.Optional(t.Union([t.Object({ effort: t.Optional(t.Union([t.String(), t.Null()])) }, open), t.Null()])),
    metadata: t.Optional(t.Union([t.Record(t.String(), t.String()), t.Null()], { error: "metadata must be an object of string values" })),
    include: t.Optional(t.Union([t.Array(t.String()), t.Null()], { error: "include must be an array of strings" })),
    truncation: t.Optional(t.Union([t.String(), t.Null()])),
    user: t.Optional(t.Union([t.String(), t.Null()])),
    safety_identifier: t.Optional(t.Union([t.String(), t.Null()])),
  },
  open,
);

/** Query of GET /v1/responses/{id}/input_items. */
export const openAIResponsesInputItemsQuerySchema = t.Object(
  {
    after: t.Optional(t.String()),
    limit: t.Optional(t.Numeric({ minimum: 1, maximum: 100, error: "limit must be an integer between 1 and 100" })),
    order: t.Optional(t.Union([t.Literal("asc"), t.Literal("desc")], { error: "order must be asc or desc" })),
  },
  open,
);

export type OpenAIResponsesRequest = Static<typeof openAIResponsesRequestSchema>;
export type OpenAIResponsesInputItem = Static<typeof openAIResponsesInputItemSchema>;
export type OpenAIResponsesInputItemsQuery = Static<typeof openAIResponsesInputItemsQuerySchema>;
