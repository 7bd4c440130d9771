/**
 * A small in-memory RelayBackend for testing our own logic above backends (the router, serve-relay-request):
 * each request gets the next scripted answer; it records what it was asked.
 */
import type { BackendContext, BackendHealth, BackendLoad, RelayBackend, RelayModel, RelayTokenCount } from "../../src/core/relay-backend.ts";
import { RelayError } from "../../src/core/relay-error.ts";
import type { RelayBackendEvent } from "../../src/core/relay-event.ts";
import type { RelayRequest } from "../../src/core/relay-request.ts";

/** One scripted answer: events, optionally followed by an error (a failure after output), or an error at once. */
export type ScriptedAnswer = { events: RelayBackendEvent[]; thenError?: RelayError } | { error: RelayError };

export class ScriptedBackend implements RelayBackend {
  readonly requests: RelayRequest[] = [];
  models: RelayModel[] = [];
  healthy: BackendHealth = { ok: true, details: {} };
  currentLoad: BackendLoad = { active: 0, queued: 0 };
  /** Streams that were ended (finished, failed or abandoned by the consumer). */
  closed = 0;

  constructor(
    readonly name: string,
    private readonly answers: ScriptedAnswer[],
  ) {}

  async *stream(request: RelayRequest, _context: BackendContext): AsyncGenerator<RelayBackendEvent> {
    this.requests.push(request);
    const answer = this.answers.length > 1 ? this.answers.shift()! : this.answers[0];
    try {
      if (!answer) throw new Error(`${this.name}: no scripted answer`);
      if ("error" in answer) throw answer.error;
      for (const event of answer.events) {
        await Bun.sleep(0);
        yield event;
      }
      if (answer.thenError) throw answer.thenError;
    } finally {
      this.closed++;
    }
  }

  health(): BackendHealth {
    return this.healthy;
  }

  async listModels(): Promise<RelayModel[]> {
    return this.models;
  }

  async countTokens(request: RelayRequest): Promise<RelayTokenCount> {
    this.requests.push(request);
    return { inputTokens: 42, estimated: true };
  }

  load(): BackendLoad {
    return this.currentLoad;
  }

  async shutdown(): Promise<void> {}
}
