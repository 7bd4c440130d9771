/**
 * A scripted fake of an OpenAI-compatible Chat Completions API (OpenAI, OpenRouter, DeepSeek, Ollama, Azure),
 * for testing the relay's openai backend offline. Each POST .../chat/completions takes the next scripted reply
 * from a queue (or the default reply); GET .../models lists the scripted models. Every request is recorded
 * with its headers, body, the client's socket and whether the client hung up, so tests assert what was sent.
 */

/** Usage exactly as the upstream reports it (OpenAI, DeepSeek and OpenRouter field names). */
export interface FakeOpenAIUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number; cache_write_tokens?: number };
  completion_tokens_details?: { reasoning_tokens?: number };
  /** DeepSeek's names for the cached and uncached parts of prompt_tokens. */
  prompt_cache_hit_tokens?: number;
  prompt_cache_miss_tokens?: number;
}

export interface FakeToolCall {
  id: string;
  name: string;
  /** The arguments as a JSON string, sent in two fragments. */
  arguments: string;
}

interface StreamedReplyOptions {
  usage?: FakeOpenAIUsage;
  /** The raw finish_reason; "stop" by default (tool_calls for tool replies). */
  finishReason?: string;
  model?: string;
  /** Delay before each chunk, in ms (a slow stream). */
  delayMs?: number;
  /** Reasoning deltas sent before the answer; empty strings are sent as empty deltas. */
  reasoning?: string[];
  /** The delta field reasoning arrives in: DeepSeek/vLLM `reasoning_content` (default) or OpenRouter/Ollama `reasoning`. */
  reasoningField?: "reasoning_content" | "reasoning";
}

export type ScriptedOpenAIReply =
  | ({ kind: "text"; chunks: string[] } & StreamedReplyOptions)
  /** Tool calls after optional text; `omitIndex` drops the index field (Gemini's endpoint), `interleave` alternates fragments of the calls. */
  | ({ kind: "tool-calls"; calls: FakeToolCall[]; text?: string; omitIndex?: boolean; interleave?: boolean } & StreamedReplyOptions)
  /** `tokens` one-word chunks, built once: the benchmark's long answer. */
  | { kind: "long"; tokens: number; usage?: FakeOpenAIUsage; /** Paced at this rate (a model's speed) instead of sent at once. */ tokensPerSecond?: number }
  /** An error status with an OpenAI error body (or `rawBody` as it is, for Ollama-style `{ "error": "..." }`). */
  | { kind: "error"; status: number; message: string; type?: string; code?: string | null; param?: string | null; retryAfterSeconds?: number; rawBody?: unknown }
  /** Never sends headers; the request stays open until the client goes away. */
  | { kind: "hang" }
  /** Sends the given text chunks, then stays silent until the client goes away. */
  | { kind: "stall"; chunks: string[] }
  /** Sends the given text chunks, then an in-stream `data: {"error": ...}` (as OpenRouter does) and ends. */
  | { kind: "stream-error"; chunks: string[]; message: string; code?: number | string }
  /** Sends the given text chunks, then closes the connection without a finish_reason or [DONE]. */
  | { kind: "cut"; chunks: string[] }
  /** Exactly these bytes, in these pieces, with this status and these headers (passthrough fidelity tests). */
  | { kind: "raw"; status?: number; headers: Record<string, string>; chunks: Array<string | Uint8Array> };

export interface FakeOpenAIModel {
  id: string;
  /** OpenRouter's fields, reported only when given. */
  context_length?: number;
  top_provider?: { max_completion_tokens?: number | null; context_length?: number | null };
  [key: string]: unknown;
}

export interface RecordedOpenAIRequest {
  method: string;
  /** Path and query, e.g. "/v1/chat/completions?api-version=2024-12-01-preview". */
  path: string;
  headers: Record<string, string>;
  body: any;
  /** The body exactly as it arrived. */
  rawBody: string;
  /** The client's address and port: the same port across requests means the connection was reused. */
  remote: string;
  receivedAt: number;
  /** Resolves when the client closed the connection before the reply was complete. */
  aborted: Promise<void>;
  wasAborted: boolean;
  /** True once the reply was fully written. */
  completed: boolean;
}

