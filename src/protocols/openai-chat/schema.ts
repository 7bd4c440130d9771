/**
 * OpenAI Chat Completions request schema. It checks what the relay reads and lets every other field
 * through (additionalProperties), so new or unknown fields never cause a rejection.
 */
import { t, type Static } from "elysia";
import { jsonInteger } from "../json-integer.ts";

const open = { additionalProperties: true } as const;

const contentPart = t.Object({ type: t.String() }, open);

export const openAIChatMessageSchema = t.Object(
  {
    role: t.Union([t.Literal("system"), t.Literal("developer"), t.Literal("user"), t.Literal("assistant"), t.Literal("tool"), t.Literal("function")], {
      error: "role must be one of system, developer, user, assistant, tool, function",
    }),
    content: t.Optional(t.Union([t.String(), t.Array(contentPart), t.Null()], { error: "content must be a string, an array of content parts, or null" })),
    name: t.Optional(t.String()),
    tool_call_id: t.Optional(t.String()),
    tool_calls: t.Optional(t.Array(t.Object({ id: t.String(), type: t.Optional(t.String()), function: t.Object({ name: t.String(), arguments: t.String() }, open) }, open))),
    function_call: t.Optional(t.Union([t.Object({ name: t.String(), arguments: t.String() }, open), t.Null()])),
  },
  open,
);

export const openAIChatRequestSchema = t.Object(
  {
    model: t.String({ error: "model must be a string" }),
    messages: t.Array(openAIChatMessageSchema, { minItems: 1, error: "messages must be a non-empty array of messages" }),
    stream: t.Optional(t.Union([t.Boolean(), t.Null()])),
    stream_options: t.Optional(t.Union([t.Object({ include_usage: t.Optional(t.Union([t.Boolean(), t.Null()])) }, open), t.Null()])),
    max_tokens: t.Optional(t.Union([jsonInteger({ minimum: 1 }), t.Null()], { error: "max_tokens must be an integer >= 1" })),
    max_completion_tokens: t.Optional(t.Union([jsonInteger({ minimum: 1 }), t.Null()], { error: "max_completion_tokens must be an integer >= 1" })),
    temperature: t.Optional(t.Union([t.Number({ minimum: 0, maximum: 2 }), t.Null()], { error: "temperature must be a number between 0 and 2" })),
    top_p: t.Optional(t.Union([t.Number({ minimum: 0, maximum: 1 }), t.Null()], { error: "top_p must be a number between 0 and 1" })),
    n: t.Optional(t.Union([jsonInteger({ minimum: 1 }), t.Null()], { error: "n must be an integer >= 1" })),
    stop: t.Optional(t.Union([t.String(), t.Array(t.String()), t.Null()], { error: "stop must be a string or an array of strings" })),
    reasoning_effort: t.Optional(t.Union([t.String(), t.Null()])),
    tools: t.Optional(
      t.Union([
        t.Array(
          t.Object(
            {
              type: t.String(),
              function: t.Optional(t.Object({ name: t.String(), description: t.Optional(t.String()), parameters: t.Optional(t.Record(t.String(), t.Unknown())) }, open)),
            },
            open,
          ),
          { error: "tools must be an array of {type: \"function\", function: {name, description, parameters}}" },
        ),
        t.Null(),
      ]),
    ),
    functions: t.Optional(
      t.Union([t.Array(t.Object({ name: t.String(), description: t.Optional(t.String()), parameters: t.Optional(t.Record(t.String(), t.Unknown())) }, open)), t.Null()]),
    ),
    parallel_tool_calls: t.Optional(t.Union([t.Boolean(), t.Null()])),
    tool_choice: t.Optional(t.Unknown()),
    function_call: t.Optional(t.Unknown()),
    response_format: t.Optional(t.Union([t.Object({ type: t.String() }, open), t.Null()], { error: "response_format must be an object with a type" })),
    user: t.Optional(t.Union([t.String(), t.Null()])),
  },
  open,
);

export type OpenAIChatRequest = Static<typeof openAIChatRequestSchema>;
export type OpenAIChatMessage = Static<typeof openAIChatMessageSchema>;
