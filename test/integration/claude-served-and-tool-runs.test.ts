/**
 * What the claude backend reports beside its answers, with the real claude CLI against the fake upstream:
 * how each request was served (cold, warm, live, hold, replay) in the inspector's API and list filter, and in
 * agent mode the tools the CLI ran itself (its own Read of a file): in the inspector with input and result
 * (secrets masked; only names and timing when the capture mode keeps metadata only) and as an execute_tool
 * child span over OTLP, never in the client's answer.
 */
import Anthropic from "@anthropic-ai/sdk";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { startFakeUpstream, type FakeUpstream } from "../support/fake-anthropic-upstream.ts";
import { startTestRelay, type TestRelay } from "../support/test-relay.ts";
import { waitFor } from "../support/wait-for.ts";
import { attributesOf, spansOf, startOtlpCollector as startCollector } from "../support/fake-otlp-collector.ts";

let upstream: FakeUpstream;
let relay: TestRelay | undefined;
const temporaryDirectories: string[] = [];

beforeAll(() => {
  upstream = startFakeUpstream();
});
afterEach(async () => {
  await relay?.close();
  relay = undefined;
  upstream.reset();
});
afterAll(() => {
  upstream.stop();
  for (const directory of temporaryDirectories) rmSync(directory, { recursive: true, force: true });
});

/** One request as the inspector's API shows it, once the recorder has written it. */
const inspected = (target: TestRelay, id: string) =>
  waitFor(
    async () => {
      const response = await fetch(`${target.url}/inspector/api/requests/${id}`);
      return response.ok ? ((await response.json()) as any) : undefined;
    },
    { what: `request ${id} in the inspector` },
  );

const chat = async (target: TestRelay, apiKey: string, messages: OpenAI.ChatCompletionMessageParam[], tools?: OpenAI.ChatCompletionTool[]) => {
  const client = new OpenAI({ baseURL: `${target.url}/v1`, apiKey, maxRetries: 0 });
  const { data, response } = await client.chat.completions.create({ model: "sonnet", messages, ...(tools ? { tools } : {}) }).withResponse();
  return { answer: data, id: response.headers.get("x-request-id")! };
};

const weatherTool: OpenAI.ChatCompletionTool = {
  type: "function",
  function: { name: "get_weather", description: "Weather for a city", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } },
};

describe("how the claude backend served a request", () => {
  test("cold, warm, live, hold and replay are shown per request, and the list filters by them", async () => {
    relay = await startTestRelay({ upstream, args: ["--warm-processes", "1"] });
    const served: Record<string, string> = {};

    // A new conversation with nothing warm yet starts a process: cold.
    const first = await chat(relay, "client-a", [{ role: "user", content: "first conversation" }]);
    served[first.id] = "cold";
    // The pool now holds a process for these settings: the next new conversation takes it.
    await waitFor(async () => ((await (await fetch(`${relay!.url}/health`)).json()) as any).warm_processes === 1, { what: "a warm process" });
    const second = await chat(relay, "client-b", [{ role: "user", content: "second conversation" }]);
    served[second.id] = "warm";
    // The first conversation's next turn goes to its idle process: live.
    const next = await chat(relay, "client-a", [
      { role: "user", content: "first conversation" },
      { role: "assistant", content: first.answer.choices[0].message.content },
      { role: "user", content: "and again" },
    ]);
    served[next.id] = "live";
    // A client tool round: the results go to the process that waits for them: hold.
    upstream.enqueue({ kind: "tool-use", calls: [{ id: "toolu_served_weather", name: "mcp__relay__get_weather", input: { city: "Oslo" } }] });
    const question: OpenAI.ChatCompletionMessageParam = { role: "user", content: "Weather in Oslo?" };
    const call = await chat(relay, "client-c", [question], [weatherTool]);
    expect(call.answer.choices[0].finish_reason).toBe("tool_calls");
    const toolCall = call.answer.choices[0].message.tool_calls![0];
    const held = await chat(
      relay,
      "client-c",
      [question, { role: "assistant", content: null, tool_calls: [toolCall] }, { role: "tool", tool_call_id: toolCall.id, content: "Sunny, 21 C" }],
      [weatherTool],
    );
    served[held.id] = "hold";
    // A conversation no process knows: its earlier turns are replayed into a new one.
    const replayed = await chat(relay, "client-d", [
      { role: "user", content: "an old conversation" },
      { role: "assistant", content: "that this relay never saw" },
      { role: "user", content: "continue it" },
    ]);
    served[replayed.id] = "replay";

    for (const [id, path] of Object.entries(served)) {
      const view = await inspected(relay, id);
      expect({ id, served: view.servedPath }).toEqual({ id, served: path });
      expect(view.details.served.path).toBe(path);
      expect(view.details.served.details.pid).toBeNumber();
    }
    expect((await inspected(relay, replayed.id)).details.served.details.replayedMessages).toBe(2);
    // The client's answers say nothing about it.
    expect(JSON.stringify(held.answer)).not.toContain("hold");

    const list = (await (await fetch(`${relay.url}/inspector/api/requests?served=hold`)).json()) as any;
    expect(list.items.map((row: any) => row.id)).toEqual([held.id]);
  }, 240_000);

  test("a new conversation in the process another one of the same client was cleared from: recycled, same pid", async () => {
    relay = await startTestRelay({ upstream, args: ["--warm-processes", "0", "--conversation-idle-timeout", "0", "--recycle"] });
    const first = await chat(relay, "client-a", [{ role: "user", content: "one conversation" }]);
    await waitFor(async () => ((await (await fetch(`${relay!.url}/health`)).json()) as any).ready_processes === 1, { what: "a cleared process" });
    const second = await chat(relay, "client-a", [{ role: "user", content: "another conversation" }]);
    const [before, after] = [await inspected(relay, first.id), await inspected(relay, second.id)];
    expect([before.servedPath, after.servedPath]).toEqual(["cold", "recycled"]);
    expect(after.details.served.details.pid).toBe(before.details.served.details.pid);
  }, 120_000);
});

