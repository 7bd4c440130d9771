/**
 * Agent mode switches the CLI's own tools on; without it the model is offered none.
 * Real claude CLI against the fake upstream: assert what the upstream was offered.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { startFakeUpstream, type FakeUpstream } from "../support/fake-anthropic-upstream.ts";
import { startTestRelay } from "../support/test-relay.ts";

let upstream: FakeUpstream;

beforeAll(() => {
  upstream = startFakeUpstream();
});
afterAll(() => upstream.stop());

async function offeredTools(args: string[], system?: string) {
  upstream.reset();
  const relay = await startTestRelay({ upstream, args });
  try {
    const client = new OpenAI({ baseURL: `${relay.url}/v1`, apiKey: "x", maxRetries: 0 });
    await client.chat.completions.create({
      model: "sonnet",
      messages: [...(system ? [{ role: "system" as const, content: system }] : []), { role: "user", content: "hi" }],
    });
    const { body } = upstream.messageRequests()[0];
    return { tools: (body.tools as Array<{ name: string }>).map((tool) => tool.name), system: body.system.map((block: { text: string }) => block.text).join("\n") };
  } finally {
    await relay.close();
  }
}

describe("agent mode", () => {
  test("off by default: no tools are offered to the model", async () => {
    const { tools } = await offeredTools([]);
    expect(tools).toEqual([]);
  });

  test("--agent offers the CLI's tools and keeps its prompt, followed by the client's instructions", async () => {
    const { tools, system } = await offeredTools(["--agent"], "Always answer in haiku.");
    expect(tools).toEqual(expect.arrayContaining(["Bash", "Read", "Edit"]));
    expect(system).toContain("Claude Code");
    expect(system.trimEnd().endsWith("Always answer in haiku.")).toBe(true);
  });

  test("--agent-tools limits which tools are offered", async () => {
    const { tools } = await offeredTools(["--agent", "--agent-tools", "Read,Grep"]);
    expect(tools.sort()).toEqual(["Grep", "Read"]);
  });
});
