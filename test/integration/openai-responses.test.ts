/**
 * OpenAI Responses API through the real claude CLI against the scripted fake upstream, with the official
 * `openai` package as the caller (its strict `responses.stream` helper included).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { metricValue } from "../support/metric-value.ts";
import { startTestRelay, type TestRelay } from "../support/test-relay.ts";
import { decodeSseStream } from "../../src/wire/sse-decoder.ts";

let relay: TestRelay;
let client: OpenAI;

// A 2x2 red PNG.
const pngBase64 = "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEklEQVR4nGP4z8DAwMDAwMDAAAAM/gH/R7t1ugAAAABJRU5ErkJggg==";
const pdfBase64 = Buffer.from("%PDF-1.4\n1 0 obj << /Type /Page >> endobj\n%%EOF\n").toString("base64");

beforeAll(async () => {
  // No warm processes: every CLI process started is one a request needed, so tests can count them by pid.
  relay = await startTestRelay({ args: ["--warm-processes", "0"] });
  client = new OpenAI({ baseURL: `${relay.url}/v1`, apiKey: "anything", maxRetries: 0 });
});
afterAll(() => relay.close());
beforeEach(async () => {
  await relay.settle({ allowHeld: true });
  relay.upstream.reset();
});

/** The user-visible blocks of an upstream message, without the CLI's date reminder and cache markers. */
function blocks(message: { content: string | Array<Record<string, any>> }): Array<Record<string, any>> {
  const content = typeof message.content === "string" ? [{ type: "text", text: message.content }] : message.content;
  return content.filter((block) => !(block.type === "text" && block.text.startsWith("<system-reminder>"))).map(({ cache_control, ...block }) => block);
}

/** The conversation the upstream saw in its n-th model call. */
const seenUpstream = (index: number) => relay.upstream.messageRequests()[index].body.messages.map((message: any) => ({ role: message.role, content: blocks(message) }));

/** The raw SSE events of a streamed request: [event name, data] pairs in order. */
async function rawEvents(body: Record<string, unknown>): Promise<Array<[string, any]>> {
  const response = await fetch(`${relay.url}/v1/responses`, { method: "POST", headers: { "content-type": "application/json", authorization: "Bearer anything" }, body: JSON.stringify({ ...body, stream: true }) });
  expect(response.headers.get("content-type")).toContain("text/event-stream");
  const events: Array<[string, any]> = [];
  for await (const event of decodeSseStream(response.body!)) if (event.event) events.push([event.event, JSON.parse(event.data)]);
  return events;
}

