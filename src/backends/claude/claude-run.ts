/**
 * One CLI process serving one conversation, possibly across several HTTP requests (a tool round keeps it
 * waiting). It reads stdout all the time, answers the control protocol (the client-tool MCP server) itself,
 * and hands every other message to whichever response is currently being produced.
 */
import { RelayError } from "../../core/relay-error.ts";
import type { RelayUsage } from "../../core/relay-event.ts";
import type { Logger } from "../../util/logger.ts";
import type { ClaudeOutputMessage } from "./claude-messages.ts";
import type { ClaudeProcess } from "./claude-process.ts";
import type { ClientToolBridge, McpToolResult } from "./client-tool-bridge.ts";
import { clientToolServerName } from "./client-tool-names.ts";

/**
 * Output messages read ahead of the response being produced. Beyond this the run stops reading stdout,
 * so a client that reads slowly makes the CLI wait (its pipe fills) instead of the relay buffering without bound.
 */
const maxQueuedMessages = 256;

/**
 * How long a CLI may take to start before its first line, whatever --idle-timeout says: a cold start takes
 * seconds on a busy machine, and a short idle timeout is meant for a CLI that stalls mid-answer.
 */
const minimumStartupMs = 60_000;

export interface ClaudeRunOptions {
  process: ClaudeProcess;
  /** The client's tools, when the model is offered any. */
  bridge?: ClientToolBridge;
  log: Logger;
}

export class ClaudeRun {
  readonly process: ClaudeProcess;
  /** Usage already reported to clients for the CLI turn in progress (a tool round spans several responses). */
  reportedUsage: RelayUsage | undefined;
  private readonly bridge?: ClientToolBridge;
  private log: Logger;
  private readonly queue: ClaudeOutputMessage[] = [];
  private wake: (() => void) | undefined;
  private ended = false;
  /** The CLI has printed something: it has started, and the idle timeout applies from now on. */
  private started = false;
  /** Why reading stdout failed, for the response being produced. */
  private failure: RelayError | undefined;
  /** Resumes reading stdout once the queue has room again. */
  private resumeReading: (() => void) | undefined;
  /** Tool results still to hand over, in the client's order. */
  private readonly resultQueue: Array<[string, McpToolResult]> = [];
  /** The tool call whose result was handed over last; the next goes once the CLI has recorded it. */
  private awaitingEcho: { toolUseId: string; timer: Timer } | undefined;

  constructor(options: ClaudeRunOptions) {
    this.process = options.process;
    this.bridge = options.bridge;
    this.log = options.log;
    void this.pump();
  }

  /** Log lines of the request currently served go to its logger. */
  useLogger(log: Logger): void {
    this.log = log;
  }

  /** True once stdout has ended (the CLI exited or closed it). */
  get outputEnded(): boolean {
    return this.ended;
  }

  send(message: unknown): void {
    this.process.send(message);
  }

  /**
   * Gives the CLI the client's tool results, one at a time in the client's order: the CLI runs the client's
   * (read-only) tools concurrently and records results in the order they complete, so each result is handed
   * over once the previous one shows up in the transcript. The model then sees them in the client's order,
   * as it would on a replay.
   */
  answerToolCalls(results: Map<string, McpToolResult>): void {
    this.resultQueue.push(...results);
    if (!this.awaitingEcho) this.handOverNextResult();
  }

  private handOverNextResult(): void {
    const next = this.resultQueue.shift();
    if (!next) {
      this.awaitingEcho = undefined;
      return;
    }
    const [toolUseId, result] = next;
    // Should the CLI not echo the result (a version that behaves differently), do not wait forever.
    const timer = setTimeout(() => this.handOverNextResult(), 2000);
    this.awaitingEcho = { toolUseId, timer };
    for (const response of this.bridge?.answer(new Map([[toolUseId, result]])) ?? []) this.process.send(response);
  }

  private noticeRecordedResult(message: ClaudeOutputMessage): void {
    if (!this.awaitingEcho || message.type !== "user") return;
    const content = (message.message as { content?: Array<{ type?: string; tool_use_id?: string }> } | undefined)?.content;
    if (!Array.isArray(content) || !content.some((block) => block.type === "tool_result" && block.tool_use_id === this.awaitingEcho!.toolUseId)) return;
    clearTimeout(this.awaitingEcho.timer);
    this.handOverNextResult();
  }

