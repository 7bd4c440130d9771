/**
 * A scripted fake of the Anthropic Messages API, for running the real `claude` CLI offline.
 * Each POST /v1/messages takes the next scripted reply from a queue (or the default reply),
 * and every request is recorded with its headers, body and whether the client hung up.
 */

export interface UpstreamUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens?: number;
  cache_read_input_tokens?: number;
}

export type ScriptedReply =
  | {
      kind: "text";
      /** Text pieces sent as separate text_delta events. */
      chunks: string[];
      usage?: UpstreamUsage;
      stopReason?: "end_turn" | "max_tokens" | "stop_sequence";
      stopSequence?: string;
      model?: string;
      /** Delay before each delta, in ms. */
      delayMs?: number;
      /** Deltas paced at this rate (a model's generation speed), sent as they fall due. */
      tokensPerSecond?: number;
      /** Thinking text streamed before the answer. */
      thinking?: string;
    }
  /** Tool calls (streamed as input_json_delta fragments), optionally after some text; stop_reason tool_use. */
  | { kind: "tool-use"; calls: Array<{ id: string; name: string; input: unknown }>; text?: string; usage?: UpstreamUsage; model?: string }
  | { kind: "error"; status: number; errorType: string; message: string; retryAfterSeconds?: number }
  /** Never sends headers; the request stays open until the client goes away. */
  | { kind: "hang" }
  /** Sends message_start and the given deltas, then stays silent until the client goes away. */
  | { kind: "stall"; chunks: string[]; usage?: UpstreamUsage }
  /** Sends message_start and the given deltas, then an SSE error event. */
  | { kind: "sse-error"; chunks: string[]; errorType: string; message: string }
  /** Sends exactly these bytes (in these chunks) with this status and headers: for byte-fidelity tests. */
  | { kind: "raw"; status?: number; headers?: Record<string, string>; chunks: Array<string | Uint8Array>; delayMs?: number };

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: any;
  /** The request body exactly as received. */
  rawBody: string;
  receivedAt: number;
  /** Resolves when the client closed the connection before the reply was complete. */
  aborted: Promise<void>;
  /** True once the client closed the connection before the reply was complete. */
  wasAborted: boolean;
  /** True once the reply was fully written. */
  completed: boolean;
}

export interface FakeUpstream {
  url: string;
  requests: RecordedRequest[];
  /** Replies for the next POST /v1/messages requests, in order. */
  enqueue(...replies: ScriptedReply[]): void;
  /** The reply used when the queue is empty. */
  setDefault(reply: ScriptedReply | ((body: any) => ScriptedReply)): void;
  /** Only the model calls (POST /v1/messages), not HEAD probes. */
  messageRequests(): RecordedRequest[];
  waitForRequests(count: number, timeoutMs?: number): Promise<RecordedRequest[]>;
  reset(): void;
  stop(): Promise<void>;
}

export const defaultUsage: UpstreamUsage = {
  input_tokens: 12,
  output_tokens: 7,
  cache_creation_input_tokens: 0,
  cache_read_input_tokens: 0,
};

const encoder = new TextEncoder();
let messageCounter = 0;

