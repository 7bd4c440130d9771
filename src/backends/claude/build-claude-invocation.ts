/**
 * Everything that goes into one CLI run for a request: argv, environment, the initialize control request
 * and the new user turn. Request parameters the CLI has no flag for travel in its environment
 * (CLAUDE_CODE_EXTRA_BODY is merged into the upstream body; CLAUDE_CODE_MAX_OUTPUT_TOKENS sets max_tokens).
 */
import { RelayError } from "../../core/relay-error.ts";
import type { RelayMessage, RelayRequest, RelayToolDefinition, RelayWarning } from "../../core/relay-request.ts";
import { adaptRequestForClaude } from "./adapt-request-for-claude.ts";
import { ClientToolNames, clientToolServerName } from "./client-tool-names.ts";
import { mergeConsecutiveTurns, toClaudeContent, type ClaudeContentBlock, type ToClaudeContentOptions } from "./to-claude-content.ts";
import { checkClaudeModelLimits, claudeModelLimits } from "./claude-model-limits.ts";

export interface ClaudeInvocationSettings {
  /** Model used when the client names one the CLI cannot serve; undefined = the CLI's default. */
  defaultModel?: string;
  /** CLAUDE_CODE_MAX_RETRIES. */
  cliMaxRetries: number;
  /** The CLI's own tools are on. */
  agent: boolean;
  agentTools?: string;
  permissionMode: string;
  /** The relay's own listen address, so a base URL pointing back at it is dropped. */
  relayAddress: { host: string; port: number };
}

export interface ClaudeInvocation {
  args: string[];
  env: Record<string, string | undefined>;
  /**
   * Turns for the session file. When the new turn carries tool results it is written here too (after the
   * last assistant turn, which then anchors --resume-session-at): otherwise the CLI drops the assistant's
   * unresolved tool calls on resume.
   */
  history: RelayMessage[];
  /** The conversation as sent: the earlier turns and the new one (consecutive turns of a role merged). */
  conversation: { history: RelayMessage[]; turn: RelayMessage };
  /** The new turn is also in `history`; resume at the last assistant turn. */
  anchorAtLastAssistant: boolean;
  /** The client's tools as the model sees them, when any are offered. */
  toolNames?: ClientToolNames;
  /** The tools the CLI's MCP bridge declares. */
  offeredTools: RelayToolDefinition[];
  /** The answer is the structured output. */
  structuredOutput: boolean;
  /** How the session file names client tools in earlier turns. */
  contentOptions: ToClaudeContentOptions;
  /** The control request sent first on stdin. */
  initialize: Record<string, unknown>;
  /** The user turn sent on stdin that starts the model call. */
  userMessage: { type: "user"; message: { role: "user"; content: ClaudeContentBlock[] }; parent_tool_use_id: null };
  /** The model passed with --model, if any. */
  model?: string;
  /** Request parameters that could not be carried. */
  warnings: RelayWarning[];
}

const aliasPattern = /^(default|best|opus|sonnet|haiku|fable|opusplan)(\[1m\])?$/i;

/** The model to pass to the CLI: Claude names and aliases as given, anything else (gpt-4o, ...) becomes the default. */
export function resolveClaudeModel(requested: string, defaultModel: string | undefined): { model?: string; warning?: RelayWarning } {
  const name = requested.trim();
  if (name === "" || name.toLowerCase() === "default") return { model: defaultModel };
  if (aliasPattern.test(name) || /claude|opus|sonnet|haiku|fable/i.test(name)) return { model: name };
  return {
    model: defaultModel,
    warning: {
      parameter: "model",
      message: `"${name}" is not a Claude model; using ${defaultModel ?? "the CLI's default model"} (set --model to choose)`,
    },
  };
}

/** True when a base URL points at this relay itself (it would make the CLI call the relay in a loop). */
export function pointsAtRelay(baseUrl: string, relay: { host: string; port: number }): boolean {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    return false;
  }
  const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
  if (port !== relay.port) return false;
  const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  const local = host === "localhost" || host === "::1" || host === "0.0.0.0" || host === "::" || /^127\./.test(host);
  return local || host === relay.host.replace(/^\[|\]$/g, "").toLowerCase();
}

