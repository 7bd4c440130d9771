/**
 * A complete neutral response -> OpenAI Responses `response` object. The streaming renderer builds the same
 * items and the same envelope, so a streamed response and a stored one look alike.
 */
import { RelayError } from "../../core/relay-error.ts";
import type { RelayResponse, RelayResponsePart, RelayUsage } from "../../core/relay-event.ts";
import { mapOpenAIResponsesOutcome, type OpenAIResponsesOutcome } from "./map-response-status.ts";
import { encodeReasoningEncryptedContent } from "./reasoning-encrypted-content.ts";
import { renderOpenAIResponsesErrorDetails } from "./render-error.ts";
import { renderOpenAIResponsesUsage, type OpenAIResponsesUsage } from "./render-usage.ts";
import type { OpenAIResponsesRequest } from "./schema.ts";
import { newId } from "../../util/new-id.ts";

export type OpenAIResponsesItemStatus = "in_progress" | "completed" | "incomplete";

export interface OpenAIResponsesOutputText {
  type: "output_text";
  text: string;
  /** Always empty: the relay has no citations or log probabilities to report. */
  annotations: never[];
  logprobs: never[];
}

export interface OpenAIResponsesReasoningText {
  type: "reasoning_text";
  text: string;
}

export type OpenAIResponsesOutputItem =
  | { type: "message"; id: string; status: OpenAIResponsesItemStatus; role: "assistant"; content: OpenAIResponsesOutputText[] }
  | { type: "function_call"; id: string; status: OpenAIResponsesItemStatus; call_id: string; name: string; arguments: string }
  | {
      type: "reasoning";
      id: string;
      status: OpenAIResponsesItemStatus;
      /** Empty: Claude's thinking is carried whole in `content`, not summarised. */
      summary: never[];
      content: OpenAIResponsesReasoningText[];
      encrypted_content?: string;
    };

/** The request parameters every response object repeats, as OpenAI's do. */
export interface OpenAIResponsesEchoedParameters {
  instructions: string | null;
  max_output_tokens: number | null;
  metadata: Record<string, string>;
  parallel_tool_calls: boolean;
  previous_response_id: string | null;
  reasoning: { effort: string | null; summary: string | null };
  store: boolean;
  temperature: number | null;
  text: { format: Record<string, unknown> };
  tool_choice: unknown;
  tools: unknown[];
  top_p: number | null;
  truncation: string;
  user: string | null;
}

/** What identifies one response across its events and its stored copy. */
export interface OpenAIResponsesRenderContext {
  id: string;
  /** Unix seconds. */
  createdAt: number;
  /** The model named until the backend reports the real one. */
  model: string;
  parameters: OpenAIResponsesEchoedParameters;
}

type IncompleteReason = Extract<OpenAIResponsesOutcome, { status: "incomplete" }>["reason"];

export type OpenAIResponsesStatus = "in_progress" | OpenAIResponsesOutcome["status"];

export interface OpenAIResponsesObject extends OpenAIResponsesEchoedParameters {
  id: string;
  /** Always null: no access program applies to a relayed answer (the official SDK types it as always present). */
  access_programs: null;
  object: "response";
  created_at: number;
  completed_at: number | null;
  status: OpenAIResponsesStatus;
  background: boolean;
  error: ReturnType<typeof renderOpenAIResponsesErrorDetails> | null;
  incomplete_details: { reason: IncompleteReason } | null;
  model: string;
  output: OpenAIResponsesOutputItem[];
  output_text: string;
  service_tier: "default";
  usage: OpenAIResponsesUsage | null;
}

export function echoOpenAIResponsesParameters(body: OpenAIResponsesRequest): OpenAIResponsesEchoedParameters {
  const reasoning = (body.reasoning ?? {}) as { effort?: string | null; summary?: string | null };
  return {
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    metadata: body.metadata ?? {},
    parallel_tool_calls: body.parallel_tool_calls ?? true,
    previous_response_id: body.previous_response_id ?? null,
    reasoning: { effort: reasoning.effort ?? null, summary: reasoning.summary ?? null },
    store: body.store ?? true,
    temperature: body.temperature ?? null,
    text: { format: body.text?.format ?? { type: "text" } },
    tool_choice: body.tool_choice ?? "auto",
    tools: body.tools ?? [],
    top_p: body.top_p ?? null,
    truncation: body.truncation ?? "disabled",
    user: body.user ?? null,
  };
}

