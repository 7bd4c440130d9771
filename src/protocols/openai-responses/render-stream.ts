/**
 * Neutral events -> OpenAI Responses SSE events, named (`event:`) and numbered (`sequence_number`) in the order
 * the API sends them: response.created, response.in_progress, then per output item output_item.added,
 * content_part.added, deltas, the matching .done events and output_item.done, and finally response.completed,
 * response.incomplete or response.failed. The official SDK's stream helper checks this order strictly (a delta
 * for an item it was not told about is an error), and Codex builds its history from output_item.done.
 */
import { incompleteResponseError, toRelayError, type RelayError } from "../../core/relay-error.ts";
import type { RelayEvent, RelayResponsePart } from "../../core/relay-event.ts";
import { mergeProviderMetadata } from "../../core/relay-provider-metadata.ts";
import type { SseFrame } from "../../server/sse.ts";
import { mapOpenAIResponsesOutcome } from "./map-response-status.ts";
import { renderOpenAIResponsesErrorEvent } from "./render-error.ts";
import {
  newOpenAIResponsesItemId,
  outputItemIdPrefix,
  renderFinishedObject,
  renderOpenAIResponsesObject,
  renderOpenAIResponsesOutputItem,
  renderOutputText,
  type OpenAIResponsesItemStatus,
  type OpenAIResponsesObject,
  type OpenAIResponsesOutputItem,
  type OpenAIResponsesOutputText,
  type OpenAIResponsesReasoningText,
  type OpenAIResponsesRenderContext,
} from "./render-response.ts";

export interface OpenAIResponsesStreamOptions extends OpenAIResponsesRenderContext {
  /** Receives the final response object before its terminal event is sent (to store it, awaited); a throw fails the response in-band. */
  onFinished?: (response: OpenAIResponsesObject) => void | Promise<void>;
}

/** One output item as it is being built. */
interface OutputEntry {
  id: string;
  part: RelayResponsePart;
  status: OpenAIResponsesItemStatus;
  /** A content part (output_text, reasoning_text) has been announced. */
  contentStarted: boolean;
}

type EventData = { type: string; [field: string]: unknown };

export async function* renderOpenAIResponsesStream(events: AsyncIterable<RelayEvent>, options: OpenAIResponsesStreamOptions): AsyncGenerator<SseFrame> {
  const writer = new OpenAIResponsesStreamWriter(options);
  try {
    for await (const event of events) {
      const frames = writer.accept(event);
      await writer.finished;
      yield* frames;
      if (event.type === "finish") return;
    }
    throw incompleteResponseError();
  } catch (error) {
    // After output started the status is already 200: the failure goes in-band.
    const frames = writer.fail(toRelayError(error));
    // Storing the failed response may fail too (the store is what failed): the client learns of the failure either way.
    await Promise.resolve(writer.finished).catch(() => {});
    yield* frames;
  }
}

/** The state of one streamed response: its output items so far and the next sequence number. */
class OpenAIResponsesStreamWriter {
  private sequenceNumber = 0;
  /** onFinished's work (storing the response), awaited before the terminal event goes out. */
  finished: void | Promise<void> = undefined;
  private model: string;
  private started = false;
  private readonly entries: OutputEntry[] = [];
  /** Output index of each open item, by the neutral block id. */
  private readonly openEntries = new Map<string, number>();

  constructor(private readonly options: OpenAIResponsesStreamOptions) {
    this.model = options.model;
  }

  accept(event: RelayEvent): SseFrame[] {
    switch (event.type) {
      case "stream-start":
        this.model = event.model || this.model;
        return this.start();
      case "text-start":
        return this.open(event.id, { type: "text", text: "" });
      case "reasoning-start":
        return this.open(event.id, { type: "reasoning", text: "", ...(event.providerMetadata ? { providerMetadata: event.providerMetadata } : {}) });
      case "tool-input-start":
        return this.open(event.id, { type: "tool-call", id: event.id, name: event.toolName, input: "" });
      case "text-delta":
      case "reasoning-delta":
      case "tool-input-delta":
        return this.append(event);
      case "text-end":
      case "reasoning-end":
      case "tool-input-end":
        return this.close(event.id);
      case "finish": {
        this.model = event.model || this.model;
        const frames = [...this.start(), ...this.closeAll()];
        const response = renderFinishedObject(this.options, { model: this.model, output: this.output(), usage: event.usage, outcome: mapOpenAIResponsesOutcome(event.finishReason) });
        this.finished = this.options.onFinished?.(response);
        return [...frames, this.frame({ type: terminalEventType(response.status), response })];
      }
      default: {
        const unreachable: never = event;
        throw new Error(`unhandled relay event ${JSON.stringify(unreachable)}`);
      }
    }
  }

  /** response.failed with the partial output (open items incomplete), then the flat `error` event SDKs raise on. */
  fail(error: RelayError): SseFrame[] {
    const frames = this.start();
    for (const outputIndex of this.openEntries.values()) this.entries[outputIndex].status = "incomplete";
    this.openEntries.clear();
    const response = renderOpenAIResponsesObject(this.options, { model: this.model, output: this.output(), status: "failed", error });
    this.finished = this.options.onFinished?.(response);
    return [...frames, this.frame({ type: "response.failed", response }), this.frame(renderOpenAIResponsesErrorEvent(error))];
  }

  private frame(data: EventData): SseFrame {
    return { event: data.type, data: { ...data, sequence_number: this.sequenceNumber++ } };
  }

  private output(): OpenAIResponsesOutputItem[] {
    return this.entries.map((entry) => renderOpenAIResponsesOutputItem(entry.part, entry.id, entry.status));
  }

