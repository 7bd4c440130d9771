/**
 * What the claude backend knows of each Claude model's limits, so that a request beyond them is the
 * client's 400 before a CLI is started: the CLI itself caps CLAUDE_CODE_MAX_OUTPUT_TOKENS at the model's
 * limit without a word (999999 becomes 128000), and a prompt far beyond the context window would only come
 * back as the upstream's "prompt is too long" after a process start and an upload.
 *
 * The table is Claude Code 2.1.197's own (its per-model output limits and aliases; see docs/request-checks.md).
 * Names the table does not know are left to the upstream, except that the CLI caps every output at 128000 tokens.
 */
import { RelayError } from "../../core/relay-error.ts";
import type { RelayRequest } from "../../core/relay-request.ts";
import { estimateClaudeInputTokens } from "./estimate-claude-input-tokens.ts";

export interface ClaudeModelLimits {
  /** The model the limits are for (canonical name), or undefined when the name is not one the table knows. */
  model?: string;
  /** The most output tokens a request may ask for. */
  maxOutputTokens: number;
  /** The context window in tokens, when known. */
  contextWindow?: number;
}

/** Output limits by canonical model name (the CLI's own table). */
const outputLimits: Record<string, number> = {
  "claude-fable-5": 128_000,
  "claude-mythos-5": 128_000,
  "claude-sonnet-5": 128_000,
  "claude-opus-4-8": 128_000,
  "claude-opus-4-7": 128_000,
  "claude-opus-4-6": 128_000,
  "claude-sonnet-4-6": 128_000,
  "claude-opus-4-5": 64_000,
  "claude-sonnet-4-5": 64_000,
  "claude-sonnet-4-0": 64_000,
  "claude-haiku-4-5": 64_000,
  "claude-opus-4-1": 32_000,
  "claude-opus-4-0": 32_000,
  "claude-3-7-sonnet": 64_000,
  "claude-3-5-sonnet": 8_192,
  "claude-3-5-haiku": 8_192,
  "claude-3-opus": 4_096,
  "claude-3-sonnet": 8_192,
  "claude-3-haiku": 4_096,
};

/** The CLI's cap for a model it does not know. */
const unknownModelOutputLimit = 128_000;
const standardContextWindow = 200_000;
const longContextWindow = 1_000_000;

/** What the CLI's aliases stand for, and the variable that overrides each. */
const aliases: Record<string, { model: string; override: string }> = {
  opus: { model: "claude-opus-4-8", override: "ANTHROPIC_DEFAULT_OPUS_MODEL" },
  best: { model: "claude-opus-4-8", override: "ANTHROPIC_DEFAULT_OPUS_MODEL" },
  sonnet: { model: "claude-sonnet-5", override: "ANTHROPIC_DEFAULT_SONNET_MODEL" },
  // Outside plan mode, which a -p request never enters.
  opusplan: { model: "claude-sonnet-5", override: "ANTHROPIC_DEFAULT_SONNET_MODEL" },
  haiku: { model: "claude-haiku-4-5", override: "ANTHROPIC_DEFAULT_HAIKU_MODEL" },
  fable: { model: "claude-fable-5", override: "ANTHROPIC_DEFAULT_FABLE_MODEL" },
};

/**
 * The canonical table name of a model name: lower case, without the [1m] suffix, a date or version suffix,
 * a Bedrock or Vertex prefix; "claude-sonnet-4" is "claude-sonnet-4-0".
 */
export function canonicalClaudeModel(name: string): string {
  const canonical = name
    .trim()
    .toLowerCase()
    .replace(/\[1m\]$/, "")
    .replace(/^(?:[a-z]{2,6}\.)?anthropic\./, "")
    .replace(/(?:-v\d+(?::\d+)?|@\d{8})$/, "")
    .replace(/-(?:\d{8}|latest)$/, "");
  return /^claude-(?:opus|sonnet)-4$/.test(canonical) ? `${canonical}-0` : canonical;
}

/**
 * The limits for the model the CLI is started with (`--model`, already resolved; undefined is the CLI's
 * default). `env` is the CLI's environment, whose ANTHROPIC_DEFAULT_*_MODEL variables re-point aliases.
 */
export function claudeModelLimits(model: string | undefined, env: Record<string, string | undefined> = {}): ClaudeModelLimits {
  const requested = (model ?? env.ANTHROPIC_MODEL ?? "default").trim();
  const longContext = /\[1m\]$/i.test(requested);
  const bare = requested.replace(/\[1m\]$/i, "").toLowerCase();
  // The CLI's default model is Opus with the 1M-token window.
  const alias = bare === "default" ? { model: "claude-opus-4-8", override: "ANTHROPIC_DEFAULT_OPUS_MODEL", longContext: true } : aliases[bare];
  const name = alias ? (env[alias.override] ?? alias.model) : bare;
  const canonical = canonicalClaudeModel(name);
  const known = outputLimits[canonical];
  if (known === undefined) return { maxOutputTokens: unknownModelOutputLimit };
  const long = longContext || (alias !== undefined && "longContext" in alias && !env[alias.override]);
  return { model: canonical, maxOutputTokens: known, contextWindow: long ? longContextWindow : standardContextWindow };
}

/**
 * Refuses what the model cannot do, before a CLI is started: more output tokens than its limit (the CLI would
 * silently lower them), and a prompt that is surely longer than its context window. The estimate counts 3.5
 * characters a token; real text takes at least that, and rarely more than 7 characters a token, so only a
 * prompt estimated at twice the window is refused here: anything closer goes to the upstream, whose own
 * "prompt is too long" is mapped to the same error (map-claude-error.ts).
 */
export function checkClaudeModelLimits(request: RelayRequest, limits: ClaudeModelLimits): void {
  const asked = request.maxOutputTokens;
  if (asked !== undefined && asked > limits.maxOutputTokens) {
    const param = request.maxOutputTokensParameter ?? "max_tokens";
    const model = limits.model ?? "this model";
    throw new RelayError("invalid_request", `${param}: ${asked} > ${limits.maxOutputTokens}, which is the maximum allowed number of output tokens for ${model}.`, {
      param,
    });
  }
  if (limits.contextWindow === undefined) return;
  const estimated = estimateClaudeInputTokens(request);
  if (estimated / 2 > limits.contextWindow) {
    throw new RelayError("invalid_request", `prompt is too long: about ${estimated} tokens > ${limits.contextWindow} maximum (estimated by the relay before sending).`, {
      code: "context_length_exceeded",
    });
  }
}
