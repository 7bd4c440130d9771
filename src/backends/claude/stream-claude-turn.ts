/**
 * The per-turn loop: sends the turn, maps the CLI's output to relay events, and settles the turn (keep or
 * end its process) as soon as the answer is done. Until then the turn owns the process: if the stream ends
 * any other way (error, disconnect), `finally` ends it. Its stream-start says how the turn was served
 * (describe-claude-served.ts).
 */
import type { BackendContext } from "../../core/relay-backend.ts";
import { RelayError } from "../../core/relay-error.ts";
import type { RelayBackendEvent } from "../../core/relay-event.ts";
import { AnswerRecorder } from "./answer-recorder.ts";
import type { ClaudeBackendParts, Turn } from "./claude-turn.ts";
import { describeClaudeServed } from "./describe-claude-served.ts";
import { ClaudeOutputMapper } from "./map-claude-output.ts";
import { settleClaudeTurn } from "./settle-claude-turn.ts";

export async function* streamClaudeTurn(parts: ClaudeBackendParts, turn: Turn, context: BackendContext): AsyncGenerator<RelayBackendEvent> {
  const { run, request, invocation } = turn;
  const { options, pool, slots } = parts;
  const resources = slots.of(run);
  const answer = new AnswerRecorder();
  const served = describeClaudeServed(turn);
  const mapper = new ClaudeOutputMapper({
    requestedModel: request.model,
    toolNames: invocation.toolNames,
    structuredOutput: invocation.structuredOutput,
    reportedUsage: run.reportedUsage,
    onNotice: (message, fields) => context.log.info(message, { pid: run.process.pid, ...fields }),
  });
  if (turn.sendUserMessage) run.send(invocation.userMessage);
  let settled = false;
  let started = false;
  let refilled = false;
  const refill = () => {
    if (refilled || turn.source === "live" || turn.source === "recycled") return;
    refilled = true;
    pool.refillSoon(turn.identity.spawnKey);
  };
  try {
    for await (const message of run.messages({ signal: context.signal, idleTimeoutMs: options.idleTimeoutMs })) {
      if (!started && message.type === "system" && message.subtype === "init") {
        started = true;
        options.observer?.turnStarted(turn.source, (performance.now() - turn.startedAt) / 1000);
        // The CLI has loaded the history by the time a turn starts; the file is not needed any more.
        await resources?.session?.remove();
      }
      const step = mapper.accept(message);
      if (step.interrupt) run.process.interrupt();
      answer.record(step.events);
      if (step.events.some((event) => event.type !== "stream-start")) refill();
      // Settle before handing out the last events: a consumer may stop pulling after `finish`.
      if (step.done) {
        settled = true;
        settleClaudeTurn(parts, { turn, answer, callIds: step.hold?.callIds ?? [], interrupted: step.interrupt === true, log: context.log });
      }
      for (const event of step.events) yield event.type === "stream-start" ? { ...event, warnings: invocation.warnings, served } : event;
      if (step.done) return;
    }
    if (context.signal.aborted) return;
    const code = await Promise.race([run.process.exited, Bun.sleep(options.killGraceMs).then(() => null)]);
    throw new RelayError(
      "api_error",
      code === null
        ? "The Claude Code CLI closed its output without finishing the answer."
        : `The Claude Code CLI exited with code ${code} before finishing the answer.`,
      { status: 502, retryable: true, detail: `stderr: ${run.process.stderrTail.slice(-2000)}` },
    );
  } finally {
    if (!settled) slots.endRun(run, false, context.log);
    refill();
  }
}