describe("the tools the CLI ran itself (agent mode)", () => {
  const secret = "sk-ant-api03-PLANTEDSECRETinsideAfileTheCliRead0123456789";
  const marker = "The launch code is PINEAPPLE-42.";

  /** A working directory with a file for the CLI's Read tool, and an upstream that asks for it, then answers. */
  function agentSetup() {
    const workdir = mkdtempSync(join(tmpdir(), "claude-tool-runs-"));
    temporaryDirectories.push(workdir);
    const file = join(workdir, "notes.txt");
    writeFileSync(file, `${marker}\nkey: ${secret}\n`);
    upstream.setDefault((body) =>
      JSON.stringify(body.messages).includes("toolu_agent_read")
        ? { kind: "text", chunks: ["I read the notes."] }
        : { kind: "tool-use", text: "Let me look.", calls: [{ id: "toolu_agent_read", name: "Read", input: { file_path: file } }] },
    );
    return { workdir, file };
  }

  const ask = async (target: TestRelay) => {
    const anthropic = new Anthropic({ baseURL: target.url, apiKey: "x", maxRetries: 0 });
    const { data, response } = await anthropic.messages.create({ model: "sonnet", max_tokens: 500, messages: [{ role: "user", content: "What do my notes say?" }] }).withResponse();
    return { answer: data, id: response.headers.get("x-request-id")! };
  };

  test("the Read run is in the inspector with its input and result, an execute_tool child span over OTLP, and not in the answer", async () => {
    const { workdir, file } = agentSetup();
    const collector = startCollector();
    try {
      relay = await startTestRelay({
        upstream,
        args: ["--agent", "--workdir", workdir, "--warm-processes", "0"],
        telemetryEnv: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: "true" },
      });
      const { answer, id } = await ask(relay);
      // Only text reaches the client: the model's words around the CLI's own call.
      expect(answer.content.map((block) => block.type)).toEqual(["text", "text"]);
      const answerText = JSON.stringify(answer);
      expect(answerText).toContain("I read the notes.");
      expect(answerText).not.toContain("toolu_agent_read");
      expect(answerText).not.toContain("PINEAPPLE");
      expect(answer.stop_reason).toBe("end_turn");

      const view = await inspected(relay, id);
      expect(view.servedPath).toBe("cold");
      expect(view.details.agentToolRuns).toHaveLength(1);
      const [run] = view.details.agentToolRuns;
      expect(run).toMatchObject({ id: "toolu_agent_read", name: "Read", isError: false, input: { file_path: file } });
      expect(run.durationMs).toBeGreaterThanOrEqual(0);
      expect(JSON.stringify(run.result)).toContain("PINEAPPLE-42");
      // Masked like every body: the key the file held is not in the log.
      expect(JSON.stringify(view)).not.toContain(secret);
      // The answer as recorded is the client's: the CLI's own call is not one of its tool calls.
      expect(view.toolNames).toBeNull();
      // ...but its name is on the row, for the overview's top tools.
      expect(view.agentToolNames).toBe("Read");

      const spans = await waitFor(() => {
        const all = spansOf(collector.received);
        return all.some((span: any) => span.name === "execute_tool Read") ? all : undefined;
      }, { what: "the execute_tool span" });
      const chatSpan = spans.find((span: any) => span.name === "chat sonnet");
      const toolSpan = spans.find((span: any) => span.name === "execute_tool Read");
      expect(toolSpan.parentSpanId).toBe(chatSpan.spanId);
      expect(toolSpan.traceId).toBe(chatSpan.traceId);
      const attributes = attributesOf(toolSpan);
      expect(attributes["gen_ai.operation.name"]).toBe("execute_tool");
      expect(attributes["gen_ai.tool.name"]).toBe("Read");
      expect(attributes["gen_ai.tool.call.id"]).toBe("toolu_agent_read");
      expect(attributes["gen_ai.tool.call.arguments"]).toContain("notes.txt");
      expect(attributes["gen_ai.tool.call.result"]).toContain("PINEAPPLE-42");
      expect(attributesOf(chatSpan)["agent_relay.served_path"]).toBe("cold");
    } finally {
      await relay?.close();
      relay = undefined;
      collector.stop();
    }
  }, 180_000);

  test("metadata-only capture keeps the run's name and timing, not its input or result; OTLP without content capture neither", async () => {
    agentSetup();
    const collector = startCollector();
    try {
      const workdir = temporaryDirectories.at(-1)!;
      relay = await startTestRelay({
        upstream,
        args: ["--agent", "--workdir", workdir, "--warm-processes", "0", "--inspector-capture", "errors"],
        telemetryEnv: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url },
      });
      const { id } = await ask(relay);
      const view = await inspected(relay, id);
      expect(view.bodies).toBeNull();
      expect(view.details.agentToolRuns).toEqual([{ id: "toolu_agent_read", name: "Read", atMs: expect.any(Number), durationMs: expect.any(Number), isError: false }]);
      const spans = await waitFor(() => {
        const all = spansOf(collector.received);
        return all.some((span: any) => span.name === "execute_tool Read") ? all : undefined;
      }, { what: "the execute_tool span" });
      const text = JSON.stringify(spans);
      expect(text).not.toContain("PINEAPPLE");
      expect(text).not.toContain("notes.txt");
    } finally {
      await relay?.close();
      relay = undefined;
      collector.stop();
    }
  }, 180_000);
});
