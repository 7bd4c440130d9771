/**
 * Chat Completions stream chunks -> neutral events: text and reasoning deltas as they arrive, tool calls
 * tracked by their index (several in parallel), finish with the real finish_reason and usage. The usage
 * chunk (stream_options.include_usage) comes after the finish_reason chunk, so finish waits for the end.
 */
import { incompleteResponseError, RelayError } from "../../core/relay-error.ts";
import type { RelayEvent } from "../../core/relay-event.ts";
import { emptyUsage } from "../../core/relay-event.ts";
import { mapOpenAIFinishReason } from "./map-openai-finish-reason.ts";
import { mapOpenAIStreamError } from "./map-openai-upstream-error.ts";
import { mapOpenAIUsage } from "./map-openai-usage.ts";
import { SseDecoder, type SseEvent } from "../../wire/sse-decoder.ts";
import type { OpenAIChatChunk, OpenAIChatToolCallDelta, OpenAIChatUsage } from "./openai-chat-wire.ts";
import { mergeAdjacentDeltas } from "../../core/merge-adjacent-deltas.ts";

export interface OpenAIChatStreamContext {
  /** The provider's name, for errors. */
  providerName: string;
  /** The model requested, until the upstream names its own. */
  model: string;
  /** Used when the upstream sends no id. */
  responseId: string;
}

interface ToolCallState {
  id: string;
  name: string;
  arguments: string;
  /** Arguments that arrived before the tool's name. */
  pending: string;
  started: boolean;
  ended: boolean;
}

/**
 * Maps an SSE body (bytes, or text in tests) to neutral events. The chunks of one network read are mapped
 * together and adjacent deltas of the same block merged: an upstream that sends many tiny chunks at once
 * (a fast model, a buffered proxy) costs the relay one event per read rather than one per token, and the
 * client sees the same text no later than it would have.
 */
export async function* mapOpenAIChatStream(body: AsyncIterable<Uint8Array | string>, context: OpenAIChatStreamContext): AsyncGenerator<RelayEvent> {
  const state = new ChatStreamState(context);
  const decoder = new SseDecoder();
  let done = false;
  // What came before a failure in the same read is still delivered first: the client sees the answer as far as it went.
  let failure: unknown;
  const accept = (events: SseEvent[]): RelayEvent[] => {
    const batch: RelayEvent[] = [];
    try {
      for (const event of events) {
        // After [DONE] the body is still read to its end, so the connection can be reused.
        if (done) break;
        if (event.data === "[DONE]") {
          done = true;
          break;
        }
        batch.push(...state.accept(parseChunk(event.data, context.providerName)));
      }
    } catch (error) {
      failure = error;
    }
    return mergeAdjacentDeltas(batch);
  };
  for await (const chunk of body) {
    yield* accept(decoder.push(chunk));
    if (failure !== undefined) throw failure;
  }
  yield* accept(decoder.end());
  if (failure !== undefined) throw failure;
  yield* state.finish();
}

function parseChunk(data: string, providerName: string): OpenAIChatChunk {
  try {
    return JSON.parse(data) as OpenAIChatChunk;
  } catch {
    throw new RelayError("api_error", `Provider "${providerName}" sent a stream chunk that is not JSON.`, { status: 502, detail: data.slice(0, 500) });
  }
}

/** The state of one streamed answer; `accept` each chunk, then `finish`. Also used for whole answers. */
export class ChatStreamState {
  private started = false;
  private model: string;
  private finishReason: string | null | undefined;
  private usage: OpenAIChatUsage | undefined;
  private open: { type: "text" | "reasoning"; id: string } | undefined;
  private blockCount = 0;
  private readonly calls = new Map<number, ToolCallState>();

  constructor(private readonly context: OpenAIChatStreamContext) {
    this.model = context.model;
  }

  *accept(chunk: OpenAIChatChunk): Generator<RelayEvent> {
    if (chunk.error) throw mapOpenAIStreamError(chunk.error, this.context.providerName);
    if (chunk.model) this.model = chunk.model;
    if (!this.started) {
      this.started = true;
      yield { type: "stream-start", id: chunk.id || this.context.responseId, model: this.model, usage: emptyUsage };
    }
    if (chunk.usage) this.usage = chunk.usage;
    // One choice only: the backend refuses n > 1.
    const choice = chunk.choices?.find((candidate) => (candidate.index ?? 0) === 0);
    if (!choice) return;
    const delta = choice.delta ?? {};
    // DeepSeek and vLLM name it reasoning_content, OpenRouter and Ollama reasoning; empty deltas carry nothing.
    const reasoning = delta.reasoning_content ?? delta.reasoning;
    if (typeof reasoning === "string" && reasoning !== "") yield* this.blockDelta("reasoning", reasoning);
    if (typeof delta.content === "string" && delta.content !== "") yield* this.blockDelta("text", delta.content);
    if (typeof delta.refusal === "string" && delta.refusal !== "") yield* this.blockDelta("text", delta.refusal);
    for (const toolCall of delta.tool_calls ?? []) yield* this.toolCallDelta(toolCall);
    if (choice.finish_reason) this.finishReason = choice.finish_reason;
  }