export interface FakeOpenAIUpstream {
  /** The base URL clients configure, ending in /v1. */
  url: string;
  requests: RecordedOpenAIRequest[];
  enqueue(...replies: ScriptedOpenAIReply[]): void;
  setDefault(reply: ScriptedOpenAIReply | ((body: any) => ScriptedOpenAIReply)): void;
  /** The models GET .../models lists; `null` makes it answer 500. */
  setModels(models: FakeOpenAIModel[] | null): void;
  /** Only the model calls (POST .../chat/completions). */
  completionRequests(): RecordedOpenAIRequest[];
  waitForCompletionRequests(count: number, timeoutMs?: number): Promise<RecordedOpenAIRequest[]>;
  reset(): void;
  stop(): Promise<void>;
}

export const defaultOpenAIUsage: FakeOpenAIUsage = { prompt_tokens: 20, completion_tokens: 5, total_tokens: 25 };

const encoder = new TextEncoder();
const doneFrame = encoder.encode("data: [DONE]\n\n");
let completionCounter = 0;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function dataFrame(data: unknown): Uint8Array {
  return encoder.encode(`data: ${JSON.stringify(data)}\n\n`);
}

export function startFakeOpenAIUpstream(
  options: {
    port?: number;
    /** Keep no record of requests (benchmarks). */
    record?: boolean;
    /** Every completion starts this long after the request arrived (a model's time to first token). */
    latencyMs?: number;
  } = {},
): FakeOpenAIUpstream {
  const queue: ScriptedOpenAIReply[] = [];
  let defaultReply: ScriptedOpenAIReply | ((body: any) => ScriptedOpenAIReply) = { kind: "text", chunks: ["Hello from ", "the fake OpenAI upstream!"] };
  let models: FakeOpenAIModel[] | null = [{ id: "gpt-test" }, { id: "gpt-test-mini" }];
  const requests: RecordedOpenAIRequest[] = [];

  const server = Bun.serve({
    port: options.port ?? 0,
    hostname: "127.0.0.1",
    idleTimeout: 0,
    async fetch(request, server) {
      const url = new URL(request.url);
      const text = request.method === "POST" ? await request.text() : "";
      let body: any;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = text;
      }
      const headers: Record<string, string> = {};
      request.headers.forEach((value, key) => (headers[key] = value));
      const ip = server.requestIP(request);
      let markAborted!: () => void;
      const record: RecordedOpenAIRequest = {
        method: request.method,
        path: url.pathname + url.search,
        headers,
        body,
        rawBody: text,
        remote: ip ? `${ip.address}:${ip.port}` : "unknown",
        receivedAt: Date.now(),
        aborted: new Promise<void>((resolve) => (markAborted = resolve)),
        wasAborted: false,
        completed: false,
      };
      request.signal.addEventListener(
        "abort",
        () => {
          if (record.completed) return;
          record.wasAborted = true;
          markAborted();
        },
        { once: true },
      );
      if (options.record !== false) requests.push(record);

      if (request.method === "GET" && url.pathname.endsWith("/models")) {
        record.completed = true;
        if (models === null) return Response.json({ error: { message: "models unavailable", type: "server_error" } }, { status: 500 });
        return Response.json({ object: "list", data: models.map((model) => ({ object: "model", created: 1_700_000_000, owned_by: "fake", ...model })) });
      }
      if (request.method !== "POST" || !url.pathname.endsWith("/chat/completions")) {
        record.completed = true;
        return Response.json({ error: { message: `no route ${request.method} ${url.pathname}`, type: "invalid_request_error" } }, { status: 404 });
      }
      const next = queue.shift() ?? (typeof defaultReply === "function" ? defaultReply(body) : defaultReply);
      if (options.latencyMs) await sleep(options.latencyMs);
      return replyWith(next, body, record, request.signal);
    },
  });

  return {
    url: `http://127.0.0.1:${server.port}/v1`,
    requests,
    enqueue: (...replies) => queue.push(...replies),
    setDefault: (reply) => (defaultReply = reply),
    setModels: (list) => (models = list),
    completionRequests: () => requests.filter((request) => request.method === "POST" && request.path.includes("/chat/completions")),
    async waitForCompletionRequests(count, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const found = requests.filter((request) => request.method === "POST" && request.path.includes("/chat/completions"));
        if (found.length >= count) return found;
        await sleep(10);
      }
      throw new Error(`fake OpenAI upstream: expected ${count} completion requests, got ${requests.length} requests`);
    },
    reset() {
      queue.length = 0;
      requests.length = 0;
    },
    async stop() {
      await server.stop(true);
    },
  };
}