/** A new item id with the Responses API's prefix for its kind (msg_, fc_, rs_, ...). */
export function newOpenAIResponsesItemId(prefix: string): string {
  return newId(`${prefix}_`, 32);
}

/** One finished part of the answer as an output item. */
export function renderOpenAIResponsesOutputItem(part: RelayResponsePart, id: string, status: OpenAIResponsesItemStatus = "completed"): OpenAIResponsesOutputItem {
  switch (part.type) {
    case "text":
      return { type: "message", id, status, role: "assistant", content: [renderOutputText(part.text)] };
    case "tool-call":
      return { type: "function_call", id, status, call_id: part.id, name: part.name, arguments: part.input || "{}" };
    case "reasoning": {
      const proof = part.providerMetadata?.anthropic ?? {};
      const encrypted = encodeReasoningEncryptedContent(proof);
      return {
        type: "reasoning",
        id,
        status,
        summary: [],
        content: proof.redactedData !== undefined ? [] : [{ type: "reasoning_text", text: part.text }],
        ...(encrypted ? { encrypted_content: encrypted } : {}),
      };
    }
    default: {
      const unreachable: never = part;
      throw new Error(`unknown response part ${JSON.stringify(unreachable)}`);
    }
  }
}

export function renderOutputText(text: string): OpenAIResponsesOutputText {
  return { type: "output_text", text, annotations: [], logprobs: [] };
}

/** The item id prefix for a part of the answer. */
export function outputItemIdPrefix(type: RelayResponsePart["type"]): string {
  return type === "text" ? "msg" : type === "tool-call" ? "fc" : "rs";
}

/** The response envelope around `output`, in any state from created to finished. */
export function renderOpenAIResponsesObject(
  context: OpenAIResponsesRenderContext,
  state: { model: string; output: OpenAIResponsesOutputItem[]; status: OpenAIResponsesStatus; usage?: RelayUsage; incompleteReason?: IncompleteReason; error?: RelayError },
): OpenAIResponsesObject {
  const finished = state.status !== "in_progress";
  return {
    id: context.id,
    access_programs: null,
    object: "response",
    created_at: context.createdAt,
    completed_at: state.status === "completed" ? Math.floor(Date.now() / 1000) : null,
    status: state.status,
    background: false,
    error: state.error ? renderOpenAIResponsesErrorDetails(state.error) : null,
    incomplete_details: state.incompleteReason ? { reason: state.incompleteReason } : null,
    model: state.model,
    output: state.output,
    output_text: state.output
      .flatMap((item) => (item.type === "message" ? item.content.map((content) => content.text) : []))
      .join(""),
    service_tier: "default",
    usage: finished && state.usage ? renderOpenAIResponsesUsage(state.usage) : null,
    ...context.parameters,
  };
}

/** The finished response as one object (non-streaming answers and what is stored). */
export function renderOpenAIResponsesResponse(response: RelayResponse, context: OpenAIResponsesRenderContext): OpenAIResponsesObject {
  const output = response.content.map((part) => renderOpenAIResponsesOutputItem(part, newOpenAIResponsesItemId(outputItemIdPrefix(part.type))));
  return renderFinishedObject(context, { model: response.model || context.model, output, usage: response.usage, outcome: mapOpenAIResponsesOutcome(response.finishReason) });
}

/** The envelope of a finished response, completed, incomplete or failed. */
export function renderFinishedObject(
  context: OpenAIResponsesRenderContext,
  state: { model: string; output: OpenAIResponsesOutputItem[]; usage: RelayUsage; outcome: OpenAIResponsesOutcome },
): OpenAIResponsesObject {
  const { outcome } = state;
  switch (outcome.status) {
    case "completed":
      return renderOpenAIResponsesObject(context, { ...state, status: "completed" });
    case "incomplete":
      return renderOpenAIResponsesObject(context, { ...state, status: "incomplete", incompleteReason: outcome.reason });
    case "failed":
      return renderOpenAIResponsesObject(context, { ...state, status: "failed", error: new RelayError("api_error", outcome.message, { status: 502 }) });
    default: {
      const unreachable: never = outcome;
      throw new Error(`unknown outcome ${JSON.stringify(unreachable)}`);
    }
  }
}
