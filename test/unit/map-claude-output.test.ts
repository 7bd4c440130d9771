import { describe, expect, test } from "bun:test";
import { ClaudeOutputMapper, type MapperStep } from "../../src/backends/claude/map-claude-output.ts";
import type { ClaudeOutputMessage } from "../../src/backends/claude/claude-messages.ts";
import { ClientToolNames } from "../../src/backends/claude/client-tool-names.ts";
import { foldRelayEvents } from "../../src/core/fold-relay-events.ts";
import { RelayError } from "../../src/core/relay-error.ts";
import type { RelayBackendEvent, RelayEvent } from "../../src/core/relay-event.ts";
import { readTranscript } from "./load-fixture.ts";

interface MapperRun {
  events: RelayBackendEvent[];
  steps: MapperStep[];
  /** The error accept() threw, if any; messages after it are not fed. */
  error?: unknown;
  /** The index of the message that threw. */
  failedAt?: number;
  notices: string[];
}

/** Feeds every stdout message to one mapper, as the backend does, until it throws. */
function runMapper(messages: unknown[], requestedModel = "sonnet"): MapperRun {
  const notices: string[] = [];
  const mapper = new ClaudeOutputMapper({ requestedModel, onNotice: (message) => notices.push(message) });
  const run: MapperRun = { events: [], steps: [], notices };
  for (const [index, message] of messages.entries()) {
    try {
      const step = mapper.accept(message as ClaudeOutputMessage);
      run.steps.push(step);
      run.events.push(...step.events);
    } catch (error) {
      run.error = error;
      run.failedAt = index;
      break;
    }
  }
  return run;
}

const textOf = (events: RelayBackendEvent[]) => events.flatMap((event) => (event.type === "text-delta" ? [event.delta] : [])).join("");
const reasoningOf = (events: RelayBackendEvent[]) => events.flatMap((event) => (event.type === "reasoning-delta" ? [event.delta] : [])).join("");
const typesOf = (events: RelayBackendEvent[]) => events.map((event) => event.type);
const finishOf = (events: RelayBackendEvent[]) => events.find((event) => event.type === "finish") as Extract<RelayEvent, { type: "finish" }> | undefined;
const resultOf = (messages: any[]) => messages.find((message) => message.type === "result");

function expectRelayError(error: unknown): RelayError {
  expect(error).toBeInstanceOf(RelayError);
  return error as RelayError;
}

async function* replay(events: RelayBackendEvent[]): AsyncGenerator<RelayBackendEvent> {
  yield* events;
}

/** A minimal streamed text answer in the CLI's shape, for cases no recording covers. */
function streamedText(options: { id?: string; text: string[]; stopReason: string; stopSequence?: string | null; outputTokens?: number }): any[] {
  const id = options.id ?? "msg_made_1";
  const event = (value: unknown) => ({ type: "stream_event", event: value });
  return [
    event({ type: "message_start", message: { id, model: "claude-sonnet-5", usage: { input_tokens: 20, output_tokens: 1, cache_creation_input_tokens: 3, cache_read_input_tokens: 100 } } }),
    event({ type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }),
    ...options.text.map((text) => event({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text } })),
    event({ type: "content_block_stop", index: 0 }),
    event({ type: "message_delta", delta: { stop_reason: options.stopReason, stop_sequence: options.stopSequence ?? null }, usage: { output_tokens: options.outputTokens ?? 9 } }),
    event({ type: "message_stop" }),
  ];
}

const resultMessage = (fields: Record<string, unknown>) => ({
  type: "result",
  subtype: "success",
  is_error: false,
  api_error_status: null,
  stop_reason: "end_turn",
  session_id: "11111111-2222-4333-8444-555555555555",
  usage: { input_tokens: 20, output_tokens: 9, cache_creation_input_tokens: 3, cache_read_input_tokens: 100 },
  ...fields,
});

const syntheticError = (error: string, text: string) => ({
  type: "assistant",
  message: { id: "0d4c5b3a-synthetic", model: "<synthetic>", role: "assistant", stop_reason: "stop_sequence", content: [{ type: "text", text }], usage: { input_tokens: 0, output_tokens: 0 } },
  error,
});

