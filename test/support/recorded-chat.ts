/**
 * A chat request as the hub hands it to the inspector's recorder: the client's body (with an API key in the
 * user's message, for masking), the neutral request, and a short streamed answer with usage.
 */
import type { RelayEvent } from "../../src/core/relay-event.ts";
import type { RelayRequest } from "../../src/core/relay-request.ts";
import type { InspectorRecorder } from "../../src/inspector/inspector-recorder.ts";
import { rememberRequestBody } from "../../src/server/request-body.ts";

export const recordedAnswer: RelayEvent[] = [
  { type: "stream-start", model: "claude-sonnet-4-5" } as RelayEvent,
  { type: "text-delta", id: "t0", delta: "Hello" } as unknown as RelayEvent,
  { type: "finish", model: "claude-sonnet-4-5", usage: { inputTokens: 12, outputTokens: 3, cacheReadInputTokens: 0, cacheCreationInputTokens: 0 }, finishReason: { unified: "stop", raw: "end_turn" } } as unknown as RelayEvent,
];

/** Records one finished chat request `id` (the body gets `system` when given). */
export function serveRecordedChat(recorder: InspectorRecorder, id: string, options: { system?: string } = {}): void {
  const body = { model: "sonnet", ...(options.system ? { system: options.system } : {}), messages: [{ role: "user", content: `question ${id}: my key is sk-${"a".repeat(32)}` }] };
  const request = new Request("http://relay/v1/chat/completions", { method: "POST", headers: { authorization: "Bearer sk-client-key-0123456789abcdef" } });
  rememberRequestBody(request, body);
  const relayRequest = { model: "sonnet", stream: true, warnings: [], messages: [{ role: "user", content: [{ type: "text", text: body.messages[0].content }] }] } as unknown as RelayRequest;
  const observation = recorder.observe({ request, requestId: id, route: "/v1/chat/completions", startedAt: performance.now(), relayRequest })!;
  for (const event of recordedAnswer) observation.event(event);
  observation.finish({ status: 200 });
}
