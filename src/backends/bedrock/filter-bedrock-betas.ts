/**
 * Bedrock refuses the whole request when anthropic_beta names a flag it does not know ("invalid beta flag"),
 * and Claude Code sends several Anthropic-only flags (claude-code-20250219, oauth-..., prompt-caching-scope-...).
 * So only flags Bedrock documents for the model pass; a provider can replace the list (`betas:` in the file).
 */

/** A flag Bedrock accepts, and for which models (a substring of the base model id), if not for all. */
interface BedrockBeta {
  flag: string;
  models?: string[];
}

// From the Bedrock user guide's Anthropic Messages parameters page (flags per model family).
const defaultBedrockBetas: BedrockBeta[] = [
  { flag: "computer-use-2024-10-22", models: ["claude-3-5-sonnet"] },
  { flag: "computer-use-2025-01-24" },
  { flag: "token-efficient-tools-2025-02-19" },
  { flag: "interleaved-thinking-2025-05-14" },
  { flag: "output-128k-2025-02-19", models: ["claude-3-7-sonnet"] },
  { flag: "dev-full-thinking-2025-05-14" },
  { flag: "context-1m-2025-08-07", models: ["claude-sonnet-4", "claude-opus-4-6", "claude-sonnet-4-6"] },
  { flag: "context-management-2025-06-27", models: ["claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-5", "claude-sonnet-4-6", "claude-opus-4-6"] },
  { flag: "effort-2025-11-24", models: ["claude-opus-4-5"] },
  { flag: "tool-search-tool-2025-10-19", models: ["claude-opus-4-5", "claude-sonnet-4-5", "claude-opus-4-6", "claude-sonnet-4-6"] },
  { flag: "tool-examples-2025-10-29", models: ["claude-opus-4-5", "claude-sonnet-4-5", "claude-opus-4-6", "claude-sonnet-4-6"] },
  { flag: "fine-grained-tool-streaming-2025-05-14" },
];

export interface BedrockBetaFilterResult {
  kept: string[];
  dropped: string[];
}

/**
 * Splits the client's flags (comma-separated header values, possibly repeated) into those sent to Bedrock
 * and those dropped. `allowed`, when the provider configures it, replaces the built-in table for every model.
 */
export function filterBedrockBetas(flags: string[], baseModelId: string, allowed?: string[]): BedrockBetaFilterResult {
  const kept: string[] = [];
  const dropped: string[] = [];
  for (const flag of flags.flatMap((value) => value.split(",")).map((value) => value.trim())) {
    if (!flag || kept.includes(flag) || dropped.includes(flag)) continue;
    if (isBetaAllowed(flag, baseModelId, allowed)) kept.push(flag);
    else dropped.push(flag);
  }
  return { kept, dropped };
}

function isBetaAllowed(flag: string, baseModelId: string, allowed: string[] | undefined): boolean {
  if (allowed) return allowed.includes(flag);
  const entry = defaultBedrockBetas.find((beta) => beta.flag === flag);
  if (!entry) return false;
  return !entry.models || entry.models.some((model) => baseModelId.includes(model));
}