/** Splits the conversation into the history to resume and the new user turn. */
export function splitConversation(messages: RelayMessage[]): { history: RelayMessage[]; turn: RelayMessage } {
  // Turns with nothing to send (e.g. an assistant message with empty content) are invalid upstream; they carry no meaning.
  const meaningful = messages.filter((message, index) => index === messages.length - 1 || toClaudeContent(message.content).length > 0);
  const turns = mergeConsecutiveTurns(meaningful);
  const turn = turns.at(-1);
  if (!turn) throw new RelayError("invalid_request", "messages: at least one message is required.", { param: "messages" });
  if (turn.role !== "user") {
    throw new RelayError(
      "invalid_request",
      "The last message must come from the user: continuing a partial assistant message (prefill) is not supported by the Claude Code backend.",
      { param: "messages" },
    );
  }
  return { history: turns.slice(0, -1), turn };
}

export function buildClaudeInvocation(
  clientRequest: RelayRequest,
  settings: ClaudeInvocationSettings,
  baseEnv: Record<string, string | undefined>,
): ClaudeInvocation {
  const { request, warnings } = adaptRequestForClaude(clientRequest);
  const { history, turn } = splitConversation(request.messages);
  const offeredTools = toolsToOffer(request);
  const toolNames = offeredTools.length > 0 ? new ClientToolNames(offeredTools) : undefined;
  const contentOptions = { toolName: (name: string) => toolNames?.upstreamNameIfDeclared(name) ?? name };
  const content = toClaudeContent(turn.content, contentOptions);
  const anchorAtLastAssistant = history.length > 0 && turn.content.some((part) => part.type === "tool-result");
  if (content.length === 0) {
    throw new RelayError("invalid_request", "The last user message has no content.", { param: "messages" });
  }
  const resolved = resolveClaudeModel(request.model, settings.defaultModel);
  if (resolved.warning) warnings.push(resolved.warning);
  // The CLI selects the 1M-token context window with a "[1m]" suffix on the model name.
  const model = resolved.model && request.longContext && !resolved.model.endsWith("]") ? `${resolved.model}[1m]` : resolved.model;
  checkClaudeModelLimits(request, claudeModelLimits(model, baseEnv));

  const args = [
    "-p",
    "--input-format", "stream-json",
    "--output-format", "stream-json",
    "--verbose",
    "--include-partial-messages",
    "--no-session-persistence",
  ];
  if (model) args.push("--model", model);
  if (settings.agent) {
    if (settings.agentTools !== undefined) args.push("--tools", settings.agentTools);
    args.push("--permission-mode", settings.permissionMode);
  } else {
    // Plain API behaviour: no built-in tools, and none of the user's MCP servers started for nothing.
    args.push("--tools", "", "--strict-mcp-config");
  }
  // The client's tools run at the client: allowed without asking, the CLI holds each call until its result comes back.
  if (toolNames) args.push("--allowedTools", `mcp__${clientToolServerName}`);

  const initialize: Record<string, unknown> = { subtype: "initialize" };
  if (toolNames) initialize.sdkMcpServers = [clientToolServerName];
  if (request.responseFormat) initialize.jsonSchema = request.responseFormat.schema ?? { type: "object" };
  if (settings.agent) {
    // Agent mode keeps Claude Code's own prompt (it explains the tools); the client's instructions follow it.
    if (request.system) initialize.appendSystemPrompt = request.system;
  } else {
    // The client's prompt replaces Claude Code's coding-agent prompt; an empty one leaves only the CLI's two fixed lines.
    initialize.systemPrompt = [request.system ?? ""];
  }

  return {
    args,
    env: buildClaudeEnv(request, settings, baseEnv, toolNames),
    history: anchorAtLastAssistant ? [...history, turn] : history,
    conversation: { history, turn },
    anchorAtLastAssistant,
    toolNames,
    offeredTools,
    structuredOutput: request.responseFormat !== undefined,
    contentOptions,
    initialize: { type: "control_request", request_id: "relay_init", request: initialize },
    userMessage: { type: "user", message: { role: "user", content }, parent_tool_use_id: null },
    model,
    warnings,
  };
}

