import { describe, expect, test } from "bun:test";
import { conversationFingerprint, conversationFingerprints } from "../../src/core/conversation-fingerprint.ts";
import type { RelayMessage } from "../../src/core/relay-request.ts";

/** Conversations of every shape that matters to canonical turns: runs of one role, empty messages, tool calls and results with keys in any order. */
function randomConversation(seed: number): RelayMessage[] {
  let state = seed;
  const next = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 4294967296;
  const messages: RelayMessage[] = [];
  const length = 1 + Math.floor(next() * 12);
  for (let index = 0; index < length; index++) {
    const role = next() < 0.5 ? "user" : "assistant";
    const shape = next();
    if (shape < 0.15) messages.push({ role, content: [] });
    else if (shape < 0.3) messages.push({ role, content: [{ type: "text", text: "  " }] });
    else if (shape < 0.55 && role === "assistant") {
      messages.push({ role, content: [{ type: "text", text: `step ${index}` }, { type: "tool-call", id: `call_${index}`, name: "Read", input: next() < 0.5 ? { path: "a", line: 1 } : { line: 1, path: "a" } }] });
    } else if (shape < 0.7 && role === "user") {
      messages.push({ role, content: [{ type: "tool-result", toolCallId: `call_${index - 1}`, isError: false, content: [{ type: "text", text: `result ${index}` }] }] });
    } else messages.push({ role, content: [{ type: "text", text: `${role} says ${Math.floor(next() * 5)}` }] });
  }
  return messages;
}

describe("conversationFingerprints", () => {
  test("gives, for every prefix of every conversation, exactly what conversationFingerprint gives for the whole and for the prefix", () => {
    let compared = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const messages = randomConversation(seed);
      for (let prefixLength = 0; prefixLength <= messages.length; prefixLength++) {
        const both = conversationFingerprints("settings", messages, prefixLength);
        expect(both).toEqual({ whole: conversationFingerprint("settings", messages), prefix: conversationFingerprint("settings", messages.slice(0, prefixLength)) });
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(1000);
  });

  test("a prefix whose last turn merges with what follows it (the messages between had no content) is still its own fingerprint", () => {
    const messages: RelayMessage[] = [
      { role: "user", content: [{ type: "text", text: "hi" }] },
      { role: "assistant", content: [{ type: "text", text: "hello" }] },
      { role: "user", content: [] },
      { role: "assistant", content: [{ type: "text", text: " again" }] },
    ];
    const both = conversationFingerprints("settings", messages, 2);
    expect(both.prefix).toBe(conversationFingerprint("settings", messages.slice(0, 2)));
    expect(both.whole).toBe(conversationFingerprint("settings", messages));
    expect(both.prefix).not.toBe(both.whole);
  });
});
