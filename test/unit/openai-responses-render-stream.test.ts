import { describe, expect, test } from "bun:test";
import { ResponseStream } from "openai/lib/responses/ResponseStream";
import { RelayError } from "../../src/core/relay-error.ts";
import type { RelayEvent } from "../../src/core/relay-event.ts";
import { decodeReasoningEncryptedContent } from "../../src/protocols/openai-responses/reasoning-encrypted-content.ts";
import { echoOpenAIResponsesParameters, type OpenAIResponsesObject } from "../../src/protocols/openai-responses/render-response.ts";
import { renderOpenAIResponsesStream } from "../../src/protocols/openai-responses/render-stream.ts";
import type { OpenAIResponsesRequest } from "../../src/protocols/openai-responses/schema.ts";
import type { SseFrame } from "../../src/server/sse.ts";
import { collectFrames, eventSource, finish, streamStart, textBlock, usage } from "./relay-events.ts";

const context = {
  id: "resp_test",
  createdAt: 1_700_000_000,
  model: "sonnet",
  parameters: echoOpenAIResponsesParameters({ model: "sonnet", input: "hi" } as OpenAIResponsesRequest),
};

async function render(events: RelayEvent[], error?: unknown, onFinished?: (response: OpenAIResponsesObject) => void) {
  return collectFrames(renderOpenAIResponsesStream(eventSource(events, error), { ...context, onFinished }));
}

type Data = { type: string; sequence_number: number; [field: string]: any };
const dataOf = (frames: SseFrame[]) => frames.map((frame) => ("data" in frame ? frame.data : undefined)) as Data[];
const typesOf = (frames: SseFrame[]) => dataOf(frames).map((data) => data.type);

/** Replays the events through the official SDK's stream helper, which rejects any event out of order. */
async function finalResponseSeenBySdk(frames: SseFrame[]) {
  const lines = dataOf(frames).map((data) => `${JSON.stringify(data)}\n`).join("");
  return ResponseStream.fromReadableStream(new Response(lines).body!).finalResponse();
}

const toolCall = (id: string, name: string, ...fragments: string[]): RelayEvent[] => [
  { type: "tool-input-start", id, toolName: name },
  ...fragments.map((delta): RelayEvent => ({ type: "tool-input-delta", id, delta })),
  { type: "tool-input-end", id },
];

const text: RelayEvent[] = [streamStart({ model: "claude-sonnet-5" }), ...textBlock("t0", "Paris is ", "the capital."), finish({ usage: usage({ inputTokens: 30, outputTokens: 11, cacheReadInputTokens: 200 }) })];