/** The tools the model is offered: none for tool_choice none, unless the history has tool calls (the API needs their definitions then). */
function toolsToOffer(request: RelayRequest): RelayToolDefinition[] {
  const tools = request.tools ?? [];
  if (tools.length === 0) return [];
  if (request.toolChoice?.type !== "none") return tools;
  const historyUsesTools = request.messages.some((message) => message.content.some((part) => part.type === "tool-call" || part.type === "tool-result"));
  return historyUsesTools ? tools : [];
}

/** The Messages API tool_choice for the request, merged into the upstream body (the CLI has no flag for it). */
function upstreamToolChoice(request: RelayRequest, toolNames: ClientToolNames | undefined): Record<string, unknown> | undefined {
  if (!toolNames) return undefined;
  const noParallel = request.parallelToolCalls === false ? { disable_parallel_tool_use: true } : {};
  switch (request.toolChoice?.type) {
    case undefined:
    case "auto":
      return request.parallelToolCalls === false ? { type: "auto", ...noParallel } : undefined;
    case "none":
      return { type: "none" };
    case "required":
      return { type: "any", ...noParallel };
    case "tool":
      return { type: "tool", name: toolNames.upstreamName(request.toolChoice.name), ...noParallel };
  }
}

function buildClaudeEnv(
  request: RelayRequest,
  settings: ClaudeInvocationSettings,
  baseEnv: Record<string, string | undefined>,
  toolNames: ClientToolNames | undefined,
): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...baseEnv };
  if (env.ANTHROPIC_BASE_URL && pointsAtRelay(env.ANTHROPIC_BASE_URL, settings.relayAddress)) delete env.ANTHROPIC_BASE_URL;
  // Variables the relay sets per request must not leak in from the relay's own environment.
  for (const name of ["CLAUDE_CODE_EXTRA_BODY", "CLAUDE_CODE_MAX_OUTPUT_TOKENS", "CLAUDE_CODE_EFFORT_LEVEL"]) delete env[name];
  env.CLAUDE_CODE_MAX_RETRIES = String(settings.cliMaxRetries);
  env.DISABLE_AUTOUPDATER = "1";
  if (!settings.agent) {
    // Plain API behaviour: the user's CLAUDE.md files and auto-memory are not injected into the prompt.
    env.CLAUDE_CODE_DISABLE_CLAUDE_MDS = "1";
    env.CLAUDE_CODE_DISABLE_AUTO_MEMORY = "1";
  }

  const extraBody: Record<string, unknown> = {};
  if (request.temperature !== undefined) extraBody.temperature = request.temperature;
  if (request.topP !== undefined) extraBody.top_p = request.topP;
  if (request.topK !== undefined) extraBody.top_k = request.topK;
  if (request.stopSequences?.length) extraBody.stop_sequences = request.stopSequences;
  const toolChoice = upstreamToolChoice(request, toolNames);
  if (toolChoice) extraBody.tool_choice = toolChoice;
  if (Object.keys(extraBody).length > 0) env.CLAUDE_CODE_EXTRA_BODY = JSON.stringify(extraBody);
  if (request.maxOutputTokens !== undefined) env.CLAUDE_CODE_MAX_OUTPUT_TOKENS = String(request.maxOutputTokens);

  const thinking = request.thinking;
  if (!thinking || thinking.type === "disabled") {
    // A request without thinking gets none, as from the API (the CLI would otherwise think adaptively).
    env.MAX_THINKING_TOKENS = "0";
  } else if (thinking.type === "enabled" && thinking.budgetTokens !== undefined) {
    env.MAX_THINKING_TOKENS = String(thinking.budgetTokens);
  } else {
    delete env.MAX_THINKING_TOKENS;
  }
  if (request.effort) env.CLAUDE_CODE_EFFORT_LEVEL = request.effort;
  return env;
}
