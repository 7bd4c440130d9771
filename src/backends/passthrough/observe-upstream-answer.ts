/**
 * Watches a copy of an upstream's answer (an SSE stream or one JSON body) as its bytes flow to the client,
 * for every passthrough backend: the protocol's own parser turns it into neutral events for the log line,
 * metrics and inspector. It never throws into the byte path: an in-band error, an unparsable body or a cut
 * stream settle `completion` with the error instead.
 */
import { incompleteResponseError, RelayError, toRelayError } from "../../core/relay-error.ts";
import type { RelayEvent } from "../../core/relay-event.ts";
import { SseDecoder } from "../../wire/sse-decoder.ts";
// The merge rule of the translated Chat Completions path, shared so both paths report the same events.
import { mergeAdjacentDeltas } from "../../core/merge-adjacent-deltas.ts";

/** What one protocol knows about its answers: each method returns the answer's events, or throws the error that ends it. */
export interface UpstreamAnswerParser {
  /** The data of one SSE event of a streamed answer. */
  streamEvent(data: string): Iterable<RelayEvent>;
  /** The whole body of a non-streamed answer. */
  wholeBody(text: string): Iterable<RelayEvent>;
  /** The body ended; throws when the answer is incomplete. */
  end(): Iterable<RelayEvent>;
}

export interface UpstreamAnswerObserver {
  observe(chunk: Uint8Array): void;
  end(): void;
  cancel(reason: unknown): void;
  /** Resolves for a complete answer; rejects with the upstream's in-band error or an incomplete-answer error. */
  completion: Promise<void>;
}

export interface ObserveUpstreamAnswerOptions {
  /** True for an SSE stream, false for one JSON body. */
  stream: boolean;
  provider: string;
  /** How a body the parser cannot read is named in the error, e.g. "Messages response". */
  answerName: string;
  parser: UpstreamAnswerParser;
  /** Receives the events, adjacent deltas of one network read merged into one. */
  onEvent(event: RelayEvent): void;
}

export function observeUpstreamAnswer(options: ObserveUpstreamAnswerOptions): UpstreamAnswerObserver {
  const { parser } = options;
  const decoder = new SseDecoder();
  const jsonChunks: Uint8Array[] = [];
  let failure: RelayError | undefined;
  let settled = false;
  let resolveCompletion!: () => void;
  let rejectCompletion!: (error: RelayError) => void;
  const completion = new Promise<void>((resolve, reject) => {
    resolveCompletion = resolve;
    rejectCompletion = reject;
  });
  // Nobody may be listening yet; the rejection is still delivered to whoever awaits it later.
  completion.catch(() => {});

  const settle = (error?: RelayError) => {
    if (settled) return;
    settled = true;
    if (error) rejectCompletion(error);
    else resolveCompletion();
  };
  // The events of one network read, emitted together: a fast stream's many tiny deltas cost the log, metrics
  // and inspector one event per read rather than one per token (as on the translated path).
  let batch: RelayEvent[] = [];
  const flush = () => {
    const events = mergeAdjacentDeltas(batch);
    batch = [];
    for (const event of events) options.onEvent(event);
  };
  // After the first failure the rest of the answer still reaches the client, but it is no longer parsed;
  // what came before the failure is still reported.
  const attempt = (step: () => Iterable<RelayEvent>, describe: (error: unknown) => RelayError = toRelayError) => {
    if (failure) return;
    try {
      for (const event of step()) batch.push(event);
    } catch (error) {
      failure = describe(error);
    }
  };
  const notAnAnswer = (error: unknown) =>
    error instanceof RelayError ? error : new RelayError("api_error", `Provider "${options.provider}" answered with a body that is not a ${options.answerName}.`, { status: 502 });

  return {
    completion,
    observe(chunk) {
      if (!options.stream) {
        jsonChunks.push(chunk);
        return;
      }
      for (const sseEvent of decoder.push(chunk)) attempt(() => parser.streamEvent(sseEvent.data));
      flush();
    },
    end() {
      if (options.stream) for (const sseEvent of decoder.end()) attempt(() => parser.streamEvent(sseEvent.data));
      else attempt(() => parser.wholeBody(Buffer.concat(jsonChunks).toString("utf8")), notAnAnswer);
      attempt(() => parser.end());
      flush();
      settle(failure);
    },
    cancel(reason) {
      flush();
      settle(failure ?? toRelayError(reason ?? new RelayError("api_error", "client disconnected", { status: 499 })));
    },
  };
}

/** The `end` of parsers whose answer is complete once `finished` says so. */
export function requireFinished(finished: boolean): RelayEvent[] {
  if (!finished) throw incompleteResponseError();
  return [];
}
