/**
 * Adjacent deltas of one block joined into one event: the events of one network read (dozens of tokens) reach
 * renderers and observers as one, whatever the backend or the passthrough that produced them.
 */
import type { RelayEvent } from "./relay-event.ts";

type MergeableDelta = Extract<RelayEvent, { type: "text-delta" | "reasoning-delta" | "tool-input-delta" }>;

function isMergeableDelta(event: RelayEvent): event is MergeableDelta {
  return event.type === "text-delta" || event.type === "tool-input-delta" || (event.type === "reasoning-delta" && !event.providerMetadata);
}

/** Adjacent text, reasoning or tool-argument deltas of the same block, as one delta. */
export function mergeAdjacentDeltas(events: RelayEvent[]): RelayEvent[] {
  if (events.length < 2) return events;
  const merged: RelayEvent[] = [];
  for (const event of events) {
    const previous = merged.at(-1);
    if (isMergeableDelta(event) && previous?.type === event.type && previous.id === event.id) {
      merged[merged.length - 1] = { ...previous, delta: previous.delta + event.delta };
    } else merged.push(event);
  }
  return merged;
}
