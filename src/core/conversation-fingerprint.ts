/**
 * A fingerprint of a conversation that survives the round trip through a client: the same turns give the
 * same fingerprint whether the client speaks OpenAI or Anthropic, re-serializes tool arguments, or echoes
 * reasoning blocks. Used to tell whether a request continues exactly the conversation a live CLI process holds.
 */
import { createHash } from "node:crypto";
import type { RelayMessage, RelayRequest } from "./relay-request.ts";

/** Stable JSON: object keys sorted, so re-serialized arguments compare equal. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${stableJson(item)}`).join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}

/** One turn reduced to what the model sees of it, independent of the client's wire format. */
function canonicalTurn(message: RelayMessage): unknown[] {
  const texts: string[] = [];
  const items: unknown[] = [];
  for (const part of message.content) {
    switch (part.type) {
      case "text":
        texts.push(part.text);
        break;
      case "tool-call":
        items.push(["call", part.id, part.name, stableJson(part.input ?? {})]);
        break;
      case "tool-result":
        items.push(["result", part.toolCallId, part.isError, part.content.map((item) => (item.type === "text" ? item.text : stableJson(item)))]);
        break;
      case "image":
      case "document":
        items.push([part.type, stableJson(part.source)]);
        break;
      case "reasoning":
        // Reasoning is echoed by some clients and dropped by others; it does not identify the conversation.
        break;
    }
  }
  return [message.role, texts.join("").trim(), items];
}

/** Canonical turns: consecutive turns of one role merged, turns without content left out. */
export function canonicalTurns(messages: RelayMessage[]): unknown[][] {
  const turns: unknown[][] = [];
  for (const message of messages) {
    const turn = canonicalTurn(message);
    if (turn[1] === "" && (turn[2] as unknown[]).length === 0) continue;
    const last = turns.at(-1);
    if (last && last[0] === turn[0]) {
      last[1] = `${last[1]}${turn[1]}`;
      last[2] = [...(last[2] as unknown[]), ...(turn[2] as unknown[])];
    } else {
      turns.push(turn);
    }
  }
  return turns;
}

/** The settings a live CLI process was started with; a request with other settings needs another process. */
export function requestSettingsKey(request: RelayRequest): string {
  return stableJson({
    model: request.model,
    system: request.system ?? "",
    tools: request.tools ?? [],
    toolChoice: request.toolChoice ?? null,
    parallelToolCalls: request.parallelToolCalls ?? null,
    responseFormat: request.responseFormat ?? null,
    maxOutputTokens: request.maxOutputTokens ?? null,
    temperature: request.temperature ?? null,
    topP: request.topP ?? null,
    topK: request.topK ?? null,
    stopSequences: request.stopSequences ?? null,
    thinking: request.thinking ?? null,
    effort: request.effort ?? null,
    longContext: request.longContext ?? false,
  });
}

/** A hash of the settings and the conversation. */
export function conversationFingerprint(settingsKey: string, messages: RelayMessage[]): string {
  return createHash("sha256").update(settingsKey).update("\u0000").update(stableJson(canonicalTurns(messages))).digest("hex");
}

/**
 * The fingerprints of a conversation and of its first `prefixLength` messages: each the value
 * conversationFingerprint gives for those messages. When the prefix's canonical turns are the first ones of the
 * whole conversation's (no merge of consecutive turns of one role crosses its end, as for a conversation before its
 * trailing user turns), the turns are serialised once and the hash of their common start computed once: what the
 * inspector pays for every request on a long agent conversation.
 */
export function conversationFingerprints(settingsKey: string, messages: RelayMessage[], prefixLength: number): { whole: string; prefix: string } {
  const prefix = canonicalTurns(messages.slice(0, prefixLength));
  const prefixTurns = prefix.length;
  const turns = canonicalTurns(messages).map(stableJson);
  // A merge across the prefix's end (the messages after it had no content) changes its last turn: hash apart.
  if (prefixTurns > 0 && stableJson(prefix[prefixTurns - 1]) !== turns[prefixTurns - 1]) {
    return { whole: conversationFingerprint(settingsKey, messages), prefix: conversationFingerprint(settingsKey, messages.slice(0, prefixLength)) };
  }
  const hash = createHash("sha256").update(settingsKey).update("\u0000").update(`[${turns.slice(0, prefixTurns).join(",")}`);
  const prefixFingerprint = hash.copy().update("]").digest("hex");
  const rest = turns.slice(prefixTurns).join(",");
  const whole = hash.update(`${prefixTurns > 0 && rest ? "," : ""}${rest}]`).digest("hex");
  return { whole, prefix: prefixFingerprint };
}
