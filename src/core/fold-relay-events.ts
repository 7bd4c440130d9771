import { incompleteResponseError } from "./relay-error.ts";
import type { RelayBackendEvent, RelayFinishReason, RelayResponse, RelayResponsePart, RelayUsage } from "./relay-event.ts";
import { mergeProviderMetadata } from "./relay-provider-metadata.ts";

/** Collects a whole response from an event stream; a non-streaming answer is the stream folded once. Reports are not part of it. */
export async function foldRelayEvents(events: AsyncIterable<RelayBackendEvent>): Promise<RelayResponse> {
  let id = "";
  let model = "";
  let finish: { finishReason: RelayFinishReason; usage: RelayUsage; model: string } | undefined;
  const content: RelayResponsePart[] = [];
  const open = new Map<string, RelayResponsePart>();

  for await (const event of events) {
    switch (event.type) {
      case "stream-start":
        id = event.id;
        model = event.model;
        break;
      case "text-start": {
        const part: RelayResponsePart = { type: "text", text: "" };
        open.set(event.id, part);
        content.push(part);
        break;
      }
      case "text-delta": {
        const part = open.get(event.id);
        if (part?.type === "text") part.text += event.delta;
        break;
      }
      case "reasoning-start": {
        const part: RelayResponsePart = { type: "reasoning", text: "", ...(event.providerMetadata ? { providerMetadata: event.providerMetadata } : {}) };
        open.set(event.id, part);
        content.push(part);
        break;
      }
      case "reasoning-delta": {
        const part = open.get(event.id);
        if (part?.type !== "reasoning") break;
        part.text += event.delta;
        if (event.providerMetadata) part.providerMetadata = mergeProviderMetadata(part.providerMetadata, event.providerMetadata);
        break;
      }
      case "tool-input-start": {
        const part: RelayResponsePart = { type: "tool-call", id: event.id, name: event.toolName, input: "" };
        open.set(event.id, part);
        content.push(part);
        break;
      }
      case "tool-input-delta": {
        const part = open.get(event.id);
        if (part?.type === "tool-call") part.input += event.delta;
        break;
      }
      case "text-end":
      case "reasoning-end":
      case "tool-input-end":
        open.delete(event.id);
        break;
      case "finish":
        finish = { finishReason: event.finishReason, usage: event.usage, model: event.model };
        break;
      case "backend-tool-run":
        break;
      default: {
        const unreachable: never = event;
        throw new Error(`unhandled relay event ${JSON.stringify(unreachable)}`);
      }
    }
  }
  if (!finish) throw incompleteResponseError();
  return { id, model: finish.model || model, content, finishReason: finish.finishReason, usage: finish.usage };
}
