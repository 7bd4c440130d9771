/**
 * The tools the claude CLI runs itself (agent mode: Read, Bash, a subagent's Task, StructuredOutput), as the
 * backend's reports: each call is an `assistant` line with a tool_use block, its result a `user` line with
 * the tool_result that follows once the tool is done (claude 2.1.197). Calls of the client's tools
 * (mcp__relay__*) are the answer's own tool calls and are not reported here.
 */
import type { RelayBackendToolRun } from "../../core/relay-event.ts";
import type { ClaudeOutputMessage } from "./claude-messages.ts";
import type { ClientToolNames } from "./client-tool-names.ts";

interface PendingRun {
  toolName: string;
  input: unknown;
  startedAt: number;
  parentToolCallId?: string;
}

type AssistantLine = Extract<ClaudeOutputMessage, { type: "assistant" }>;
type UserLine = Extract<ClaudeOutputMessage, { type: "user" }>;

export class ClaudeToolRuns {
  private readonly pending = new Map<string, PendingRun>();

  constructor(private readonly options: { toolNames?: ClientToolNames; now?: () => number } = {}) {}

  /** Takes note of the CLI's own tool calls in an assistant line. */
  noteCalls(line: AssistantLine): void {
    for (const block of line.message.content ?? []) {
      if (block.type !== "tool_use" || !block.id || !block.name) continue;
      if (this.options.toolNames?.clientName(block.name) !== undefined) continue;
      if (this.pending.has(block.id)) continue;
      this.pending.set(block.id, {
        toolName: block.name,
        input: block.input ?? {},
        startedAt: this.now(),
        ...(line.parent_tool_use_id ? { parentToolCallId: line.parent_tool_use_id } : {}),
      });
    }
  }

  /** The runs a user line finishes: the results of calls noted before. */
  finishedBy(line: UserLine): RelayBackendToolRun[] {
    const content = line.message?.content;
    if (!Array.isArray(content)) return [];
    const runs: RelayBackendToolRun[] = [];
    for (const block of content as Array<Record<string, unknown>>) {
      if (block?.type !== "tool_result" || typeof block.tool_use_id !== "string") continue;
      const call = this.pending.get(block.tool_use_id);
      if (!call) continue;
      this.pending.delete(block.tool_use_id);
      runs.push({
        type: "backend-tool-run",
        id: block.tool_use_id,
        toolName: call.toolName,
        input: call.input,
        result: block.content ?? "",
        isError: block.is_error === true,
        durationMs: Math.max(0, Math.round((this.now() - call.startedAt) * 10) / 10),
        finishedAt: Date.now(),
        ...(call.parentToolCallId ? { parentToolCallId: call.parentToolCallId } : {}),
      });
    }
    return runs;
  }

  private now(): number {
    return this.options.now?.() ?? performance.now();
  }
}
