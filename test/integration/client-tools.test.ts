/**
 * Client tools through the real claude CLI against the fake upstream, with the official SDKs as callers:
 * calls come back with the client's names and the upstream's ids, and the next request continues through the
 * CLI that is still waiting (no replay) or, when none is, by replaying the conversation, with the same result.
 */
import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { metricValue } from "../support/metric-value.ts";
import { waitForExit } from "../support/processes.ts";
import { startTestRelay, type TestRelay } from "../support/test-relay.ts";

let relay: TestRelay;
let openai: OpenAI;
let anthropic: Anthropic;

const weatherTool: OpenAI.ChatCompletionTool = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Weather for a city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
};
const anthropicWeatherTool: Anthropic.Tool = {
  name: "get_weather",
  description: "Weather for a city",
  input_schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
};
const pngBase64 = "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEklEQVR4nGP4z8DAwMDAwMDAAAAM/gH/R7t1ugAAAABJRU5ErkJggg==";

beforeAll(async () => {
  // No warm processes: every CLI process started is one a request needed, so tests can count them by pid.
  relay = await startTestRelay({ args: ["--warm-processes", "0"] });
  openai = new OpenAI({ baseURL: `${relay.url}/v1`, apiKey: "x", maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: relay.url, apiKey: "x", maxRetries: 0 });
});
afterAll(() => relay.close());
beforeEach(async () => {
  // A previous test's held CLI would otherwise still be waiting.
  await relay.settle({ allowHeld: true });
  relay.upstream.reset();
  processesBefore = relay.cliPids().length;
  logsBefore = relay.logs.length;
});

let processesBefore = 0;
let logsBefore = 0;
/** CLI processes that took a new conversation since the test began: started, or recycled from an earlier test. */
const startedProcesses = () =>
  relay.cliPids().length - processesBefore +
  // Recycling is on: a new conversation may be served by an earlier test's process, cleared.
  relay.logs.slice(logsBefore).filter((line) => line.msg === "claude CLI reused").length;

/** The process that took the latest new conversation: started for it, or recycled (cleared) for it. */
const servingPid = () => relay.logs.findLast((line) => line.msg === "claude CLI started" || line.msg === "claude CLI reused")!.pid as number;

/** The upstream's messages without the CLI's date reminder and cache markers, for comparing two requests. */
function conversationSeenUpstream(body: any) {
  return body.messages.map((message: any) => ({
    role: message.role,
    content: (typeof message.content === "string" ? [{ type: "text", text: message.content }] : message.content)
      .filter((block: any) => !(block.type === "text" && block.text.startsWith("<system-reminder>")))
      .map(({ cache_control, ...block }: any) => block),
  }));
}