  *finish(): Generator<RelayEvent> {
    if (!this.started || this.finishReason === undefined) throw incompleteResponseError();
    yield* this.closeBlock();
    for (const call of this.calls.values()) {
      if (!call.started) throw new RelayError("api_error", `Provider "${this.context.providerName}" sent a tool call without a name.`, { status: 502 });
      if (!call.ended) yield { type: "tool-input-end", id: call.id };
    }
    yield { type: "finish", finishReason: mapOpenAIFinishReason(this.finishReason), usage: mapOpenAIUsage(this.usage), model: this.model };
  }

  /** Whether the upstream reported usage; a missing one is worth a warning, not a failure. */
  get reportedUsage(): boolean {
    return this.usage !== undefined;
  }

  private *blockDelta(type: "text" | "reasoning", delta: string): Generator<RelayEvent> {
    if (this.open?.type !== type) {
      yield* this.closeBlock();
      this.open = { type, id: `${type}-${this.blockCount++}` };
      yield { type: type === "text" ? "text-start" : "reasoning-start", id: this.open.id };
    }
    yield { type: type === "text" ? "text-delta" : "reasoning-delta", id: this.open.id, delta };
  }

  private *closeBlock(): Generator<RelayEvent> {
    if (!this.open) return;
    yield { type: this.open.type === "text" ? "text-end" : "reasoning-end", id: this.open.id };
    this.open = undefined;
  }

  private *toolCallDelta(delta: OpenAIChatToolCallDelta): Generator<RelayEvent> {
    const index = this.indexOf(delta);
    let call = this.calls.get(index);
    if (!call) {
      call = { id: delta.id || `call_${this.context.responseId}_${index}`, name: "", arguments: "", pending: "", started: false, ended: false };
      this.calls.set(index, call);
    }
    if (delta.function?.name) call.name += delta.function.name;
    const fragment = delta.function?.arguments ?? "";
    if (!call.started && call.name) {
      yield* this.closeBlock();
      call.started = true;
      yield { type: "tool-input-start", id: call.id, toolName: call.name };
      if (call.pending) yield* this.argumentsDelta(call, call.pending);
      call.pending = "";
    }
    if (!fragment) return;
    if (call.started) yield* this.argumentsDelta(call, fragment);
    else call.pending += fragment;
  }

  private *argumentsDelta(call: ToolCallState, fragment: string): Generator<RelayEvent> {
    if (call.ended) {
      if (fragment.trim() === "") return;
      throw new RelayError("api_error", `Provider "${this.context.providerName}" sent more arguments for tool call ${call.id} after they were complete.`, { status: 502 });
    }
    call.arguments += fragment;
    yield { type: "tool-input-delta", id: call.id, delta: fragment };
    // Complete arguments close the call, so sequential calls render as sequential blocks.
    if (isCompleteJson(call.arguments)) {
      call.ended = true;
      yield { type: "tool-input-end", id: call.id };
    }
  }

  /**
   * The call a fragment belongs to. Gemini's endpoint omits the index (and sends each call whole with its
   * id); without an index, an id names the call, and a fragment without either belongs to the only call
   * there is. Anything else would be a guess, which could bind arguments to the wrong call.
   */
  private indexOf(delta: OpenAIChatToolCallDelta): number {
    if (typeof delta.index === "number") return delta.index;
    if (delta.id) {
      for (const [index, call] of this.calls) if (call.id === delta.id) return index;
      return this.calls.size === 0 ? 0 : Math.max(...this.calls.keys()) + 1;
    }
    if (this.calls.size === 0) return 0;
    if (this.calls.size === 1) return [...this.calls.keys()][0]!;
    throw new RelayError("api_error", `Provider "${this.context.providerName}" sent a tool-call fragment without an index or id while ${this.calls.size} calls were open; the relay cannot tell which call it belongs to.`, { status: 502 });
  }
}

function isCompleteJson(text: string): boolean {
  const trimmed = text.trim();
  if (!trimmed.endsWith("}") && !trimmed.endsWith("]")) return false;
  try {
    JSON.parse(trimmed);
    return true;
  } catch {
    return false;
  }
}
