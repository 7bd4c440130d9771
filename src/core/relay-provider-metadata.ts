/**
 * Provider-specific data that rides on neutral parts and events without becoming part of the neutral shape:
 * a backend that understands a provider's entry uses it, every other backend passes it by.
 */

/** Data only Anthropic (the claude CLI, the Anthropic API, Bedrock) understands. */
export interface AnthropicProviderMetadata {
  /** The signature that authenticates a thinking block; needed to send thinking back upstream. */
  signature?: string;
  /** The encrypted content of a redacted_thinking block. */
  redactedData?: string;
}

/** Provider-specific data, keyed by provider family. */
export interface RelayProviderMetadata {
  anthropic?: AnthropicProviderMetadata;
}

/** Merges two metadata records; string fields that arrive in pieces (signatures) are concatenated. */
export function mergeProviderMetadata(
  current: RelayProviderMetadata | undefined,
  next: RelayProviderMetadata | undefined,
): RelayProviderMetadata | undefined {
  if (!next) return current;
  if (!current) return structuredClone(next);
  const anthropic = current.anthropic || next.anthropic ? { ...current.anthropic } : undefined;
  if (anthropic && next.anthropic) {
    if (next.anthropic.signature !== undefined) anthropic.signature = (anthropic.signature ?? "") + next.anthropic.signature;
    if (next.anthropic.redactedData !== undefined) anthropic.redactedData = next.anthropic.redactedData;
  }
  return { ...current, ...(anthropic ? { anthropic } : {}) };
}