function replyWith(reply: ScriptedOpenAIReply, body: any, record: RecordedOpenAIRequest, signal: AbortSignal): Response {
  switch (reply.kind) {
    case "error": {
      record.completed = true;
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (reply.retryAfterSeconds !== undefined) headers["retry-after"] = String(reply.retryAfterSeconds);
      const errorBody = reply.rawBody ?? { error: { message: reply.message, type: reply.type ?? "invalid_request_error", param: reply.param ?? null, code: reply.code ?? null } };
      return new Response(JSON.stringify(errorBody), { status: reply.status, headers });
    }
    case "hang":
      return new Promise<Response>(() => {}) as unknown as Response;
    case "raw": {
      const pieces = reply.chunks.map((piece) => (typeof piece === "string" ? encoder.encode(piece) : piece));
      const stream = new ReadableStream<Uint8Array>({
        async pull(controller) {
          const next = pieces.shift();
          if (next === undefined) {
            record.completed = true;
            controller.close();
            return;
          }
          // One piece per write, so the client really reads them as separate chunks.
          await sleep(1);
          controller.enqueue(next);
        },
      });
      return new Response(stream, { status: reply.status ?? 200, headers: reply.headers });
    }
    case "text":
    case "tool-calls":
    case "stall":
    case "stream-error":
    case "cut":
    case "long":
      if (body?.stream !== true) return jsonCompletion(reply, body, record);
      return streamCompletion(reply, body, record, signal);
    default: {
      const unreachable: never = reply;
      throw new Error(`unknown reply ${JSON.stringify(unreachable)}`);
    }
  }
}

type ContentReply = Exclude<ScriptedOpenAIReply, { kind: "error" | "hang" | "raw" }>;

function modelOf(reply: ContentReply, body: any): string {
  return ("model" in reply && reply.model) || body?.model || "gpt-test";
}

function usageOf(reply: ContentReply): FakeOpenAIUsage {
  const usage = ("usage" in reply && reply.usage) || defaultOpenAIUsage;
  return { ...usage, total_tokens: usage.total_tokens ?? usage.prompt_tokens + usage.completion_tokens };
}

function textOf(reply: ContentReply): string {
  if (reply.kind === "long") return "tok ".repeat(reply.tokens);
  if (reply.kind === "tool-calls") return reply.text ?? "";
  return reply.chunks.join("");
}

/** A non-streaming chat.completion, for clients (and benchmarks) that do not ask for a stream. */
function jsonCompletion(reply: ContentReply, body: any, record: RecordedOpenAIRequest): Response {
  record.completed = true;
  const isTools = reply.kind === "tool-calls";
  const text = textOf(reply);
  const reasoning = "reasoning" in reply && reply.reasoning ? reply.reasoning.join("") : undefined;
  const message: Record<string, unknown> = { role: "assistant", content: text || (isTools ? null : "") };
  if (reasoning) message[("reasoningField" in reply && reply.reasoningField) || "reasoning_content"] = reasoning;
  if (isTools) message.tool_calls = reply.calls.map((call) => ({ id: call.id, type: "function", function: { name: call.name, arguments: call.arguments } }));
  const finishReason = ("finishReason" in reply && reply.finishReason) || (isTools ? "tool_calls" : "stop");
  return Response.json({
    id: `chatcmpl-fake-${++completionCounter}`,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: modelOf(reply, body),
    choices: [{ index: 0, message, finish_reason: finishReason, logprobs: null }],
    usage: usageOf(reply),
  });
}

