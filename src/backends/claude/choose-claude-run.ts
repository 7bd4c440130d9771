/**
 * Finds the process that answers a request, fastest first:
 * 1. a live conversation: the process that answered the previous turn of exactly this conversation, still
 *    waiting for the client's tool results or idle between turns; only the new turn is sent to it;
 * 2. for a new conversation, a recycled process: one that served this client with the same settings and was
 *    cleared (`/clear`); or the process of one of the client's idle conversations, cleared now (see
 *    steal-policy.ts for when); or a warm process started ahead of time and configured late (`initialize`);
 * 3. otherwise a process started now, with earlier turns replayed from a session file (`--resume`: a running
 *    CLI cannot load a history, see docs/claude-cli-findings.md).
 * The turn returned owns its process; every failure on the way ends what was started.
 */
import { conversationFingerprint } from "../../core/conversation-fingerprint.ts";
import type { BackendContext } from "../../core/relay-backend.ts";
import type { RelayContentPart, RelayRequest } from "../../core/relay-request.ts";
import type { ClaudeInvocation } from "./build-claude-invocation.ts";
import { ClaudeProcess } from "./claude-process.ts";
import { ClaudeRun } from "./claude-run.ts";
import type { RunResources } from "./claude-run-slots.ts";
import type { ClaudeBackendParts, Turn } from "./claude-turn.ts";
import { ClientToolBridge, toMcpToolResult, type McpToolResult } from "./client-tool-bridge.ts";
import type { LiveConversation } from "./live-conversations.ts";
import { sameIdentity, type ProcessIdentity } from "./recycled-processes.ts";
import { endLiveConversation } from "./settle-claude-turn.ts";
import type { SpawnSpec } from "./warm-pool.ts";
import { writeClaudeSession } from "./write-claude-session.ts";

export interface TurnRequest {
  binary: string;
  request: RelayRequest;
  invocation: ClaudeInvocation;
  conversationKey: string;
  identity: ProcessIdentity;
  startedAt: number;
}

export async function chooseClaudeRun(parts: ClaudeBackendParts, wanted: TurnRequest, context: BackendContext): Promise<Turn> {
  const { history, turn } = wanted.invocation.conversation;
  const fingerprint = conversationFingerprint(wanted.conversationKey, history);
  const live = parts.live.take(fingerprint);
  if (live) {
    // A continued process works like a new one: it takes a slot until its answer is done.
    let releaseSlot: () => void;
    try {
      releaseSlot = await parts.slots.acquire(context.signal);
    } catch (error) {
      parts.slots.endRun(live.run, false, context.log);
      throw error;
    }
    if (continueLiveConversation(parts, live, turn.content, context)) {
      parts.slots.assignSlot(live.run, releaseSlot);
      return { ...wanted, run: live.run, source: "live", sendUserMessage: live.callIds.length === 0 };
    }
    return startRun(parts, wanted, context, releaseSlot);
  }
  const toolResults = turn.content.flatMap((part) => (part.type === "tool-result" ? [part.toolCallId] : []));
  if (toolResults.length > 0) {
    parts.live.supersede(toolResults);
    context.log.info("tool round continues by replay", { reason: "no process is waiting for these tool calls", tool_call_ids: toolResults });
    parts.options.observer?.conversations.continued("replay");
  }
  if (history.length > 0 && parts.steal.noteReplay(fingerprint)) {
    context.log.info("conversation continues by replay after its process was taken over", { reason: "a new conversation of the same client took its idle process" });
    parts.options.observer?.recycle.regretted();
  }
  return startRun(parts, wanted, context);
}

/** A free process claimed for a new conversation: a ready one, or an idle conversation's that still needs a clear. */
interface ClaimedProcess {
  run: ClaudeRun;
  needsClear: boolean;
}

/**
 * Claims, synchronously, a ready (recycled) process of the same client and settings, or else the process of
 * one of the same client's idle conversations with the same settings when the steal policy says taking it
 * over is cheaper than a start-up. The claim counts as busy in `handoffs` until the request begins its turn.
 */