describe("OpenAI tools", () => {
  test("a tool call comes back with the client's tool name, the upstream id and finish_reason tool_calls; the results continue the same CLI", async () => {
    relay.upstream.enqueue(
      { kind: "tool-use", text: "Let me check.", calls: [{ id: "toolu_paris_1", name: "mcp__relay__get_weather", input: { city: "Paris" } }] },
      { kind: "text", chunks: ["It is sunny in Paris."], usage: { input_tokens: 80, output_tokens: 6 } },
    );
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: "user", content: "Weather in Paris?" }];
    const first = await openai.chat.completions.create({ model: "sonnet", messages, tools: [weatherTool] });
    const choice = first.choices[0];
    expect(choice.finish_reason).toBe("tool_calls");
    expect(choice.message.content).toBe("Let me check.");
    expect(choice.message.tool_calls).toEqual([{ id: "toolu_paris_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }]);
    // The model was offered the client's tool, under the CLI's MCP name, with the client's schema.
    const offered = relay.upstream.messageRequests()[0].body.tools;
    expect(offered).toEqual([{ name: "mcp__relay__get_weather", description: "Weather for a city", input_schema: weatherTool.function.parameters }]);

    messages.push(choice.message, { role: "tool", tool_call_id: "toolu_paris_1", content: "sunny, 24C" });
    const second = await openai.chat.completions.create({ model: "sonnet", messages, tools: [weatherTool] });
    expect(second.choices[0].message.content).toBe("It is sunny in Paris.");
    expect(second.choices[0].finish_reason).toBe("stop");
    // The continuation's own usage, not the whole CLI turn's.
    expect(second.usage).toMatchObject({ prompt_tokens: 80, completion_tokens: 6 });

    expect(startedProcesses()).toBe(1);
    const continued = relay.upstream.messageRequests()[1].body;
    expect(conversationSeenUpstream(continued).slice(1)).toEqual([
      { role: "assistant", content: [{ type: "text", text: "Let me check." }, { type: "tool_use", id: "toolu_paris_1", name: "mcp__relay__get_weather", input: { city: "Paris" } }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_paris_1", content: [{ type: "text", text: "sunny, 24C" }] }] },
    ]);
    const metrics = await (await fetch(`${relay.url}/metrics`)).text();
    expect(metrics).toContain('agent_relay_conversation_continuations_total{path="hold"} 1');
  });

  test("parallel calls stream as tool_calls deltas with indexes, ids and argument fragments, and come back together", async () => {
    relay.upstream.enqueue(
      {
        kind: "tool-use",
        calls: [
          { id: "toolu_a", name: "mcp__relay__get_weather", input: { city: "Paris" } },
          { id: "toolu_b", name: "mcp__relay__get_weather", input: { city: "Rome" } },
        ],
      },
      { kind: "text", chunks: ["Paris 24C, Rome 28C."] },
    );
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: "user", content: "Paris and Rome?" }];
    const stream = await openai.chat.completions.create({ model: "sonnet", messages, tools: [weatherTool], stream: true });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    const deltas = chunks.flatMap((chunk) => chunk.choices[0]?.delta.tool_calls ?? []);
    expect(deltas.filter((delta) => delta.id).map((delta) => [delta.index, delta.id, delta.function?.name])).toEqual([
      [0, "toolu_a", "get_weather"],
      [1, "toolu_b", "get_weather"],
    ]);
    const argumentsOf = (index: number) => deltas.filter((delta) => delta.index === index).map((delta) => delta.function?.arguments ?? "").join("");
    expect([argumentsOf(0), argumentsOf(1)]).toEqual(['{"city":"Paris"}', '{"city":"Rome"}']);
    expect(deltas.filter((delta) => delta.index === 0).length).toBeGreaterThan(2);
    expect(chunks.find((chunk) => chunk.choices[0]?.finish_reason)!.choices[0].finish_reason).toBe("tool_calls");

    messages.push(
      { role: "assistant", content: null, tool_calls: [
        { id: "toolu_a", type: "function", function: { name: "get_weather", arguments: argumentsOf(0) } },
        { id: "toolu_b", type: "function", function: { name: "get_weather", arguments: argumentsOf(1) } },
      ] },
      // Results in another order than the calls: the model sees the client's order, as on a replay.
      { role: "tool", tool_call_id: "toolu_b", content: "28C" },
      { role: "tool", tool_call_id: "toolu_a", content: "24C" },
    );
    const final = await openai.chat.completions.create({ model: "sonnet", messages, tools: [weatherTool] });
    expect(final.choices[0].message.content).toBe("Paris 24C, Rome 28C.");
    expect(startedProcesses()).toBe(1);
    const results = conversationSeenUpstream(relay.upstream.messageRequests()[1].body).at(-1);
    expect(results.content.map((block: any) => [block.tool_use_id, block.content[0].text])).toEqual([
      ["toolu_b", "28C"],
      ["toolu_a", "24C"],
    ]);
  });

  test("tool_choice and parallel_tool_calls reach the upstream as the Messages API's tool_choice", async () => {
    const ask = (extra: Partial<OpenAI.ChatCompletionCreateParamsNonStreaming>) =>
      openai.chat.completions.create({ model: "sonnet", messages: [{ role: "user", content: "hi" }], tools: [weatherTool], ...extra });
    await ask({ tool_choice: "required" });
    await ask({ tool_choice: { type: "function", function: { name: "get_weather" } }, parallel_tool_calls: false });
    await ask({ tool_choice: "none" });
    const bodies = relay.upstream.messageRequests().map((request) => request.body);
    expect(bodies[0].tool_choice).toEqual({ type: "any" });
    expect(bodies[1].tool_choice).toEqual({ type: "tool", name: "mcp__relay__get_weather", disable_parallel_tool_use: true });
    // tool_choice none: the model is offered no tools at all.
    expect(bodies[2].tools).toEqual([]);
    expect(bodies[2].tool_choice).toBeUndefined();
  });

  test("legacy functions get a function_call answer", async () => {
    relay.upstream.enqueue({ kind: "tool-use", calls: [{ id: "toolu_legacy", name: "mcp__relay__get_weather", input: { city: "Oslo" } }] });
    const completion = await openai.chat.completions.create({
      model: "sonnet",
      messages: [{ role: "user", content: "Oslo?" }],
      functions: [weatherTool.function],
      function_call: "auto",
    });
    expect(completion.choices[0].finish_reason).toBe("function_call");
    expect(completion.choices[0].message.function_call).toEqual({ name: "get_weather", arguments: '{"city":"Oslo"}' });
  });
});

describe("Anthropic tools", () => {
  test("tool_use streams as input_json_delta with stop_reason tool_use; a tool_result with an image continues the same CLI", async () => {
    relay.upstream.enqueue(
      { kind: "tool-use", calls: [{ id: "toolu_map", name: "mcp__relay__get_weather", input: { city: "Lyon" } }] },
      { kind: "text", chunks: ["The map shows rain."] },
    );
    const stream = anthropic.messages.stream({ model: "sonnet", max_tokens: 200, tools: [anthropicWeatherTool], messages: [{ role: "user", content: "Lyon?" }] });
    const jsonDeltas: string[] = [];
    stream.on("streamEvent", (event) => {
      if (event.type === "content_block_delta" && event.delta.type === "input_json_delta") jsonDeltas.push(event.delta.partial_json);
    });
    const first = await stream.finalMessage();
    expect(first.stop_reason).toBe("tool_use");
    expect(first.content).toEqual([{ type: "tool_use", id: "toolu_map", name: "get_weather", input: { city: "Lyon" }, caller: { type: "direct" } }] as any);
    expect(jsonDeltas.join("")).toBe('{"city":"Lyon"}');

    const second = await anthropic.messages.create({
      model: "sonnet",
      max_tokens: 200,
      tools: [anthropicWeatherTool],
      messages: [
        { role: "user", content: "Lyon?" },
        { role: "assistant", content: first.content },
        {
          role: "user",
          content: [
            {
              type: "tool_result",
              tool_use_id: "toolu_map",
              content: [{ type: "text", text: "radar image:" }, { type: "image", source: { type: "base64", media_type: "image/png", data: pngBase64 } }],
            },
          ],
        },
      ],
    });
    expect(second.content).toMatchObject([{ type: "text", text: "The map shows rain." }]);
    expect(startedProcesses()).toBe(1);
    const result = conversationSeenUpstream(relay.upstream.messageRequests()[1].body).at(-1).content[0];
    expect(result).toMatchObject({ type: "tool_result", tool_use_id: "toolu_map" });
    expect(result.content[1]).toEqual({ type: "image", source: { type: "base64", media_type: "image/png", data: pngBase64 } });
  });

  test("is_error tool results reach the model as errors", async () => {
    relay.upstream.enqueue({ kind: "tool-use", calls: [{ id: "toolu_err", name: "mcp__relay__get_weather", input: { city: "Nowhere" } }] }, { kind: "text", chunks: ["Sorry."] });
    const first = await anthropic.messages.create({ model: "sonnet", max_tokens: 50, tools: [anthropicWeatherTool], messages: [{ role: "user", content: "Nowhere?" }] });
    await anthropic.messages.create({
      model: "sonnet",
      max_tokens: 50,
      tools: [anthropicWeatherTool],
      messages: [
        { role: "user", content: "Nowhere?" },
        { role: "assistant", content: first.content },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_err", content: "unknown city", is_error: true }] },
      ],
    });
    const result = conversationSeenUpstream(relay.upstream.messageRequests()[1].body).at(-1).content[0];
    // The CLI passes an MCP error result on as a string.
    expect(result).toMatchObject({ tool_use_id: "toolu_err", is_error: true, content: "unknown city" });
  });
});

describe("continuation without a waiting CLI", () => {
  test("replay sends the model the same conversation as the held path, and the client gets the same answer", async () => {
    const conversation = async (target: TestRelay) => {
      target.upstream.enqueue(
        { kind: "tool-use", text: "Checking.", calls: [{ id: "toolu_same", name: "mcp__relay__get_weather", input: { city: "Bern" } }] },
        { kind: "text", chunks: ["Bern: snow."] },
      );
      const client = new OpenAI({ baseURL: `${target.url}/v1`, apiKey: "x", maxRetries: 0 });
      const messages: OpenAI.ChatCompletionMessageParam[] = [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Bern?" },
      ];
      const first = await client.chat.completions.create({ model: "sonnet", messages, tools: [weatherTool] });
      messages.push(first.choices[0].message, { role: "tool", tool_call_id: "toolu_same", content: "snow, -2C" });
      const second = await client.chat.completions.create({ model: "sonnet", messages, tools: [weatherTool] });
      return { answer: second.choices[0].message.content, upstream: target.upstream.messageRequests()[1].body };
    };
    const held = await conversation(relay);

    // No process may be held: every continuation replays the conversation into a new CLI.
    const replaying = await startTestRelay({ args: ["--max-live-conversations", "0", "--warm-processes", "0"] });
    try {
      const replayed = await conversation(replaying);
      expect(replayed.answer).toBe(held.answer!);
      expect(conversationSeenUpstream(replayed.upstream)).toEqual(conversationSeenUpstream(held.upstream));
      expect(replayed.upstream.tools).toEqual(held.upstream.tools);
      expect(replayed.upstream.system.at(-1).text).toBe("Be brief.");
      expect(replaying.cliPids()).toHaveLength(2);
      expect(await metricValue(replaying.url, 'agent_relay_conversation_continuations_total{path="replay"}')).toBe(1);
    } finally {
      await replaying.close();
    }
  });

  test("a hold that expires ends the waiting CLI with an interrupt (no extra upstream call); the client then continues by replay", async () => {
    const short = await startTestRelay({ args: ["--tool-hold-timeout", "400ms", "--warm-processes", "0"], upstream: relay.upstream });
    try {
      relay.upstream.enqueue({ kind: "tool-use", calls: [{ id: "toolu_late", name: "mcp__relay__get_weather", input: { city: "Kyiv" } }] }, { kind: "text", chunks: ["Late but fine."] });
      const client = new OpenAI({ baseURL: `${short.url}/v1`, apiKey: "x", maxRetries: 0 });
      const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: "user", content: "Kyiv?" }];
      const first = await client.chat.completions.create({ model: "sonnet", messages, tools: [weatherTool] });
      const [pid] = short.cliPids();
      expect(await waitForExit(pid)).toBe(true);
      expect(await metricValue(short.url, 'agent_relay_live_conversations_ended_total{kind="tools",reason="expired"}')).toBe(1);
      // Interrupted, not closed: closing stdin would make the CLI call the upstream once more.
      expect(relay.upstream.messageRequests()).toHaveLength(1);

      messages.push(first.choices[0].message, { role: "tool", tool_call_id: "toolu_late", content: "cloudy" });
      const second = await client.chat.completions.create({ model: "sonnet", messages, tools: [weatherTool] });
      expect(second.choices[0].message.content).toBe("Late but fine.");
      const metrics = await (await fetch(`${short.url}/metrics`)).text();
      expect(metrics).toContain('agent_relay_live_conversations_ended_total{kind="tools",reason="expired"} 1');
      expect(metrics).toContain('agent_relay_conversation_continuations_total{path="replay"} 1');
    } finally {
      await short.close();
    }
  });

  test("a client that disconnects from the continuation ends the waiting CLI; its retry continues by replay", async () => {
    relay.upstream.enqueue(
      { kind: "tool-use", calls: [{ id: "toolu_drop", name: "mcp__relay__get_weather", input: { city: "Riga" } }] },
      { kind: "text", chunks: Array.from({ length: 30 }, (_, i) => `w${i} `), delayMs: 100 },
      { kind: "text", chunks: ["Riga: fog."] },
    );
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: "user", content: "Riga?" }];
    const first = await openai.chat.completions.create({ model: "sonnet", messages, tools: [weatherTool] });
    messages.push(first.choices[0].message, { role: "tool", tool_call_id: "toolu_drop", content: "fog" });
    const pid = servingPid();

    const controller = new AbortController();
    const stream = await openai.chat.completions.create({ model: "sonnet", messages, tools: [weatherTool], stream: true }, { signal: controller.signal });
    try {
      for await (const chunk of stream) if (chunk.choices[0]?.delta.content?.includes("w1")) controller.abort();
    } catch {
      // aborted
    }
    await relay.upstream.messageRequests()[1].aborted;
    expect(await waitForExit(pid)).toBe(true);

    const retry = await openai.chat.completions.create({ model: "sonnet", messages, tools: [weatherTool] });
    expect(retry.choices[0].message.content).toBe("Riga: fog.");
  });
});

