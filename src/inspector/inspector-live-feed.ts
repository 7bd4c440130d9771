/**
 * Pushes request updates to open inspector pages: a request appears when it starts, updates while it
 * streams (throttled), and is replaced by its stored row when written. In-process only: pages of a relay
 * see that relay's traffic live, and every relay's stored rows when they reload the list.
 */
import type { InspectorSummary } from "./inspector-record.ts";

/** One update of the list. `live` rows have no seq yet (seq 0). */
export type InspectorLiveUpdate =
  | { type: "started" | "progress"; request: Partial<InspectorSummary> & { id: string } }
  | { type: "stored"; request: InspectorSummary };

export class InspectorLiveFeed {
  private readonly listeners = new Set<(update: InspectorLiveUpdate) => void>();

  subscribe(listener: (update: InspectorLiveUpdate) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get subscribers(): number {
    return this.listeners.size;
  }

  publish(update: InspectorLiveUpdate): void {
    for (const listener of this.listeners) {
      try {
        listener(update);
      } catch {
        // A page that went away must not stop the others.
      }
    }
  }
}