  private start(): SseFrame[] {
    if (this.started) return [];
    this.started = true;
    const response = renderOpenAIResponsesObject(this.options, { model: this.model, output: [], status: "in_progress" });
    return [this.frame({ type: "response.created", response }), this.frame({ type: "response.in_progress", response })];
  }

  private open(blockId: string, part: RelayResponsePart): SseFrame[] {
    const frames = this.start();
    const entry: OutputEntry = { id: newOpenAIResponsesItemId(outputItemIdPrefix(part.type)), part, status: "in_progress", contentStarted: false };
    const outputIndex = this.entries.push(entry) - 1;
    this.openEntries.set(blockId, outputIndex);
    frames.push(this.frame({ type: "response.output_item.added", output_index: outputIndex, item: renderAddedItem(entry) }));
    if (part.type === "text") frames.push(this.startContent(entry, outputIndex, renderOutputText("")));
    return frames;
  }

  private startContent(entry: OutputEntry, outputIndex: number, part: OpenAIResponsesOutputText | OpenAIResponsesReasoningText): SseFrame {
    entry.contentStarted = true;
    return this.frame({ type: "response.content_part.added", item_id: entry.id, output_index: outputIndex, content_index: 0, part });
  }

  /** The open entry of a neutral block; events for blocks never opened are ignored. */
  private find(blockId: string): { entry: OutputEntry; outputIndex: number } | undefined {
    const outputIndex = this.openEntries.get(blockId);
    return outputIndex === undefined ? undefined : { entry: this.entries[outputIndex], outputIndex };
  }

  private append(event: Extract<RelayEvent, { type: "text-delta" | "reasoning-delta" | "tool-input-delta" }>): SseFrame[] {
    const found = this.find(event.id);
    if (!found) return [];
    const { entry, outputIndex } = found;
    const { part } = entry;
    const at = { item_id: entry.id, output_index: outputIndex };
    if (event.type === "text-delta" && part.type === "text") {
      part.text += event.delta;
      return [this.frame({ type: "response.output_text.delta", ...at, content_index: 0, delta: event.delta, logprobs: [] })];
    }
    if (event.type === "reasoning-delta" && part.type === "reasoning") {
      if (event.providerMetadata) part.providerMetadata = mergeProviderMetadata(part.providerMetadata, event.providerMetadata);
      if (event.delta === "") return [];
      const frames = entry.contentStarted ? [] : [this.startContent(entry, outputIndex, { type: "reasoning_text", text: "" })];
      part.text += event.delta;
      return [...frames, this.frame({ type: "response.reasoning_text.delta", ...at, content_index: 0, delta: event.delta })];
    }
    if (event.type === "tool-input-delta" && part.type === "tool-call") {
      part.input += event.delta;
      return [this.frame({ type: "response.function_call_arguments.delta", ...at, delta: event.delta })];
    }
    return [];
  }

  private close(blockId: string): SseFrame[] {
    const found = this.find(blockId);
    if (!found) return [];
    const { entry, outputIndex } = found;
    this.openEntries.delete(blockId);
    entry.status = "completed";
    return [...this.closeContent(entry, outputIndex), this.frame({ type: "response.output_item.done", output_index: outputIndex, item: renderOpenAIResponsesOutputItem(entry.part, entry.id, "completed") })];
  }

  /** The .done events that precede output_item.done for this kind of item. */
  private closeContent(entry: OutputEntry, outputIndex: number): SseFrame[] {
    const at = { item_id: entry.id, output_index: outputIndex };
    const { part } = entry;
    switch (part.type) {
      case "text":
        return [
          this.frame({ type: "response.output_text.done", ...at, content_index: 0, text: part.text, logprobs: [] }),
          this.frame({ type: "response.content_part.done", ...at, content_index: 0, part: renderOutputText(part.text) }),
        ];
      case "reasoning":
        if (!entry.contentStarted) return [];
        return [
          this.frame({ type: "response.reasoning_text.done", ...at, content_index: 0, text: part.text }),
          this.frame({ type: "response.content_part.done", ...at, content_index: 0, part: { type: "reasoning_text", text: part.text } }),
        ];
      case "tool-call":
        return [this.frame({ type: "response.function_call_arguments.done", ...at, arguments: part.input || "{}" })];
      default: {
        const unreachable: never = part;
        throw new Error(`unknown response part ${JSON.stringify(unreachable)}`);
      }
    }
  }

  private closeAll(): SseFrame[] {
    const inOutputOrder = [...this.openEntries.entries()].sort(([, a], [, b]) => a - b).map(([blockId]) => blockId);
    return inOutputOrder.flatMap((blockId) => this.close(blockId));
  }
}

/** An item as response.output_item.added announces it: no content parts or arguments yet. */
function renderAddedItem(entry: OutputEntry): OpenAIResponsesOutputItem {
  const item = renderOpenAIResponsesOutputItem(entry.part, entry.id, "in_progress");
  switch (item.type) {
    case "message":
      return { ...item, content: [] };
    case "reasoning":
      return { ...item, content: [] };
    case "function_call":
      return { ...item, arguments: "" };
    default: {
      const unreachable: never = item;
      throw new Error(`unknown output item ${JSON.stringify(unreachable)}`);
    }
  }
}

function terminalEventType(status: OpenAIResponsesObject["status"]): string {
  switch (status) {
    case "completed":
      return "response.completed";
    case "incomplete":
      return "response.incomplete";
    case "failed":
      return "response.failed";
    case "in_progress":
      throw new Error("a finished response cannot be in progress");
    default: {
      const unreachable: never = status;
      throw new Error(`unknown status ${unreachable}`);
    }
  }
}
