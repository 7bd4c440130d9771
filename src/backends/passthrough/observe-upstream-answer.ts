/**
 * Watches a copy of an upstream's answer (an SSE stream or one JSON body) as its bytes flow to the client,
 * for every passthrough backend: the protocol's own parser turns it into neutral events for the log line,
 * metrics and inspector. It never throws into the byte path: an in-band error, an unparsable body or a cut
 * stream settle `completion` with the error instead.
 */
import { incompleteResponseError, RelayError, toRelayError } from "../../core/relay-error.ts";
import { SseDecoder } from "../../wire/sse-decoder.ts";

/** What one protocol knows about its answers; each method may throw the error that ends the answer. */
export interface UpstreamAnswerParser {
  /** The data of one SSE event of a streamed answer. */
  streamEvent(data: string): void;
  /** The whole body of a non-streamed answer. */
  wholeBody(text: string): void;
  /** The body ended; throws when the answer is incomplete. */
  end(): void;
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
  // After the first failure the rest of the answer still reaches the client, but it is no longer parsed.
  const attempt = (step: () => void, describe: (error: unknown) => RelayError = toRelayError) => {
    if (failure) return;
    try {
      step();
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
    },
    end() {
      if (options.stream) for (const sseEvent of decoder.end()) attempt(() => parser.streamEvent(sseEvent.data));
      else attempt(() => parser.wholeBody(Buffer.concat(jsonChunks).toString("utf8")), notAnAnswer);
      attempt(() => parser.end());
      settle(failure);
    },
    cancel(reason) {
      settle(failure ?? toRelayError(reason ?? new RelayError("api_error", "client disconnected", { status: 499 })));
    },
  };
}

/** The `end` of parsers whose answer is complete once `finished` says so. */
export function requireFinished(finished: boolean): void {
  if (!finished) throw incompleteResponseError();
}