function sseFrame(event: string, data: unknown): Uint8Array {
  return encoder.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface FakeUpstreamOptions {
  /** Every model answer starts this long after the request arrived (a model's time to first token). */
  latencyMs?: number;
}

export function startFakeUpstream(options: FakeUpstreamOptions = {}): FakeUpstream {
  const queue: ScriptedReply[] = [];
  let defaultReply: ScriptedReply | ((body: any) => ScriptedReply) = {
    kind: "text",
    chunks: ["Hello from ", "fake upstream!"],
  };
  const requests: RecordedRequest[] = [];

  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    idleTimeout: 0,
    async fetch(request) {
      const url = new URL(request.url);
      const headers: Record<string, string> = {};
      request.headers.forEach((value, key) => (headers[key] = value));
      const text = request.method === "POST" ? await request.text() : "";
      let body: any = undefined;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = text;
      }
      let markAborted!: () => void;
      const record: RecordedRequest = {
        method: request.method,
        path: url.pathname + url.search,
        headers,
        body,
        rawBody: text,
        receivedAt: Date.now(),
        aborted: new Promise<void>((resolve) => (markAborted = resolve)),
        wasAborted: false,
        completed: false,
      };
      const onAbort = () => {
        if (record.completed) return;
        record.wasAborted = true;
        markAborted();
      };
      request.signal.addEventListener("abort", onAbort, { once: true });
      requests.push(record);

      if (request.method !== "POST" || !url.pathname.startsWith("/v1/messages")) {
        record.completed = true;
        return new Response(null, { status: request.method === "HEAD" ? 200 : 404 });
      }
      const next = queue.shift() ?? (typeof defaultReply === "function" ? defaultReply(body) : defaultReply);
      if (options.latencyMs) await sleep(options.latencyMs);
      return replyWith(next, body, record, request.signal);
    },
  });

  return {
    url: `http://127.0.0.1:${server.port}`,
    requests,
    enqueue: (...replies) => queue.push(...replies),
    setDefault: (reply) => (defaultReply = reply),
    messageRequests: () => requests.filter((r) => r.method === "POST" && r.path.startsWith("/v1/messages")),
    // Generous: a cold CLI start takes tens of seconds on a loaded machine before its first request arrives.
    async waitForRequests(count, timeoutMs = 120_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const found = requests.filter((r) => r.method === "POST");
        if (found.length >= count) return found;
        await sleep(10);
      }
      throw new Error(`fake upstream: expected ${count} requests, got ${requests.length}`);
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

function replyWith(reply: ScriptedReply, body: any, record: RecordedRequest, signal: AbortSignal): Response {
  const model = ((reply.kind === "text" || reply.kind === "tool-use") && reply.model) || body?.model || "claude-test";
  switch (reply.kind) {
    case "error": {
      record.completed = true;
      const headers: Record<string, string> = { "content-type": "application/json", "request-id": "req_fake_err" };
      if (reply.retryAfterSeconds !== undefined) headers["retry-after"] = String(reply.retryAfterSeconds);
      return new Response(
        JSON.stringify({ type: "error", error: { type: reply.errorType, message: reply.message } }),
        { status: reply.status, headers },
      );
    }
    case "hang":
      return new Promise<Response>(() => {}) as unknown as Response;
    case "text":
      if (body?.stream === false || body?.stream === undefined) return jsonMessage(reply, model, record);
      return streamMessage(reply, model, record, signal);
    case "stall":
    case "sse-error":
      return streamMessage(reply, model, record, signal);
    case "tool-use":
      return streamToolUse(reply, model, record);
    case "raw":
      return rawReply(reply, record, signal);
    default: {
      const unreachable: never = reply;
      throw new Error(`unknown reply ${JSON.stringify(unreachable)}`);
    }
  }
}

function jsonMessage(reply: Extract<ScriptedReply, { kind: "text" }>, model: string, record: RecordedRequest) {
  record.completed = true;
  const usage = { ...defaultUsage, ...reply.usage };
  return Response.json({
    id: `msg_fake_${++messageCounter}`,
    type: "message",
    role: "assistant",
    model,
    content: [{ type: "text", text: reply.chunks.join("") }],
    stop_reason: reply.stopReason ?? "end_turn",
    stop_sequence: reply.stopSequence ?? null,
    usage,
  });
}

function streamMessage(reply: Exclude<ScriptedReply, { kind: "error" | "hang" | "tool-use" }>, model: string, record: RecordedRequest, signal: AbortSignal) {
  const usage = { ...defaultUsage, ...("usage" in reply ? reply.usage : undefined) };
  const id = `msg_fake_${++messageCounter}`;
  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      const send = (event: string, data: unknown) => {
        if (!signal.aborted) controller.enqueue(sseFrame(event, data));
      };
      send("message_start", {
        type: "message_start",
        message: {
          id,
          type: "message",
          role: "assistant",
          model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: {
            input_tokens: usage.input_tokens,
            output_tokens: 1,
            cache_creation_input_tokens: usage.cache_creation_input_tokens ?? 0,
            cache_read_input_tokens: usage.cache_read_input_tokens ?? 0,
          },
        },
      });
      let index = 0;
      if (reply.kind === "text" && reply.thinking) {
        send("content_block_start", { type: "content_block_start", index, content_block: { type: "thinking", thinking: "", signature: "" } });
        send("content_block_delta", { type: "content_block_delta", index, delta: { type: "thinking_delta", thinking: reply.thinking } });
        send("content_block_delta", { type: "content_block_delta", index, delta: { type: "signature_delta", signature: "sig_fake" } });
        send("content_block_stop", { type: "content_block_stop", index });
        index++;
      }
      send("content_block_start", { type: "content_block_start", index, content_block: { type: "text", text: "" } });
      const pacedFrom = performance.now();
      for (const [position, chunk] of reply.chunks.entries()) {
        if (reply.kind === "text" && reply.delayMs) await sleep(reply.delayMs);
        if (reply.kind === "text" && reply.tokensPerSecond) {
          const due = pacedFrom + (position * 1000) / reply.tokensPerSecond - performance.now();
          if (due >= 1) await sleep(due);
        }
        send("content_block_delta", { type: "content_block_delta", index, delta: { type: "text_delta", text: chunk } });
      }
      if (reply.kind === "stall") {
        await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
        controller.close();
        return;
      }
      if (reply.kind === "sse-error") {
        send("error", { type: "error", error: { type: reply.errorType, message: reply.message } });
        record.completed = true;
        controller.close();
        return;
      }
      send("content_block_stop", { type: "content_block_stop", index });
      send("message_delta", {
        type: "message_delta",
        delta: { stop_reason: (reply.kind === "text" && reply.stopReason) || "end_turn", stop_sequence: (reply.kind === "text" && reply.stopSequence) || null },
        usage: { output_tokens: usage.output_tokens },
      });
      send("message_stop", { type: "message_stop" });
      record.completed = true;
      controller.close();
    },
  });
  return new Response(stream, {
    headers: { "content-type": "text/event-stream", "cache-control": "no-cache", "request-id": `req_${id}` },
  });
}