describe("rich content in tool results", () => {
  test("a PDF in a tool result reaches the model as a document (by replay: MCP cannot carry documents)", async () => {
    const pdfBase64 = Buffer.from("%PDF-1.4\n1 0 obj << /Type /Page >> endobj\n%%EOF\n").toString("base64");
    relay.upstream.enqueue({ kind: "tool-use", calls: [{ id: "toolu_pdf", name: "mcp__relay__get_weather", input: { city: "Oslo" } }] }, { kind: "text", chunks: ["Read the report."] });
    const first = await anthropic.messages.create({ model: "sonnet", max_tokens: 50, tools: [anthropicWeatherTool], messages: [{ role: "user", content: "Oslo report?" }] });
    const second = await anthropic.messages.create({
      model: "sonnet",
      max_tokens: 50,
      tools: [anthropicWeatherTool],
      messages: [
        { role: "user", content: "Oslo report?" },
        { role: "assistant", content: first.content },
        {
          role: "user",
          content: [{ type: "tool_result", tool_use_id: "toolu_pdf", content: [{ type: "document", source: { type: "base64", media_type: "application/pdf", data: pdfBase64 } } as any] }],
        },
      ],
    });
    expect(second.content).toMatchObject([{ type: "text", text: "Read the report." }]);
    const result = conversationSeenUpstream(relay.upstream.messageRequests()[1].body).at(-1).content[0];
    expect(result).toMatchObject({ type: "tool_result", tool_use_id: "toolu_pdf", content: [{ type: "document", source: { type: "base64", media_type: "application/pdf", data: pdfBase64 } }] });
    expect(relay.logs.some((line) => line.msg === "tool round continues by replay" && /MCP cannot carry/.test(line.reason))).toBe(true);
  });

  test("image URLs in a user turn and in a tool result reach the model as URL images", async () => {
    relay.upstream.enqueue({ kind: "tool-use", calls: [{ id: "toolu_url", name: "mcp__relay__get_weather", input: { city: "Oslo" } }] }, { kind: "text", chunks: ["Two pictures."] });
    const messages: OpenAI.ChatCompletionMessageParam[] = [
      { role: "user", content: [{ type: "text", text: "Compare" }, { type: "image_url", image_url: { url: "https://example.com/a.png" } }] },
    ];
    const first = await openai.chat.completions.create({ model: "sonnet", messages, tools: [weatherTool] });
    messages.push(first.choices[0].message, {
      role: "tool",
      tool_call_id: "toolu_url",
      content: [{ type: "text", text: "satellite:" }, { type: "image_url", image_url: { url: "https://example.com/b.png" } }] as any,
    });
    const second = await openai.chat.completions.create({ model: "sonnet", messages, tools: [weatherTool] });
    expect(second.choices[0].message.content).toBe("Two pictures.");
    const seen = conversationSeenUpstream(relay.upstream.messageRequests()[1].body);
    expect(seen[0].content).toContainEqual({ type: "image", source: { type: "url", url: "https://example.com/a.png" } });
    expect(seen.at(-1).content[0].content).toContainEqual({ type: "image", source: { type: "url", url: "https://example.com/b.png" } });
  });
});