describe("renderOpenAIResponsesStream", () => {
  test("text: the official event sequence, each frame named after its type, sequence numbers from 0", async () => {
    const frames = await render(text);
    expect(typesOf(frames)).toEqual([
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
    for (const frame of frames) expect("event" in frame && frame.event).toBe(("data" in frame && (frame.data as Data).type) as string);
    expect(dataOf(frames).map((data) => data.sequence_number)).toEqual(frames.map((_, index) => index));
  });

  test("text: item ids, indexes and the final object agree; the SDK helper accepts the stream and ends with the same response", async () => {
    const data = dataOf(await render(text));
    const itemId = data[2].item.id;
    expect(itemId).toMatch(/^msg_/);
    for (const event of data.slice(3, 8)) expect(event).toMatchObject({ item_id: itemId, output_index: 0, content_index: 0 });
    expect(data[2].item).toEqual({ type: "message", id: itemId, status: "in_progress", role: "assistant", content: [] });
    const completed = data.at(-1)!.response as OpenAIResponsesObject;
    expect(completed).toMatchObject({ id: "resp_test", status: "completed", model: "claude-sonnet-5", output_text: "Paris is the capital." });
    expect(completed.usage).toMatchObject({ input_tokens: 230, input_tokens_details: { cached_tokens: 200 }, output_tokens: 11, total_tokens: 241 });
    const sdk = await finalResponseSeenBySdk(await render(text));
    expect(sdk.output_text).toBe("Paris is the capital.");
    expect(sdk.status).toBe("completed");
  });

  test("tool calls: added with empty arguments, argument deltas, .done with the whole arguments; call_id is the neutral id", async () => {
    const frames = await render([streamStart(), ...textBlock("t0", "Checking."), ...toolCall("toolu_1", "get_weather", '{"city":', '"Oslo"}'), ...toolCall("toolu_2", "ping"), finish({ finishReason: { unified: "tool-calls", raw: "tool_use" } })]);
    const data = dataOf(frames);
    const added = data.filter((event) => event.type === "response.output_item.added").map((event) => event.item);
    expect(added[1]).toEqual({ type: "function_call", id: expect.stringMatching(/^fc_/), status: "in_progress", call_id: "toolu_1", name: "get_weather", arguments: "" });
    expect(data.filter((event) => event.type === "response.function_call_arguments.delta").map((event) => [event.output_index, event.delta])).toEqual([
      [1, '{"city":'],
      [1, '"Oslo"}'],
    ]);
    // A call without arguments is an empty object, never an empty string a client cannot parse.
    expect(data.filter((event) => event.type === "response.function_call_arguments.done").map((event) => event.arguments)).toEqual(['{"city":"Oslo"}', "{}"]);
    const sdk = await finalResponseSeenBySdk(frames);
    expect(sdk.output.map((item) => item.type)).toEqual(["message", "function_call", "function_call"]);
    expect(sdk.output[1]).toMatchObject({ call_id: "toolu_1", arguments: '{"city":"Oslo"}', status: "completed" });
  });

  test("reasoning: a reasoning item with reasoning_text deltas; its encrypted_content carries the signature", async () => {
    const frames = await render([
      streamStart(),
      { type: "reasoning-start", id: "r0" },
      { type: "reasoning-delta", id: "r0", delta: "Think" },
      { type: "reasoning-delta", id: "r0", delta: "ing." },
      { type: "reasoning-delta", id: "r0", delta: "", providerMetadata: { anthropic: { signature: "sig_abc" } } },
      { type: "reasoning-end", id: "r0" },
      ...textBlock("t0", "Done."),
      finish(),
    ]);
    expect(typesOf(frames).slice(2, 9)).toEqual([
      "response.output_item.added",
      "response.content_part.added",
      "response.reasoning_text.delta",
      "response.reasoning_text.delta",
      "response.reasoning_text.done",
      "response.content_part.done",
      "response.output_item.done",
    ]);
    const done = dataOf(frames)[8].item;
    expect(done).toMatchObject({ type: "reasoning", summary: [], content: [{ type: "reasoning_text", text: "Thinking." }] });
    expect(decodeReasoningEncryptedContent(done.encrypted_content)).toEqual({ signature: "sig_abc", redactedData: undefined });
    const sdk = await finalResponseSeenBySdk(frames);
    expect(sdk.output_text).toBe("Done.");
  });

  test("a cut answer ends with response.incomplete and its reason", async () => {
    const frames = await render([streamStart(), ...textBlock("t0", "Once"), finish({ finishReason: { unified: "length", raw: "max_tokens" } })]);
    const last = dataOf(frames).at(-1)!;
    expect(last.type).toBe("response.incomplete");
    expect(last.response).toMatchObject({ status: "incomplete", incomplete_details: { reason: "max_output_tokens" } });
  });

  test("a failure mid-stream: response.failed with the open item incomplete, then the flat error event; stored once", async () => {
    const finished: OpenAIResponsesObject[] = [];
    const error = new RelayError("overloaded", "The upstream is overloaded.");
    const frames = await render([streamStart(), { type: "text-start", id: "t0" }, { type: "text-delta", id: "t0", delta: "Partial" }], error, (response) => finished.push(response));
    const data = dataOf(frames);
    expect(typesOf(frames).slice(-2)).toEqual(["response.failed", "error"]);
    expect(data.at(-2)!.response).toMatchObject({
      status: "failed",
      error: { code: "server_error", message: "The upstream is overloaded." },
      output: [{ type: "message", status: "incomplete", content: [{ text: "Partial" }] }],
      output_text: "Partial",
    });
    expect(data.at(-1)).toEqual({ type: "error", code: "server_error", message: "The upstream is overloaded.", param: null, sequence_number: data.length - 1 });
    expect(finished).toEqual([data.at(-2)!.response]);
  });

  test("a backend that ends without finishing is a failure, never a completed response", async () => {
    const frames = await render([streamStart(), ...textBlock("t0", "Half")]);
    expect(typesOf(frames).slice(-2)).toEqual(["response.failed", "error"]);
    expect(typesOf(frames)).not.toContain("response.completed");
  });

  test("the final object is handed over (to be stored) before the terminal event goes out", async () => {
    let framesBeforeStore = -1;
    let yielded = 0;
    const stream = renderOpenAIResponsesStream(eventSource(text), { ...context, onFinished: () => (framesBeforeStore = yielded) });
    for await (const _ of stream) yielded++;
    expect(framesBeforeStore).toBe(yielded - 1);
  });
});
