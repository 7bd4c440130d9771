/** The assistant turn a response produced (for the conversation fingerprint) and its usage. */
import { emptyUsage, type RelayBackendEvent, type RelayUsage } from "../../core/relay-event.ts";
import type { RelayContentPart } from "../../core/relay-request.ts";

export class AnswerRecorder {
  usage: RelayUsage = { ...emptyUsage };
  private text = "";
  private readonly calls = new Map<string, { name: string; input: string }>();

  record(events: RelayBackendEvent[]): void {
    for (const event of events) {
      if (event.type === "text-delta") this.text += event.delta;
      if (event.type === "tool-input-start") this.calls.set(event.id, { name: event.toolName, input: "" });
      if (event.type === "tool-input-delta") {
        const call = this.calls.get(event.id);
        if (call) call.input += event.delta;
      }
      if (event.type === "finish") this.usage = event.usage;
    }
  }

  content(): RelayContentPart[] {
    const parts: RelayContentPart[] = this.text ? [{ type: "text", text: this.text }] : [];
    for (const [id, call] of this.calls) parts.push({ type: "tool-call", id, name: call.name, input: parseJson(call.input) });
    return parts;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text || "{}");
  } catch {
    return text;
  }
}