describe("agent mode with client tools", () => {
  test("the model gets the CLI's tools and the client's; the client sees only calls of its own tools", async () => {
    const agent = await startTestRelay({ args: ["--agent", "--agent-tools", "Read"], upstream: relay.upstream });
    try {
      relay.upstream.enqueue(
        {
          kind: "tool-use",
          calls: [
            { id: "toolu_cli_read", name: "Read", input: { file_path: "/etc/hostname" } },
            { id: "toolu_client", name: "mcp__relay__get_weather", input: { city: "Oslo" } },
          ],
        },
        { kind: "text", chunks: ["Done."] },
      );
      const client = new OpenAI({ baseURL: `${agent.url}/v1`, apiKey: "x", maxRetries: 0 });
      const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: "user", content: "Read and check weather" }];
      const first = await client.chat.completions.create({ model: "sonnet", messages, tools: [weatherTool] });
      expect(relay.upstream.messageRequests()[0].body.tools.map((tool: { name: string }) => tool.name).sort()).toEqual(["Read", "mcp__relay__get_weather"]);
      expect(first.choices[0].message.tool_calls!.map((call) => [call.id, call.type === "function" ? call.function.name : call.type])).toEqual([["toolu_client", "get_weather"]]);

      messages.push(first.choices[0].message, { role: "tool", tool_call_id: "toolu_client", content: "sunny" });
      const second = await client.chat.completions.create({ model: "sonnet", messages, tools: [weatherTool] });
      expect(second.choices[0].message.content).toBe("Done.");
      // The CLI ran its own Read tool itself; the model got both results in one turn.
      const results = conversationSeenUpstream(relay.upstream.messageRequests()[1].body).at(-1).content;
      expect(results.map((block: any) => block.tool_use_id).sort()).toEqual(["toolu_cli_read", "toolu_client"]);
    } finally {
      await agent.close();
    }
  });
});