function streamCompletion(reply: ContentReply, body: any, record: RecordedOpenAIRequest, signal: AbortSignal): Response {
  const id = `chatcmpl-fake-${++completionCounter}`;
  const model = modelOf(reply, body);
  const created = Math.floor(Date.now() / 1000);
  const chunk = (delta: Record<string, unknown>, finishReason: string | null = null) => ({
    id,
    object: "chat.completion.chunk",
    created,
    model,
    choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }],
  });
  const includeUsage = body?.stream_options?.include_usage === true;

  if (reply.kind === "long") {
    // Built once and sent as one body: the benchmark measures the relay, not this fake.
    const frames: Uint8Array[] = [dataFrame(chunk({ role: "assistant", content: "" }))];
    for (let index = 0; index < reply.tokens; index++) frames.push(dataFrame(chunk({ content: "tok " })));
    frames.push(dataFrame(chunk({}, "stop")));
    if (includeUsage) frames.push(dataFrame({ id, object: "chat.completion.chunk", created, model, choices: [], usage: reply.usage ?? { prompt_tokens: 20, completion_tokens: reply.tokens, total_tokens: 20 + reply.tokens } }));
    frames.push(doneFrame);
    const tokensPerSecond = reply.tokensPerSecond;
    if (!tokensPerSecond) {
      record.completed = true;
      return new Response(new Blob(frames), { headers: { "content-type": "text/event-stream" } });
    }
    // Paced: each frame is sent when it falls due, several at once when a timer fires late.
    const paced = new ReadableStream<Uint8Array>({
      async start(controller) {
        const startedAt = performance.now();
        for (let index = 0; index < frames.length && !signal.aborted; ) {
          const dueCount = Math.min(frames.length, 1 + Math.floor(((performance.now() - startedAt) * tokensPerSecond) / 1000));
          if (dueCount > index) {
            controller.enqueue(frames.length - index === 1 || dueCount - index === 1 ? frames[index]! : Buffer.concat(frames.slice(index, dueCount)));
            index = dueCount;
          } else await sleep(Math.max(1, ((index * 1000) / tokensPerSecond) - (performance.now() - startedAt)));
        }
        record.completed = true;
        controller.close();
      },
    });
    return new Response(paced, { headers: { "content-type": "text/event-stream" } });
  }

  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      const delayMs = "delayMs" in reply ? (reply.delayMs ?? 0) : 0;
      const send = async (data: unknown) => {
        if (delayMs) await sleep(delayMs);
        if (!signal.aborted) controller.enqueue(dataFrame(data));
      };
      await send(chunk({ role: "assistant", content: "" }));
      if ((reply.kind === "text" || reply.kind === "tool-calls") && reply.reasoning) {
        const field = reply.reasoningField ?? "reasoning_content";
        for (const piece of reply.reasoning) await send(chunk({ [field]: piece }));
      }
      const text = reply.kind === "tool-calls" ? (reply.text ? [reply.text] : []) : reply.chunks;
      for (const piece of text) await send(chunk({ content: piece }));
      switch (reply.kind) {
        case "stall":
          await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
          controller.close();
          return;
        case "stream-error":
          await send({ error: { message: reply.message, code: reply.code ?? 502 } });
          record.completed = true;
          controller.close();
          return;
        case "cut":
          record.completed = true;
          controller.close();
          return;
        case "tool-calls":
          for (const delta of toolCallDeltas(reply)) await send(chunk({ tool_calls: [delta] }));
          break;
        case "text":
          break;
        default: {
          const unreachable: never = reply;
          throw new Error(`unknown reply ${JSON.stringify(unreachable)}`);
        }
      }
      await send(chunk({}, reply.finishReason ?? (reply.kind === "tool-calls" ? "tool_calls" : "stop")));
      if (includeUsage) await send({ id, object: "chat.completion.chunk", created, model, choices: [], usage: usageOf(reply) });
      if (!signal.aborted) controller.enqueue(doneFrame);
      record.completed = true;
      controller.close();
    },
  });
  return new Response(stream, { headers: { "content-type": "text/event-stream", "cache-control": "no-cache" } });
}

/** The tool_calls deltas of a reply: id and name first, then the arguments in two fragments, per call. */
function toolCallDeltas(reply: Extract<ScriptedOpenAIReply, { kind: "tool-calls" }>): Array<Record<string, unknown>> {
  const perCall = reply.calls.map((call, index) => {
    const withIndex = (delta: Record<string, unknown>) => (reply.omitIndex ? delta : { index, ...delta });
    const middle = Math.ceil(call.arguments.length / 2);
    if (reply.omitIndex) {
      // Gemini's endpoint sends each call whole, with its id and no index.
      return [{ id: call.id, type: "function", function: { name: call.name, arguments: call.arguments } }];
    }
    return [
      withIndex({ id: call.id, type: "function", function: { name: call.name, arguments: "" } }),
      withIndex({ function: { arguments: call.arguments.slice(0, middle) } }),
      withIndex({ function: { arguments: call.arguments.slice(middle) } }),
    ];
  });
  if (!reply.interleave) return perCall.flat();
  const interleaved: Array<Record<string, unknown>> = [];
  for (let step = 0; perCall.some((deltas) => step < deltas.length); step++) {
    for (const deltas of perCall) if (step < deltas.length) interleaved.push(deltas[step]!);
  }
  return interleaved;
}