function claimFreeProcess(parts: ClaudeBackendParts, identity: ProcessIdentity, context: BackendContext): ClaimedProcess | undefined {
  const { recycler, steal, live, handoffs } = parts;
  const ready = parts.recycled.take(identity);
  if (ready) {
    handoffs.pledge(ready.run, identity);
    return { run: ready.run, needsClear: false };
  }
  if (!recycler.enabled || !steal.mayTakeOver(identity.clientKey)) return undefined;
  const conversation = live.takeOldestIdle((candidate) => {
    const life = recycler.lifeOf(candidate.run);
    return life !== undefined && sameIdentity(life.identity, identity);
  });
  if (!conversation) return undefined;
  const idleMs = Date.now() - conversation.since;
  parts.options.observer?.conversations.ended("idle", "recycled", idleMs);
  steal.noteTakeOver(identity.clientKey, conversation.fingerprint);
  context.log.info("a new conversation takes over an idle conversation's process", { pid: conversation.run.process.pid, idle_ms: idleMs });
  handoffs.pledge(conversation.run, identity);
  return { run: conversation.run, needsClear: true };
}

/** The claimed process, cleared when it still held a conversation; undefined when it had to be ended instead. */
async function readyForReuse(parts: ClaudeBackendParts, claimed: ClaimedProcess, context: BackendContext): Promise<ClaudeRun | undefined> {
  if (!claimed.needsClear) return claimed.run;
  // A failed clear retires the process, which also ends its pledge.
  return (await parts.recycler.clearForReuse(claimed.run, context.log)) ? claimed.run : undefined;
}

/** How often a waiting request looks again at how long a start-up is taking. */
const recheckMs = 250;

/**
 * Under a burst, waits briefly for a process of the same client and settings that is about to be freed,
 * when one is expected before a start-up begun now would be ready (process-handoffs.ts); undefined when none
 * came in time, and the caller starts a process.
 */
async function waitForFreedProcess(parts: ClaudeBackendParts, identity: ProcessIdentity, context: BackendContext): Promise<ClaudeRun | undefined> {
  const { handoffs } = parts;
  if (!handoffs.shouldWait(identity)) return undefined;
  const startedAt = Date.now();
  // Re-read on every wake-up: while a start-up begun earlier is still under way, one begun now would not be faster.
  const deadline = () => startedAt + handoffs.waitLimitMs();
  const claim = () => claimFreeProcess(parts, identity, context);
  while (Date.now() < deadline()) {
    const claimed = (await handoffs.wait(identity, Math.min(deadline() - Date.now(), recheckMs), context.signal, claim)) ?? (context.signal.aborted ? undefined : claim());
    // A process claimed just before the client went away is still taken: the turn ends it properly.
    if (!claimed && context.signal.aborted) throw context.signal.reason ?? new Error("aborted");
    const run = claimed && (await readyForReuse(parts, claimed, context));
    if (run) {
      handoffs.noteWaited(identity, Date.now() - startedAt);
      context.log.debug("a new conversation waited for a freed process", { pid: run.process.pid, waited_ms: Date.now() - startedAt });
      return run;
    }
    if (!handoffs.shouldWait(identity)) break;
  }
  handoffs.noteWaited(identity, Date.now() - startedAt);
  context.log.debug("no process was freed in time: starting one", { waited_ms: Date.now() - startedAt });
  return undefined;
}

/**
 * Sends the new turn to a live conversation's process: tool results to the calls it waits for, or a new
 * user turn to an idle one. False (and the conversation is ended) when the turn cannot be carried that way.
 */
function continueLiveConversation(parts: ClaudeBackendParts, conversation: LiveConversation, turn: RelayContentPart[], context: BackendContext): boolean {
  const { run } = conversation;
  const observer = parts.options.observer;
  const waitingFor = conversation.callIds;
  const heldMs = Date.now() - conversation.since;
  const fallBack = (reason: string) => {
    context.log.info(waitingFor.length > 0 ? "tool round continues by replay" : "conversation continues by replay", { reason, pid: run.process.pid });
    observer?.conversations.continued("replay");
    endLiveConversation(parts, conversation, "superseded");
    return false;
  };
  run.useLogger(context.log);
  // Killed (OOM, a user's kill -9) while it waited: the exit may not have been reported yet.
  if (!run.process.running || run.outputEnded) return fallBack("its process has exited");
  if (waitingFor.length === 0) {
    if (turn.some((part) => part.type === "tool-result")) return fallBack("the turn answers tool calls the process does not wait for");
    context.log.info("conversation continues in its live process", { pid: run.process.pid, idle_ms: heldMs });
    observer?.conversations.continued("live", heldMs);
    return true;
  }
  const results = new Map<string, McpToolResult>();
  for (const part of turn) {
    if (part.type === "tool-result") {
      const result = toMcpToolResult(part);
      if (!result) return fallBack("a tool result holds content MCP cannot carry");
      results.set(part.toolCallId, result);
    } else if (!(part.type === "text" && part.text.trim() === "")) {
      return fallBack("the turn adds more than tool results");
    }
  }
  if (results.size !== waitingFor.length || !waitingFor.every((id) => results.has(id))) return fallBack("the tool results do not answer the waiting calls");
  context.log.info("tool round continues through the waiting process", { pid: run.process.pid, held_ms: heldMs, tool_call_ids: waitingFor });
  observer?.conversations.continued("hold", heldMs);
  run.answerToolCalls(results);
  return true;
}