describe("structured output", () => {
  const personSchema = { type: "object", properties: { name: { type: "string" }, age: { type: "integer" } }, required: ["name", "age"], additionalProperties: false };

  test("response_format json_schema: the content is exactly the validated JSON, prose around it is dropped", async () => {
    relay.upstream.enqueue(
      { kind: "tool-use", text: "Here you go:", calls: [{ id: "toolu_so", name: "StructuredOutput", input: { name: "Ada", age: 36 } }] },
    );
    const completion = await openai.chat.completions.create({
      model: "sonnet",
      messages: [{ role: "user", content: "A famous programmer as JSON." }],
      response_format: { type: "json_schema", json_schema: { name: "person", schema: personSchema, strict: true } },
    });
    expect(completion.choices[0].message.content).toBe('{"name":"Ada","age":36}');
    expect(completion.choices[0].finish_reason).toBe("stop");
    const offered = relay.upstream.messageRequests()[0].body.tools;
    expect(offered.find((tool: any) => tool.name === "StructuredOutput").input_schema).toMatchObject(personSchema);
  });

  test("invalid output is retried by the CLI; the client gets the valid one", async () => {
    relay.upstream.enqueue(
      { kind: "tool-use", calls: [{ id: "toolu_bad", name: "StructuredOutput", input: { name: "Ada" } }] },
      { kind: "tool-use", calls: [{ id: "toolu_good", name: "StructuredOutput", input: { name: "Ada", age: 36 } }] },
    );
    const message = await anthropic.messages.create({
      model: "sonnet",
      max_tokens: 200,
      messages: [{ role: "user", content: "JSON please" }],
      output_config: { format: { type: "json_schema", schema: personSchema } },
    });
    expect(message.content).toMatchObject([{ type: "text", text: '{"name":"Ada","age":36}' }]);
    expect(message.stop_reason).toBe("end_turn");
    const second = conversationSeenUpstream(relay.upstream.messageRequests()[1].body).at(-1).content[0];
    expect(second).toMatchObject({ type: "tool_result", tool_use_id: "toolu_bad", is_error: true });
  });

  test("output that never matches the schema is a 502 that says so", async () => {
    relay.upstream.setDefault({ kind: "tool-use", calls: [{ id: "toolu_never", name: "StructuredOutput", input: { wrong: true } }] });
    try {
      const error = await openai.chat.completions
        .create({
          model: "sonnet",
          messages: [{ role: "user", content: "JSON please" }],
          response_format: { type: "json_schema", json_schema: { name: "person", schema: personSchema } },
        })
        .catch((e) => e);
      expect(error.status).toBe(502);
      expect(error.error.code).toBe("structured_output_failed");
    } finally {
      relay.upstream.setDefault({ kind: "text", chunks: ["Hello from ", "fake upstream!"] });
    }
  });
});