describe("text", () => {
  test("non-streaming: the answer, the upstream model, status, output_text and exact usage; instructions become the system prompt", async () => {
    relay.upstream.enqueue({
      kind: "text",
      chunks: ["Paris is ", "the capital."],
      model: "claude-sonnet-5",
      usage: { input_tokens: 30, output_tokens: 11, cache_creation_input_tokens: 7, cache_read_input_tokens: 200 },
    });
    const response = await client.responses.create({ model: "sonnet", instructions: "Answer geography questions.", input: "Capital of France?", metadata: { ticket: "42" } });
    expect(response).toMatchObject({ object: "response", status: "completed", model: "claude-sonnet-5", output_text: "Paris is the capital.", metadata: { ticket: "42" } });
    expect(response.id).toMatch(/^resp_/);
    expect(response.output).toEqual([
      { type: "message", id: expect.stringMatching(/^msg_/), status: "completed", role: "assistant", content: [{ type: "output_text", text: "Paris is the capital.", annotations: [], logprobs: [] }] },
    ]);
    expect(response.usage).toEqual({
      input_tokens: 237,
      input_tokens_details: { cached_tokens: 200, cache_write_tokens: 7 },
      output_tokens: 11,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 248,
    });
    const [request] = relay.upstream.messageRequests();
    expect(request.body.system.at(-1).text).toBe("Answer geography questions.");
    expect(seenUpstream(0)).toEqual([{ role: "user", content: [{ type: "text", text: "Capital of France?" }] }]);
  });

  test("responses.stream: the helper accepts the event sequence and its final response matches the streamed text", async () => {
    relay.upstream.enqueue({ kind: "text", chunks: ["one ", "two ", "three"], delayMs: 20 });
    const stream = client.responses.stream({ model: "sonnet", input: "count" });
    const deltas: string[] = [];
    stream.on("response.output_text.delta", (event) => deltas.push(event.delta));
    const final = await stream.finalResponse();
    expect(deltas).toEqual(["one ", "two ", "three"]);
    expect(final.output_text).toBe("one two three");
    expect(final.status).toBe("completed");
    expect(final.usage?.output_tokens).toBe(7);
  });

  test("the wire: named events in the official order with increasing sequence numbers", async () => {
    relay.upstream.enqueue({ kind: "text", chunks: ["Hel", "lo"] });
    const events = await rawEvents({ model: "sonnet", input: "hi" });
    expect(events.map(([name]) => name)).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
      "response.output_text.delta",
      "response.output_text.delta",
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.completed",
    ]);
    for (const [name, data] of events) expect(data.type).toBe(name);
    expect(events.map(([, data]) => data.sequence_number)).toEqual(events.map((_, index) => index));
    const [, created] = events[0];
    expect(created.response).toMatchObject({ status: "in_progress", output: [], usage: null });
    const [, completed] = events.at(-1)!;
    expect(completed.response).toMatchObject({ id: created.response.id, status: "completed", output_text: "Hello" });
    expect(completed.response.output[0].id).toBe(events[2][1].item.id);
  });

  test("max_output_tokens that cut the answer: status incomplete with the reason, on the wire and in the object", async () => {
    relay.upstream.enqueue({ kind: "text", chunks: ["Once upon"], stopReason: "max_tokens" });
    const response = await client.responses.create({ model: "sonnet", input: "A story", max_output_tokens: 5 });
    expect(response.status).toBe("incomplete");
    expect(response.incomplete_details).toEqual({ reason: "max_output_tokens" });
    expect(response.output_text).toBe("Once upon");
    expect(relay.upstream.messageRequests()[0].body.max_tokens).toBe(5);

    // The CLI starts its own continuation of a max_tokens answer before the relay stops it; it must not take the next reply.
    await relay.settle();
    relay.upstream.reset();
    relay.upstream.enqueue({ kind: "text", chunks: ["Once upon"], stopReason: "max_tokens" });
    const events = await rawEvents({ model: "sonnet", input: "A story", max_output_tokens: 5 });
    expect(events.at(-1)![0]).toBe("response.incomplete");
    expect(events.at(-1)![1].response.incomplete_details).toEqual({ reason: "max_output_tokens" });
  });
});

describe("input items", () => {
  test("messages of every role with text, images (data URL and URL) and a PDF reach the model as turns and system text", async () => {
    relay.upstream.enqueue({ kind: "text", chunks: ["Seen."] });
    await client.responses.create({
      model: "sonnet",
      instructions: "Be brief.",
      input: [
        { role: "system", content: "You look at pictures." },
        { type: "message", role: "developer", content: [{ type: "input_text", text: "Answer in English." }] },
        { role: "user", content: "First question" },
        { role: "assistant", content: "First answer" },
        {
          role: "user",
          content: [
            { type: "input_text", text: "Compare these" },
            { type: "input_image", image_url: `data:image/png;base64,${pngBase64}`, detail: "auto" },
            { type: "input_image", image_url: "https://example.com/b.png", detail: "auto" },
            { type: "input_file", filename: "report.pdf", file_data: `data:application/pdf;base64,${pdfBase64}` },
          ],
        },
      ],
    });
    const request = relay.upstream.messageRequests()[0].body;
    expect(request.system.at(-1).text).toBe("Be brief.\n\nYou look at pictures.\n\nAnswer in English.");
    expect(seenUpstream(0)).toEqual([
      { role: "user", content: [{ type: "text", text: "First question" }] },
      { role: "assistant", content: [{ type: "text", text: "First answer" }] },
      {
        role: "user",
        content: [
          { type: "text", text: "Compare these" },
          { type: "image", source: { type: "base64", media_type: "image/png", data: pngBase64 } },
          { type: "image", source: { type: "url", url: "https://example.com/b.png" } },
          { type: "document", source: { type: "base64", media_type: "application/pdf", data: pdfBase64 }, title: "report.pdf" },
        ],
      },
    ]);
  });

  test("a conversation that ends with the assistant is a 400 in the OpenAI error shape", async () => {
    const error = await client.responses.create({ model: "sonnet", input: [{ role: "user", content: "Hi" }, { role: "assistant", content: "Hello" }] }).catch((caught) => caught);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error.error).toMatchObject({ type: "invalid_request_error" });
    expect(relay.upstream.messageRequests()).toHaveLength(0);
  });
});