  /**
   * The CLI's output messages for the current response. Ends when stdout ends or `signal` aborts;
   * fails with a timeout when the CLI is silent for `idleTimeoutMs`.
   */
  async *messages(options: { signal?: AbortSignal; idleTimeoutMs: number }): AsyncGenerator<ClaudeOutputMessage> {
    const { signal, idleTimeoutMs } = options;
    while (true) {
      if (signal?.aborted) return;
      const next = this.queue.shift();
      if (next) {
        this.resumeReading?.();
        yield next;
        continue;
      }
      if (this.ended) {
        if (this.failure) throw this.failure;
        return;
      }
      const starting = !this.started;
      const waitMs = starting ? Math.max(idleTimeoutMs, minimumStartupMs) : idleTimeoutMs;
      const outcome = await this.waitForOutput(waitMs, signal);
      if (outcome === "idle") {
        const message = starting
          ? `The Claude Code CLI did not start within ${formatSeconds(waitMs)}.`
          : `The Claude Code CLI produced no output for ${formatSeconds(waitMs)} (the relay's --idle-timeout).`;
        throw new RelayError("timeout", message, { retryable: true, code: starting ? "cli_start_timeout" : "idle_timeout" });
      }
    }
  }

  private waitForOutput(idleTimeoutMs: number, signal?: AbortSignal): Promise<"output" | "idle" | "aborted"> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => done("idle"), idleTimeoutMs);
      const onAbort = () => done("aborted");
      const done = (outcome: "output" | "idle" | "aborted") => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        this.wake = undefined;
        resolve(outcome);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.wake = () => done("output");
    });
  }

  private async pump(): Promise<void> {
    try {
      for await (const line of this.process.readLines()) {
        if (!this.started) {
          this.started = true;
          // A response waiting on the start-up allowance switches to the idle timeout.
          this.wake?.();
        }
        if (line.kind === "invalid") {
          this.log.warn("claude CLI printed a line that is not JSON", { pid: this.process.pid, line: line.line.slice(0, 300) });
          continue;
        }
        const message = line.value as ClaudeOutputMessage;
        if (typeof message !== "object" || message === null || typeof message.type !== "string") continue;
        if (message.type === "control_request") {
          this.answerControlRequest(message);
          continue;
        }
        if (message.type === "control_response") {
          if (message.response?.subtype === "error") this.log.warn("claude CLI refused a control request", { error: message.response.error });
          continue;
        }
        this.noticeRecordedResult(message);
        this.queue.push(message);
        this.wake?.();
        if (this.queue.length >= maxQueuedMessages) await new Promise<void>((resolve) => (this.resumeReading = resolve));
        this.resumeReading = undefined;
      }
    } catch (error) {
      this.log.error("reading the claude CLI's output failed", { pid: this.process.pid, error: error instanceof RelayError ? (error.detail ?? error.message) : String(error) });
      if (error instanceof RelayError) this.failure = error;
      // A CLI whose output can no longer be read must not run on.
      this.process.kill();
    } finally {
      this.ended = true;
      if (this.awaitingEcho) clearTimeout(this.awaitingEcho.timer);
      this.wake?.();
    }
  }

  private answerControlRequest(message: Extract<ClaudeOutputMessage, { type: "control_request" }>): void {
    const { request } = message;
    if (request.subtype === "mcp_message" && this.bridge && request.server_name === clientToolServerName) {
      for (const response of this.bridge.handle(message.request_id, request.message as never)) this.process.send(response);
      return;
    }
    if (request.subtype === "can_use_tool") {
      // Only asked for tools not already allowed; the client's own tools are allowed by --allowedTools.
      const allowed = typeof request.tool_name === "string" && request.tool_name.startsWith(`mcp__${clientToolServerName}__`);
      this.process.send({
        type: "control_response",
        response: {
          subtype: "success",
          request_id: message.request_id,
          response: allowed ? { behavior: "allow", updatedInput: request.input } : { behavior: "deny", message: "Not allowed by agent-relay." },
        },
      });
      return;
    }
    this.process.send({
      type: "control_response",
      response: { subtype: "error", request_id: message.request_id, error: `agent-relay does not handle ${request.subtype}` },
    });
  }
}

function formatSeconds(ms: number): string {
  return ms < 10_000 ? `${Math.round(ms / 100) / 10} s` : `${Math.round(ms / 1000)} s`;
}
