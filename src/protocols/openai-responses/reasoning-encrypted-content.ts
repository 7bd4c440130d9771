/**
 * The `encrypted_content` of reasoning items. OpenAI's is an opaque blob that lets a stateless client send
 * reasoning back; ours carries what Claude needs to accept thinking sent back (the signature, or the data of
 * redacted thinking). It is opaque to clients, not secret: base64 of a small JSON object with a version tag.
 */

/** What a reasoning block needs to be sent back upstream. */
export interface ReasoningProof {
  signature?: string;
  redactedData?: string;
}

const tag = "agent-relay.reasoning.v1";

export function encodeReasoningEncryptedContent(proof: ReasoningProof): string | undefined {
  if (!proof.signature && proof.redactedData === undefined) return undefined;
  return Buffer.from(JSON.stringify({ tag, signature: proof.signature, redactedData: proof.redactedData })).toString("base64");
}

/** The proof inside an encrypted_content we issued; undefined for anything else (e.g. OpenAI's own). */
export function decodeReasoningEncryptedContent(encoded: string): ReasoningProof | undefined {
  try {
    const value = JSON.parse(Buffer.from(encoded, "base64").toString("utf8")) as { tag?: unknown; signature?: unknown; redactedData?: unknown };
    if (value.tag !== tag) return undefined;
    return {
      signature: typeof value.signature === "string" ? value.signature : undefined,
      redactedData: typeof value.redactedData === "string" ? value.redactedData : undefined,
    };
  } catch {
    return undefined;
  }
}
