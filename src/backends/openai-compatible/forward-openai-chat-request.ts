/**
 * The passthrough of an OpenAI Chat Completions client to a `type: openai` provider: the client's body goes
 * out byte for byte except the model (edited in place, never re-serialised), with the provider's credentials
 * instead of the client's (Bearer, or Azure's api-key and api-version) and its configured headers. No clamping,
 * no max_completion_tokens rewriting, no added stream_options: n, logprobs and fields the relay does not know
 * reach the provider as sent. The answer goes back as the provider sent it while a copy is parsed.
 */
import { forwardableRequestHeaders, PassthroughUpstreamError, type PassthroughContext, type PassthroughRequest, type PassthroughResponse } from "../../core/relay-passthrough.ts";
import { replaceJsonModel } from "../../wire/replace-json-model.ts";
import { postToUpstream } from "../post-to-upstream.ts";
import { forwardObservedAnswer, isEventStream } from "../passthrough/forward-observed-answer.ts";
import { guardIdleBody } from "../passthrough/guard-idle-body.ts";
import { mapOpenAIUpstreamError, providerTimeoutError } from "./map-openai-upstream-error.ts";
import { observeOpenAIChatAnswer } from "./observe-openai-chat-answer.ts";
import type { OpenAIUpstreamClient } from "./openai-upstream-client.ts";

/**
 * Client headers that carry the client's own identity at OpenAI (its key to the relay, its organization and
 * project): the provider's credentials replace them. Our x-request-id stays ours.
 */
const clientIdentityHeaders = ["authorization", "api-key", "x-api-key", "cookie", "openai-organization", "openai-project", "x-request-id"];

let passthroughCounter = 0;

export interface ForwardOpenAIChatInput {
  providerName: string;
  client: OpenAIUpstreamClient;
  request: PassthroughRequest;
  context: PassthroughContext;
  /** Aborts the upstream request: the client went away or the relay shuts down. */
  signal: AbortSignal;
  /** Called once when the answer ended, failed or was abandoned. */
  release(): void;
}

export async function forwardOpenAIChatRequest(input: ForwardOpenAIChatInput): Promise<PassthroughResponse> {
  const { client, request, context, providerName } = input;
  const headers = forwardableRequestHeaders(request.headers, clientIdentityHeaders);
  for (const [name, value] of Object.entries(client.credentialHeaders())) headers.set(name, value);
  headers.set("content-type", "application/json");
  const silence = new AbortController();
  const response = await postToUpstream({
    url: client.urlOf("chat/completions"),
    headers,
    body: replaceJsonModel(request.body, context.model),
    signal: AbortSignal.any([input.signal, silence.signal]),
    timeoutMs: client.timeoutMs,
    label: `Provider "${providerName}"`,
    where: client.displayUrlOf("chat/completions"),
  });
  if (!response.ok) throw await upstreamFailure(response, providerName);
  // The provider's timeout also bounds the silence between chunks, as on the translated path.
  const body = guardIdleBody(response.body ?? new Blob([]).stream(), {
    timeoutMs: client.timeoutMs,
    abortUpstream: (reason) => silence.abort(reason),
    timeoutError: () => providerTimeoutError(providerName, client.displayUrlOf("chat/completions"), client.timeoutMs),
  });
  const upstream = new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  const stream = isEventStream(upstream);
  const observer = observeOpenAIChatAnswer({
    stream,
    context: { providerName, model: context.model, responseId: `chatcmpl-relay-passthrough-${++passthroughCounter}` },
    onEvent: context.onEvent,
  });
  return forwardObservedAnswer({ upstream, stream, observer, release: input.release });
}

/** An error status: thrown so a fallback can try the next target, with the provider's answer for the client. */
async function upstreamFailure(response: Response, providerName: string): Promise<PassthroughUpstreamError> {
  const body = new Uint8Array(await response.arrayBuffer().catch(() => new ArrayBuffer(0)));
  const mapped = mapOpenAIUpstreamError({ providerName, status: response.status, body: new TextDecoder().decode(body), retryAfter: response.headers.get("retry-after") });
  return new PassthroughUpstreamError(mapped.kind, mapped.message, {
    status: mapped.status,
    code: mapped.code,
    param: mapped.param,
    retryable: mapped.retryable,
    retryAfterSeconds: mapped.retryAfterSeconds,
    detail: mapped.detail,
    upstreamResponse: { status: response.status, headers: response.headers, body },
  });
}