describe("ClaudeOutputMapper on recorded transcripts", () => {
  test("text-partial: deltas concatenate to the real text; start and finish carry model, usage and stop reason", () => {
    const messages = readTranscript("text-partial.jsonl");
    const run = runMapper(messages, "opus");
    expect(run.error).toBeUndefined();
    expect(textOf(run.events)).toBe(resultOf(messages).result);
    expect(textOf(run.events)).toBe("Hello from fake upstream!");
    expect(run.events[0]).toEqual({
      type: "stream-start",
      id: "msg_fake_2",
      model: "claude-opus-4-8",
      usage: { inputTokens: 12, outputTokens: 1, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 },
    });
    expect(finishOf(run.events)).toEqual({
      type: "finish",
      finishReason: { unified: "stop", raw: "end_turn" },
      usage: { inputTokens: 12, outputTokens: 7, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 },
      model: "claude-opus-4-8",
    });
    expect(typesOf(run.events)).toEqual(["stream-start", "text-start", "text-delta", "text-delta", "text-delta", "text-end", "finish"]);
    // The `assistant` message repeats the streamed block; it must not produce the text twice.
    expect(run.steps.at(-1)).toMatchObject({ done: true });
    expect(run.steps.some((step) => step.interrupt)).toBe(false);
  });

  test("text-partial: the finish usage is the result's, with cache fields mapped field for field", () => {
    const messages = readTranscript("text-partial.jsonl");
    const result = resultOf(messages);
    result.usage = { ...result.usage, input_tokens: 4, output_tokens: 7, cache_creation_input_tokens: 30, cache_read_input_tokens: 500 };
    const finish = finishOf(runMapper(messages).events)!;
    expect(finish.usage).toEqual({ inputTokens: 4, outputTokens: 7, cacheCreationInputTokens: 30, cacheReadInputTokens: 500 });
  });

  test("text-partial: messages after the result are ignored", () => {
    const messages = readTranscript("text-partial.jsonl");
    const run = runMapper([...messages, ...streamedText({ text: ["late"], stopReason: "end_turn" })]);
    expect(textOf(run.events)).toBe("Hello from fake upstream!");
    expect(run.events.filter((event) => event.type === "stream-start")).toHaveLength(1);
  });

  test("thinking: reasoning-start, deltas, signature and end, then the text", async () => {
    const run = runMapper(readTranscript("thinking.out"));
    expect(run.error).toBeUndefined();
    expect(typesOf(run.events)).toEqual([
      "stream-start",
      "reasoning-start",
      "reasoning-delta",
      "reasoning-delta",
      "reasoning-delta",
      "reasoning-delta",
      "reasoning-end",
      "text-start",
      "text-delta",
      "text-delta",
      "text-end",
      "finish",
    ]);
    expect(reasoningOf(run.events)).toBe("Let me think about this carefully.");
    expect(run.events.find((event) => event.type === "reasoning-delta" && event.providerMetadata)).toMatchObject({ delta: "", providerMetadata: { anthropic: { signature: "sig_abc" } } });
    expect(textOf(run.events)).toBe("Answer after thinking.");
    const response = await foldRelayEvents(replay(run.events));
    expect(response.content).toEqual([
      { type: "reasoning", text: "Let me think about this carefully.", providerMetadata: { anthropic: { signature: "sig_abc" } } },
      { type: "text", text: "Answer after thinking." },
    ]);
  });

  test("tool-bash-partial: the CLI's own Bash run is reported with its input, result and error flag when its result line comes", () => {
    const messages = readTranscript("tool-bash-partial.out");
    let clock = 1000;
    const mapper = new ClaudeOutputMapper({ requestedModel: "sonnet", now: () => (clock += 25) });
    const reportsByLine = messages.map((message) => mapper.accept(message as ClaudeOutputMessage).events.filter((event) => event.type === "backend-tool-run"));
    const resultLine = messages.findIndex((message) => message.type === "user");
    expect(reportsByLine.flatMap((reports, index) => (reports.length ? [index] : []))).toEqual([resultLine]);
    const [run] = reportsByLine[resultLine];
    expect(run).toMatchObject({
      type: "backend-tool-run",
      id: "toolu_bash_1",
      toolName: "Bash",
      input: { command: "echo hi-from-bash > ./bash_ran.txt; echo done", description: "test" },
      isError: true,
      durationMs: 25,
    });
    expect(run.type === "backend-tool-run" && String(run.result)).toContain("Output redirection to './bash_ran.txt' was blocked");
  });

  test("calls of the client's tools and results of unknown calls are not reported as the CLI's own runs", () => {
    const toolNames = new ClientToolNames([{ name: "get_weather", description: "", inputSchema: { type: "object" } } as never]);
    const mapper = new ClaudeOutputMapper({ requestedModel: "sonnet", toolNames });
    const assistant = (id: string, name: string) =>
      ({ type: "assistant", message: { id: `msg_${id}`, model: "claude-sonnet-5", content: [{ type: "tool_use", id, name, input: { city: "Oslo" } }] } }) as ClaudeOutputMessage;
    const result = (id: string) => ({ type: "user", message: { role: "user", content: [{ type: "tool_result", tool_use_id: id, content: [{ type: "text", text: "sunny" }] }] } }) as ClaudeOutputMessage;
    mapper.accept(assistant("toolu_client", "mcp__relay__get_weather"));
    mapper.accept(assistant("toolu_own", "Read"));
    expect(mapper.accept(result("toolu_client")).events).toEqual([]);
    expect(mapper.accept(result("toolu_unknown")).events).toEqual([]);
    expect(mapper.accept(result("toolu_own")).events).toMatchObject([{ type: "backend-tool-run", id: "toolu_own", toolName: "Read", result: [{ type: "text", text: "sunny" }], isError: false }]);
    // A result is reported once, even if the line came again.
    expect(mapper.accept(result("toolu_own")).events).toEqual([]);
  });

  test("tool-bash-partial: the CLI's own Bash tool_use is hidden; both model calls' text reaches the client", () => {
    const messages = readTranscript("tool-bash-partial.out");
    const run = runMapper(messages);
    expect(run.error).toBeUndefined();
    expect(run.events.some((event) => event.type.startsWith("tool-input"))).toBe(false);
    const text = textOf(run.events);
    expect(text).not.toContain('"command"');
    // The recording's paths were shortened in the result line only, so compare with the second call's own deltas.
    const secondCallText = messages
      .slice(messages.findIndex((message) => message.event?.message?.id === "msg_fake_5"))
      .flatMap((message) => (message.event?.delta?.type === "text_delta" ? [message.event.delta.text] : []))
      .join("");
    expect(secondCallText.startsWith("Tool result seen:")).toBe(true);
    expect(text).toBe("I will run a command." + secondCallText);
    // Two text blocks from two upstream messages get distinct ids, each closed once.
    const starts = run.events.filter((event) => event.type === "text-start").map((event) => event.id);
    const ends = run.events.filter((event) => event.type === "text-end").map((event) => event.id);
    expect(new Set(starts).size).toBe(2);
    expect(ends).toEqual(starts);
    expect(run.events.filter((event) => event.type === "stream-start")).toHaveLength(1);
    expect(finishOf(run.events)).toMatchObject({
      finishReason: { unified: "stop", raw: "end_turn" },
      usage: { inputTokens: 24, outputTokens: 14 },
    });
  });

  test("json-schema (no partial messages): the CLI's StructuredOutput tool_use is not shown as content", () => {
    const run = runMapper(readTranscript("json-schema.out"));
    expect(run.error).toBeUndefined();
    // The validation round trip is a run of the CLI's own tool, reported beside the answer (for the request log).
    expect(typesOf(run.events)).toEqual(["stream-start", "backend-tool-run", "finish"]);
    expect(run.events[1]).toMatchObject({ toolName: "StructuredOutput", isError: false });
    expect(run.events[0]).toMatchObject({ id: "msg_fake_5", model: "claude-opus-4-8" });
  });

  // The CLI's own StructuredOutput call ends the turn with stop_reason "tool_use"; the client made no tool call.
  test("json-schema: a finish caused only by a hidden CLI tool is not reported as tool-calls", () => {
    const finish = finishOf(runMapper(readTranscript("json-schema.out")).events)!;
    expect(finish.finishReason.unified).not.toBe("tool-calls");
  });

  test("error-429-maxretries2: throws rate_limit 429 and emits nothing before it", () => {
    const run = runMapper(readTranscript("error-429-maxretries2.out"));
    expect(run.events).toEqual([]);
    const error = expectRelayError(run.error);
    expect(error).toMatchObject({ kind: "rate_limit", status: 429, retryable: true });
    expect(error.message).toContain("per-minute rate limit");
    expect(run.notices.filter((notice) => notice.includes("retrying"))).toHaveLength(2);
  });

  test("error-529-maxretries0: throws overloaded 529", () => {
    const run = runMapper(readTranscript("error-529-maxretries0.out"));
    expect(run.events).toEqual([]);
    expect(expectRelayError(run.error)).toMatchObject({ kind: "overloaded", status: 529, retryable: true });
  });

  test("error-midstream-retried: repeated message_start without message_delta is silent until the final error result", () => {
    const messages = readTranscript("error-midstream-retried.out");
    const run = runMapper(messages);
    const starts = messages.flatMap((message, index) => (message.type === "stream_event" && message.event.type === "message_start" ? [index] : []));
    expect(starts).toHaveLength(3);
    // Only the first attempt's start reaches the client; the retries neither emit nor throw.
    expect(typesOf(run.events)).toEqual(["stream-start"]);
    for (const index of starts.slice(1)) expect(run.steps[index].events).toEqual([]);
    expect(run.notices.filter((notice) => notice.includes("restarted"))).toHaveLength(2);
    // What ends the stream is the CLI's own final error, at the result line.
    expect(run.failedAt).toBe(messages.length - 1);
    const error = expectRelayError(run.error);
    expect(error).toMatchObject({ kind: "api_error", status: 502 });
    expect(error.message).toContain("empty or malformed response");
  });
});