function streamToolUse(reply: Extract<ScriptedReply, { kind: "tool-use" }>, model: string, record: RecordedRequest) {
  const usage = { ...defaultUsage, ...reply.usage };
  const frames: Uint8Array[] = [];
  const send = (event: string, data: unknown) => frames.push(sseFrame(event, data));
  send("message_start", {
    type: "message_start",
    message: {
      id: `msg_fake_${++messageCounter}`,
      type: "message",
      role: "assistant",
      model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: usage.input_tokens, output_tokens: 1, cache_creation_input_tokens: usage.cache_creation_input_tokens ?? 0, cache_read_input_tokens: usage.cache_read_input_tokens ?? 0 },
    },
  });
  let index = 0;
  if (reply.text) {
    send("content_block_start", { type: "content_block_start", index, content_block: { type: "text", text: "" } });
    send("content_block_delta", { type: "content_block_delta", index, delta: { type: "text_delta", text: reply.text } });
    send("content_block_stop", { type: "content_block_stop", index });
    index++;
  }
  for (const call of reply.calls) {
    send("content_block_start", { type: "content_block_start", index, content_block: { type: "tool_use", id: call.id, name: call.name, input: {} } });
    const json = JSON.stringify(call.input);
    // Split the arguments like the API does, so clients see several fragments.
    const middle = Math.ceil(json.length / 2);
    for (const fragment of [json.slice(0, middle), json.slice(middle)]) {
      if (fragment) send("content_block_delta", { type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json: fragment } });
    }
    send("content_block_stop", { type: "content_block_stop", index });
    index++;
  }
  send("message_delta", { type: "message_delta", delta: { stop_reason: "tool_use", stop_sequence: null }, usage: { output_tokens: usage.output_tokens } });
  send("message_stop", { type: "message_stop" });
  record.completed = true;
  return new Response(new Blob(frames), { headers: { "content-type": "text/event-stream" } });
}

function rawReply(reply: Extract<ScriptedReply, { kind: "raw" }>, record: RecordedRequest, signal: AbortSignal) {
  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      for (const chunk of reply.chunks) {
        if (signal.aborted) return;
        if (reply.delayMs) await sleep(reply.delayMs);
        controller.enqueue(typeof chunk === "string" ? encoder.encode(chunk) : chunk);
      }
      record.completed = true;
      controller.close();
    },
  });
  return new Response(stream, { status: reply.status ?? 200, headers: reply.headers ?? { "content-type": "text/event-stream" } });
}