/** A new conversation in a warm process, or any conversation in a process started now. */
async function startRun(parts: ClaudeBackendParts, wanted: TurnRequest, context: BackendContext, releaseSlot?: () => void): Promise<Turn> {
  const { invocation } = wanted;
  const { options, pool, slots } = parts;
  const resources: RunResources = { releaseSlot: releaseSlot ?? (await slots.acquire(context.signal)) };
  const spec: SpawnSpec = { binary: wanted.binary, args: invocation.args, env: invocation.env, cwd: options.workdir };
  let run: ClaudeRun | undefined;
  let source: Turn["source"] = "cold";
  /** Stands for this request's process in `handoffs` until the process exists. */
  const handoffTicket = {};
  try {
    let child: ClaudeProcess | undefined;
    if (invocation.history.length > 0) {
      // The CLI reads --resume history at start-up, so a conversation it has not seen needs a new process.
      pool.noteUse(spec);
      resources.session = await writeClaudeSession({
        history: invocation.history,
        cwd: options.workdir,
        env: invocation.env,
        cliVersion: parts.cliVersion(),
        content: invocation.contentOptions,
      });
      const args = [...invocation.args, "--resume", resources.session.sessionId];
      if (invocation.anchorAtLastAssistant && resources.session.lastAssistantUuid) args.push("--resume-session-at", resources.session.lastAssistantUuid);
      await slots.makeRoom();
      child = ClaudeProcess.spawn({ ...spec, args }, parts.processes);
    } else {
      const claimed = claimFreeProcess(parts, wanted.identity, context);
      let reused = claimed && (await readyForReuse(parts, claimed, context));
      if (!reused) {
        child = pool.take(spec);
        if (!child) reused = await waitForFreedProcess(parts, wanted.identity, context);
      }
      if (reused) {
        run = reused;
        parts.recycler.noteReuse(run);
        parts.handoffs.begin(run, wanted.identity, false);
        slots.attach(run, resources);
        run.useLogger(context.log);
        context.log.debug("claude CLI reused", { pid: run.process.pid, source: "recycled", conversations: parts.recycler.lifeOf(run)?.conversations });
        return { ...wanted, run, source: "recycled", sendUserMessage: true };
      }
      // Counted at once (before any await), so that requests arriving meanwhile may wait for this one.
      parts.handoffs.begin(handoffTicket, wanted.identity, !child);
      if (child) source = "warm";
      else {
        await slots.makeRoom();
        child = ClaudeProcess.spawn(spec, parts.processes);
      }
    }
    const bridge = invocation.toolNames ? new ClientToolBridge(invocation.offeredTools, invocation.toolNames) : undefined;
    run = new ClaudeRun({ process: child, bridge, log: context.log });
    parts.handoffs.rebind(handoffTicket, run);
    slots.attach(run, resources);
    parts.recycler.register(run, wanted.identity);
    context.log.debug("claude CLI started", {
      pid: child.pid,
      source,
      model: invocation.model ?? "default",
      history_turns: invocation.history.length,
      client_tools: invocation.offeredTools.length,
    });
    run.send(invocation.initialize);
  } catch (error) {
    parts.handoffs.forget(handoffTicket);
    if (run) {
      parts.handoffs.forget(run);
      slots.endRun(run, false, context.log);
    }
    else {
      await resources.session?.remove();
      resources.releaseSlot?.();
    }
    throw error;
  }
  return { ...wanted, run, source, sendUserMessage: true };
}