describe("ClaudeOutputMapper on constructed cases", () => {
  test("a second message_start after text was emitted throws api_error 502 (the partial answer cannot be resumed)", () => {
    const first = streamedText({ id: "msg_a", text: ["Hello, wor"], stopReason: "end_turn" }).slice(0, 3);
    const retried = streamedText({ id: "msg_b", text: ["Hello, world"], stopReason: "end_turn" });
    const run = runMapper([...first, ...retried, resultMessage({})]);
    expect(textOf(run.events)).toBe("Hello, wor");
    expect(run.failedAt).toBe(first.length);
    expect(expectRelayError(run.error)).toMatchObject({ kind: "api_error", status: 502, retryable: true });
  });

  test("a non-streaming fallback message after streamed text throws api_error 502", () => {
    const first = streamedText({ id: "msg_a", text: ["Hel"], stopReason: "end_turn" }).slice(0, 3);
    const fallback = { type: "assistant", message: { id: "msg_fallback", model: "claude-sonnet-5", content: [{ type: "text", text: "Hello" }] } };
    const run = runMapper([...first, fallback, resultMessage({})]);
    expect(textOf(run.events)).toBe("Hel");
    expect(expectRelayError(run.error)).toMatchObject({ kind: "api_error", status: 502 });
  });

  test("a non-streaming fallback message before any output becomes the answer", () => {
    const first = streamedText({ id: "msg_a", text: [], stopReason: "end_turn" }).slice(0, 1);
    const fallback = { type: "assistant", message: { id: "msg_fallback", model: "claude-sonnet-5", content: [{ type: "text", text: "Hello" }] } };
    const run = runMapper([...first, fallback, resultMessage({})]);
    expect(run.error).toBeUndefined();
    expect(textOf(run.events)).toBe("Hello");
    expect(finishOf(run.events)?.finishReason).toEqual({ unified: "stop", raw: "end_turn" });
  });

  test("max_tokens finishes at once with unified length and asks for an interrupt", () => {
    const run = runMapper(streamedText({ text: ["Once upon", " a time"], stopReason: "max_tokens", outputTokens: 16 }));
    expect(run.error).toBeUndefined();
    const delta = run.steps.at(-2)!;
    expect(delta).toMatchObject({ interrupt: true, done: true });
    expect(finishOf(delta.events)).toEqual({
      type: "finish",
      finishReason: { unified: "length", raw: "max_tokens" },
      usage: { inputTokens: 20, outputTokens: 16, cacheCreationInputTokens: 3, cacheReadInputTokens: 100 },
      model: "claude-sonnet-5",
    });
    expect(textOf(run.events)).toBe("Once upon a time");
    // The CLI's auto-continuation after the interrupt must not add to the answer.
    expect(run.steps.at(-1)!.events).toEqual([]);
    expect(run.events.filter((event) => event.type === "text-end")).toHaveLength(1);
  });

  test("stop_sequence keeps the matched sequence", () => {
    const run = runMapper([...streamedText({ text: ["1, 2, 3"], stopReason: "stop_sequence", stopSequence: "4" }), resultMessage({ stop_reason: "stop_sequence" })]);
    expect(finishOf(run.events)?.finishReason).toEqual({ unified: "stop-sequence", raw: "stop_sequence", stopSequence: "4" });
  });

  test("the model falls back to the CLI's init model without its [1m] tag, then to the requested one", () => {
    const init = { type: "system", subtype: "init", model: "claude-opus-4-8[1m]" };
    const withInit = runMapper([init, resultMessage({})], "opus");
    expect(withInit.events[0]).toMatchObject({ type: "stream-start", model: "claude-opus-4-8", id: "msg_11111111-2222-4333-8444-555555555555" });
    expect(finishOf(withInit.events)?.model).toBe("claude-opus-4-8");
    expect(finishOf(runMapper([resultMessage({})], "haiku").events)?.model).toBe("haiku");
  });

  test("400 from the API throws invalid_request 400", () => {
    const run = runMapper([
      syntheticError("unknown", "API Error: 400 messages.0.content: fake invalid request"),
      resultMessage({ is_error: true, api_error_status: 400, result: "API Error: 400 messages.0.content: fake invalid request", stop_reason: "stop_sequence" }),
    ]);
    expect(expectRelayError(run.error)).toMatchObject({ kind: "invalid_request", status: 400 });
  });

  test("401 from the API throws backend_authentication 502 telling the user to log in to Claude Code", () => {
    const run = runMapper([
      syntheticError("authentication_failed", "Invalid API key · Fix external API key"),
      resultMessage({ is_error: true, api_error_status: 401, result: "Invalid API key · Fix external API key", stop_reason: "stop_sequence" }),
    ]);
    const error = expectRelayError(run.error);
    expect(error).toMatchObject({ kind: "backend_authentication", status: 502 });
    expect(error.message).toContain("Log in to Claude Code");
  });

  test("a synthetic authentication_failed error is enough to classify a status-less failure", () => {
    const run = runMapper([
      syntheticError("authentication_failed", "Something went wrong"),
      resultMessage({ is_error: true, api_error_status: null, result: "Something went wrong" }),
    ]);
    expect(expectRelayError(run.error)).toMatchObject({ kind: "backend_authentication", status: 502 });
  });

  test("a redacted_thinking block carries its data in reasoning-start", () => {
    const event = (value: unknown) => ({ type: "stream_event", event: value });
    const run = runMapper([
      event({ type: "message_start", message: { id: "msg_r", model: "claude-sonnet-5", usage: { input_tokens: 1 } } }),
      event({ type: "content_block_start", index: 0, content_block: { type: "redacted_thinking", data: "ENCRYPTED" } }),
      event({ type: "content_block_stop", index: 0 }),
      event({ type: "message_delta", delta: { stop_reason: "end_turn" }, usage: { output_tokens: 1 } }),
      event({ type: "message_stop" }),
      resultMessage({}),
    ]);
    expect(run.events.slice(1, 3)).toEqual([
      { type: "reasoning-start", id: "1:0", providerMetadata: { anthropic: { redactedData: "ENCRYPTED" } } },
      { type: "reasoning-end", id: "1:0" },
    ]);
  });

  // The API never returns empty text blocks and rejects them when a client sends the answer back as history.
  test("a silent retry leaves no empty text block from the failed attempt", async () => {
    const event = (value: unknown) => ({ type: "stream_event", event: value });
    const failedAttempt = [
      event({ type: "message_start", message: { id: "msg_x", model: "claude-sonnet-5", usage: { input_tokens: 5 } } }),
      event({ type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }),
      // As in error-midstream-retried.out: the failed attempt ends with message_stop and no message_delta.
      event({ type: "message_stop" }),
    ];
    const run = runMapper([...failedAttempt, ...streamedText({ id: "msg_x", text: ["Hi"], stopReason: "end_turn" }), resultMessage({})]);
    expect(run.error).toBeUndefined();
    const response = await foldRelayEvents(replay(run.events));
    expect(response.content).toEqual([{ type: "text", text: "Hi" }]);
  });
});