const weatherTool: OpenAI.Responses.FunctionTool = {
  type: "function",
  name: "get_weather",
  description: "Weather for a city",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  strict: false,
};

/** Where process counting starts: the CLIs started so far and the log so far. */
const processesNow = () => ({ pids: relay.cliPids().length, logs: relay.logs.length });
/** CLI processes that took a new conversation since then: started, or recycled (recycling is on by default). */
const startedProcesses = (since: { pids: number; logs: number }) =>
  relay.cliPids().length - since.pids + relay.logs.slice(since.logs).filter((line) => line.msg === "claude CLI reused").length;
const heldContinuations = () => metricValue(relay.url, 'agent_relay_conversation_continuations_total{path="hold"}');

describe("function tools", () => {
  test("a call streams as function_call_arguments deltas; its call_id is the upstream's id; previous_response_id with the output continues the same CLI", async () => {
    relay.upstream.enqueue(
      { kind: "tool-use", text: "Let me check.", calls: [{ id: "toolu_paris_1", name: "mcp__relay__get_weather", input: { city: "Paris" } }] },
      { kind: "text", chunks: ["It is sunny in Paris."], usage: { input_tokens: 80, output_tokens: 6 } },
    );
    const processesBefore = processesNow();
    const heldBefore = await heldContinuations();
    const stream = client.responses.stream({ model: "sonnet", instructions: "Use tools.", input: "Weather in Paris?", tools: [weatherTool] });
    const argumentDeltas: string[] = [];
    stream.on("response.function_call_arguments.delta", (event) => argumentDeltas.push(event.delta));
    const first = await stream.finalResponse();
    expect(first.output.map((item) => item.type)).toEqual(["message", "function_call"]);
    const call = first.output[1] as OpenAI.Responses.ResponseFunctionToolCall;
    expect(call).toMatchObject({ type: "function_call", call_id: "toolu_paris_1", name: "get_weather", arguments: '{"city":"Paris"}', status: "completed" });
    expect(call.id).toMatch(/^fc_/);
    expect(argumentDeltas.length).toBeGreaterThan(1);
    expect(argumentDeltas.join("")).toBe('{"city":"Paris"}');
    expect(first.status).toBe("completed");
    // The model was offered the client's tool under the CLI's MCP name, with the client's schema.
    expect(relay.upstream.messageRequests()[0].body.tools).toEqual([{ name: "mcp__relay__get_weather", description: "Weather for a city", input_schema: weatherTool.parameters }]);

    const second = await client.responses.create({
      model: "sonnet",
      instructions: "Use tools.",
      previous_response_id: first.id,
      input: [{ type: "function_call_output", call_id: "toolu_paris_1", output: "sunny, 24C" }],
      tools: [weatherTool],
    });
    expect(second.output_text).toBe("It is sunny in Paris.");
    expect(second.previous_response_id).toBe(first.id);
    // The continuation's own usage, not the whole CLI turn's.
    expect(second.usage).toMatchObject({ input_tokens: 80, output_tokens: 6 });
    expect(startedProcesses(processesBefore)).toBe(1);
    expect(await heldContinuations()).toBe(heldBefore + 1);
    expect(seenUpstream(1).slice(1)).toEqual([
      { role: "assistant", content: [{ type: "text", text: "Let me check." }, { type: "tool_use", id: "toolu_paris_1", name: "mcp__relay__get_weather", input: { city: "Paris" } }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_paris_1", content: [{ type: "text", text: "sunny, 24C" }] }] },
    ]);
  });

  test("store: false with the whole conversation sent back (as Codex does) continues the waiting CLI too, and stores nothing", async () => {
    relay.upstream.enqueue(
      { kind: "tool-use", calls: [{ id: "toolu_rome", name: "mcp__relay__get_weather", input: { city: "Rome" } }] },
      { kind: "text", chunks: ["Rome: 28C."] },
    );
    const processesBefore = processesNow();
    const input: OpenAI.Responses.ResponseInput = [
      { type: "message", role: "developer", content: [{ type: "input_text", text: "Use tools." }] },
      { type: "message", role: "user", content: [{ type: "input_text", text: "Rome?" }] },
    ];
    const first = await client.responses.create({ model: "sonnet", input, tools: [weatherTool], store: false, stream: false });
    input.push(...(first.output as OpenAI.Responses.ResponseInputItem[]), { type: "function_call_output", call_id: "toolu_rome", output: "28C" });
    const second = await client.responses.create({ model: "sonnet", input, tools: [weatherTool], store: false });
    expect(second.output_text).toBe("Rome: 28C.");
    expect(startedProcesses(processesBefore)).toBe(1);
    const notFound = await client.responses.retrieve(first.id).catch((caught) => caught);
    expect(notFound).toBeInstanceOf(OpenAI.NotFoundError);
  });

  test("parallel calls are separate function_call items with their own output indexes; results in another order still continue", async () => {
    relay.upstream.enqueue(
      {
        kind: "tool-use",
        calls: [
          { id: "toolu_a", name: "mcp__relay__get_weather", input: { city: "Oslo" } },
          { id: "toolu_b", name: "mcp__relay__get_weather", input: { city: "Bern" } },
        ],
      },
      { kind: "text", chunks: ["Oslo 3C, Bern 9C."] },
    );
    const events = await rawEvents({ model: "sonnet", input: "Oslo and Bern?", tools: [weatherTool] });
    const added = events.filter(([name]) => name === "response.output_item.added").map(([, data]) => [data.output_index, data.item.call_id, data.item.arguments]);
    expect(added).toEqual([
      [0, "toolu_a", ""],
      [1, "toolu_b", ""],
    ]);
    const argumentsDone = events.filter(([name]) => name === "response.function_call_arguments.done").map(([, data]) => [data.output_index, data.arguments]);
    expect(argumentsDone).toEqual([
      [0, '{"city":"Oslo"}'],
      [1, '{"city":"Bern"}'],
    ]);
    const responseId = events[0][1].response.id;
    const final = await client.responses.create({
      model: "sonnet",
      previous_response_id: responseId,
      input: [
        { type: "function_call_output", call_id: "toolu_b", output: "9C" },
        { type: "function_call_output", call_id: "toolu_a", output: "3C" },
      ],
      tools: [weatherTool],
    });
    expect(final.output_text).toBe("Oslo 3C, Bern 9C.");
    expect(seenUpstream(1).at(-1).content.map((block: any) => block.tool_use_id)).toEqual(["toolu_b", "toolu_a"]);
  });

  test("tool_choice and parallel_tool_calls reach the upstream; tool types the relay cannot offer are tolerated and logged", async () => {
    const logsBefore = relay.logs.length;
    await client.responses.create({
      model: "sonnet",
      input: "hi",
      tools: [
        weatherTool,
        { type: "web_search" },
        { type: "custom", name: "apply_patch", description: "Apply a patch" },
        { type: "namespace", name: "crm", description: "CRM tools", tools: [{ type: "function", name: "lookup" }] },
      ] as OpenAI.Responses.Tool[],
      tool_choice: { type: "function", name: "get_weather" },
      parallel_tool_calls: false,
    });
    const body = relay.upstream.messageRequests()[0].body;
    expect(body.tools.map((tool: { name: string }) => tool.name)).toEqual(["mcp__relay__get_weather"]);
    expect(body.tool_choice).toEqual({ type: "tool", name: "mcp__relay__get_weather", disable_parallel_tool_use: true });
    const warnings = relay.logs.slice(logsBefore).filter((line) => line.msg === "request parameter not honoured").map((line) => line.parameter);
    expect(warnings).toEqual(["tools.1.type", "tools.2.type", "tools.3.type"]);
  });
});

describe("previous_response_id", () => {
  test("continues a text conversation: earlier turns reach the model as real turns, instructions are not carried over", async () => {
    relay.upstream.enqueue({ kind: "text", chunks: ["Nice to meet you, Ada."] }, { kind: "text", chunks: ["Your name is Ada."] });
    const first = await client.responses.create({ model: "sonnet", instructions: "Be warm.", input: "My name is Ada." });
    const second = await client.responses.create({ model: "sonnet", previous_response_id: first.id, input: "What is my name?" });
    expect(second.output_text).toBe("Your name is Ada.");
    expect(seenUpstream(1)).toEqual([
      { role: "user", content: [{ type: "text", text: "My name is Ada." }] },
      { role: "assistant", content: [{ type: "text", text: "Nice to meet you, Ada." }] },
      { role: "user", content: [{ type: "text", text: "What is my name?" }] },
    ]);
    expect(relay.upstream.messageRequests()[1].body.system.at(-1).text).not.toContain("Be warm.");
  });

  test("an unknown previous_response_id is a 400 that names the parameter", async () => {
    const error = await client.responses.create({ model: "sonnet", previous_response_id: "resp_missing", input: "hi" }).catch((caught) => caught);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error.error).toMatchObject({ param: "previous_response_id", code: "previous_response_not_found" });
  });
});

describe("stored responses", () => {
  test("retrieve returns the response as created; input_items lists the input newest first; delete removes it; then 404", async () => {
    relay.upstream.enqueue({ kind: "text", chunks: ["Stored."] });
    const created = await client.responses.create({
      model: "sonnet",
      input: [
        { role: "user", content: "one" },
        { role: "assistant", content: "two" },
        { role: "user", content: "three" },
      ],
    });
    const retrieved = await client.responses.retrieve(created.id);
    expect(retrieved).toEqual(created);

    const page = await client.responses.inputItems.list(created.id);
    expect(page.data.map((item: any) => [item.type, item.role, item.content[0].text])).toEqual([
      ["message", "user", "three"],
      ["message", "assistant", "two"],
      ["message", "user", "one"],
    ]);
    for (const item of page.data) expect(item.id).toMatch(/^msg_/);
    const ascending = await client.responses.inputItems.list(created.id, { order: "asc", limit: 2 });
    expect(ascending.data.map((item: any) => item.content[0].text)).toEqual(["one", "two"]);
    expect(ascending.has_more).toBe(true);

    await client.responses.delete(created.id);
    const gone = await client.responses.retrieve(created.id).catch((caught) => caught);
    expect(gone).toBeInstanceOf(OpenAI.NotFoundError);
    expect(gone.error).toMatchObject({ message: `Response with id '${created.id}' not found.` });
    const deleteAgain = await fetch(`${relay.url}/v1/responses/${created.id}`, { method: "DELETE", headers: { authorization: "Bearer anything" } });
    expect(deleteAgain.status).toBe(404);
  });

  test("a streamed response is stored before the client sees it complete", async () => {
    relay.upstream.enqueue({ kind: "text", chunks: ["Streamed and stored."] });
    const final = await client.responses.stream({ model: "sonnet", input: "hi" }).finalResponse();
    const retrieved = await client.responses.retrieve(final.id);
    expect(retrieved.output_text).toBe("Streamed and stored.");
    expect(retrieved.output[0].id).toBe(final.output[0].id);
  });
});

describe("structured output", () => {
  const personSchema = { type: "object", properties: { name: { type: "string" }, age: { type: "integer" } }, required: ["name", "age"], additionalProperties: false };

  test("text.format json_schema: output_text is exactly the validated JSON; the stream helper parses it", async () => {
    relay.upstream.enqueue({ kind: "tool-use", text: "Here you go:", calls: [{ id: "toolu_so", name: "StructuredOutput", input: { name: "Ada", age: 36 } }] });
    const stream = client.responses.stream({
      model: "sonnet",
      input: "A famous programmer as JSON.",
      text: { format: { type: "json_schema", name: "person", schema: personSchema, strict: true } },
    });
    const final = await stream.finalResponse();
    expect(final.output_text).toBe('{"name":"Ada","age":36}');
    expect(final.output_parsed).toEqual({ name: "Ada", age: 36 });
    const offered = relay.upstream.messageRequests()[0].body.tools;
    expect(offered.find((tool: any) => tool.name === "StructuredOutput").input_schema).toMatchObject(personSchema);
  });
});

describe("errors", () => {
  test("before any output: a real HTTP status in the OpenAI error shape (429 stays 429)", async () => {
    // Twice: the CLI retries once (--cli-max-retries 1).
    relay.upstream.enqueue(
      { kind: "error", status: 429, errorType: "rate_limit_error", message: "slow down" },
      { kind: "error", status: 429, errorType: "rate_limit_error", message: "slow down" },
    );
    const error = await client.responses.create({ model: "sonnet", input: "hi", stream: true }).catch((caught) => caught);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(error.error).toMatchObject({ type: "rate_limit_error" });
    expect(error.message).toContain("slow down");
  });

  test("after output started: response.failed with the partial output, then an error event the SDK raises", async () => {
    relay.upstream.enqueue({ kind: "sse-error", chunks: ["Partial ", "answer"], errorType: "overloaded_error", message: "Overloaded" });
    const events = await rawEvents({ model: "sonnet", input: "hi" });
    const names = events.map(([name]) => name);
    expect(names.slice(-2)).toEqual(["response.failed", "error"]);
    expect(names).toContain("response.output_text.delta");
    expect(names).not.toContain("response.completed");
    const failed = events.at(-2)![1].response;
    expect(failed).toMatchObject({ status: "failed", error: { code: "server_error" }, output: [{ type: "message", status: "incomplete" }] });
    expect(failed.output_text.startsWith("Partial ")).toBe(true);
    expect(events.at(-1)![1]).toMatchObject({ type: "error", message: expect.any(String), sequence_number: events.length - 1 });

    relay.upstream.enqueue({ kind: "sse-error", chunks: ["Partial ", "answer"], errorType: "overloaded_error", message: "Overloaded" });
    const raised = await client.responses.stream({ model: "sonnet", input: "hi" }).finalResponse().catch((caught) => caught);
    expect(raised).toBeInstanceOf(OpenAI.APIError);
  });
});

describe("reasoning", () => {
  test("thinking arrives as a reasoning item with encrypted_content; a stateless client sending it back continues by replay", async () => {
    // No process is kept between turns: the second turn is replayed from what the client sends.
    const replaying = await startTestRelay({ args: ["--max-live-conversations", "0"], upstream: relay.upstream });
    try {
      relay.upstream.enqueue({ kind: "text", thinking: "The user wants a number.", chunks: ["42."] }, { kind: "text", chunks: ["Still 42."] });
      const stateless = new OpenAI({ baseURL: `${replaying.url}/v1`, apiKey: "x", maxRetries: 0 });
      const input: OpenAI.Responses.ResponseInput = [{ role: "user", content: "Pick a number." }];
      const stream = stateless.responses.stream({ model: "sonnet", input, reasoning: { effort: "high" }, store: false, include: ["reasoning.encrypted_content"] });
      const reasoningDeltas: string[] = [];
      stream.on("response.reasoning_text.delta", (event) => reasoningDeltas.push(event.delta));
      const first = await stream.finalResponse();
      expect(reasoningDeltas.join("")).toBe("The user wants a number.");
      const reasoning = first.output[0] as OpenAI.Responses.ResponseReasoningItem;
      expect(reasoning).toMatchObject({ type: "reasoning", status: "completed", content: [{ type: "reasoning_text", text: "The user wants a number." }] });
      expect(reasoning.encrypted_content).toEqual(expect.any(String));
      expect(first.output_text).toBe("42.");
      expect(relay.upstream.messageRequests()[0].body.thinking).toEqual({ type: "adaptive" });

      input.push(...(first.output as OpenAI.Responses.ResponseInputItem[]), { role: "user", content: "Again?" });
      const second = await stateless.responses.create({ model: "sonnet", input, reasoning: { effort: "high" }, store: false });
      expect(second.output_text).toBe("Still 42.");
      // Like the Messages API, the CLI sends the model no thinking of earlier, finished turns.
      expect(seenUpstream(1).map((message: { role: string }) => message.role)).toEqual(["user", "assistant", "user"]);
      expect(seenUpstream(1)[1].content.at(-1)).toEqual({ type: "text", text: "42." });
    } finally {
      await replaying.close();
    }
  });
});
