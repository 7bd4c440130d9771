/**
 * Hands an upstream's successful answer to the client as it came (status, headers minus hop-by-hop ones,
 * body bytes), while an observer parses a copy. Shared by every passthrough backend.
 */
import { forwardableResponseHeaders, teeBodyToObserver, type PassthroughResponse } from "../../core/relay-passthrough.ts";
import type { UpstreamAnswerObserver } from "./observe-upstream-answer.ts";

export interface ForwardObservedAnswerInput {
  upstream: Response;
  /** Whether the upstream answered with an SSE stream (from its content type). */
  stream: boolean;
  observer: UpstreamAnswerObserver;
  /** Called once when the answer ended, failed or the client went away. */
  release(): void;
}

export async function forwardObservedAnswer(input: ForwardObservedAnswerInput): Promise<PassthroughResponse> {
  const { upstream, observer } = input;
  const headers = forwardableResponseHeaders(upstream.headers);
  observer.completion.then(input.release, input.release);
  if (!input.stream) {
    // A whole JSON answer gains nothing from streaming; as bytes in one piece it leaves sooner.
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await upstream.arrayBuffer());
    } catch (error) {
      observer.cancel(error);
      throw error;
    }
    observer.observe(bytes);
    observer.end();
    return { response: new Response(bytes, { status: upstream.status, headers }), completion: observer.completion };
  }
  const body = teeBodyToObserver(upstream.body!, observer);
  return { response: new Response(body, { status: upstream.status, headers }), completion: observer.completion };
}

/** Whether a response's content type says it is an SSE stream. */
export function isEventStream(response: Response): boolean {
  return (response.headers.get("content-type") ?? "").includes("text/event-stream");
}
