/** Builders for neutral event streams, shared by the renderer and fold tests. */
import type { RelayEvent, RelayFinishReason, RelayUsage } from "../../src/core/relay-event.ts";
import type { SseFrame } from "../../src/server/sse.ts";

export const usage = (fields: Partial<RelayUsage> = {}): RelayUsage => ({
  inputTokens: 0,
  outputTokens: 0,
  cacheCreationInputTokens: 0,
  cacheReadInputTokens: 0,
  ...fields,
});

export const streamStart = (fields: { id?: string; model?: string; usage?: RelayUsage } = {}): RelayEvent => ({
  type: "stream-start",
  id: fields.id ?? "msg_1",
  model: fields.model ?? "claude-sonnet-5",
  usage: fields.usage ?? usage({ inputTokens: 10 }),
});

export const finish = (fields: { finishReason?: RelayFinishReason; usage?: RelayUsage; model?: string } = {}): RelayEvent => ({
  type: "finish",
  finishReason: fields.finishReason ?? { unified: "stop", raw: "end_turn" },
  usage: fields.usage ?? usage({ inputTokens: 10, outputTokens: 5 }),
  model: fields.model ?? "claude-sonnet-5",
});

/** A whole text block: start, one delta per piece, end. */
export const textBlock = (id: string, ...pieces: string[]): RelayEvent[] => [
  { type: "text-start", id },
  ...pieces.map((delta): RelayEvent => ({ type: "text-delta", id, delta })),
  { type: "text-end", id },
];

/** Yields the events, then throws `error` if given (a backend failing mid-stream). */
export async function* eventSource(events: RelayEvent[], error?: unknown): AsyncGenerator<RelayEvent> {
  yield* events;
  if (error !== undefined) throw error;
}

export async function collectFrames(frames: AsyncIterable<SseFrame>): Promise<SseFrame[]> {
  const all: SseFrame[] = [];
  for await (const frame of frames) all.push(frame);
  return all;
}
