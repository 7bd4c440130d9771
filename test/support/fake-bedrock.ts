/**
 * A scripted fake of the Bedrock runtime API: InvokeModel, InvokeModelWithResponseStream (the binary AWS event
 * stream, Anthropic events base64-wrapped in `chunk` frames), Converse and ConverseStream. It VERIFIES every
 * request's authorisation: a Bedrock API key as Bearer, or a SigV4 signature recomputed here independently of
 * the signing library the relay uses (a wrong canonical path, header or body hash is a 403, as on AWS).
 */
import { createHash, createHmac } from "node:crypto";
import { encodeAwsEventStreamMessage } from "../../src/backends/bedrock/aws-event-stream.ts";

export interface FakeBedrockUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens?: number;
  cache_read_input_tokens?: number;
}

export type FakeBedrockReply =
  | { kind: "text"; chunks: string[]; thinking?: { text: string; signature: string }; usage?: FakeBedrockUsage; stopReason?: string; delayMs?: number }
  | { kind: "tool-use"; calls: Array<{ id: string; name: string; input: unknown }>; text?: string; usage?: FakeBedrockUsage }
  /** An HTTP error as AWS sends it: x-amzn-ErrorType and a JSON body with `message`. */
  | { kind: "error"; status: number; errorType: string; message: string }
  /** Some text, then an exception frame in the event stream. */
  | { kind: "exception"; chunks: string[]; exceptionType: string; message: string }
  | { kind: "hang" };

export interface FakeBedrockRequest {
  operation: string;
  /** The model id as decoded from the path. */
  modelId: string;
  /** The raw (still encoded) path. */
  rawPath: string;
  headers: Record<string, string>;
  body: any;
  auth: { kind: "bearer"; token: string } | { kind: "sigv4"; accessKeyId: string; sessionToken?: string };
}

export interface FakeBedrockOptions {
  region?: string;
  bearerTokens?: string[];
  /** Access key id -> secret (and the session token it requires, if any). */
  credentials?: Record<string, { secretAccessKey: string; sessionToken?: string }>;
}

export interface FakeBedrock {
  url: string;
  requests: FakeBedrockRequest[];
  /** Requests refused for their authorisation, with the reason. */
  rejected: Array<{ rawPath: string; reason: string }>;
  enqueue(...replies: FakeBedrockReply[]): void;
  /** The reply when the queue is empty, or a function choosing it from the request body. */
  setDefault(reply: FakeBedrockReply | ((body: any) => FakeBedrockReply)): void;
  reset(): void;
  stop(): Promise<void>;
}

const defaultUsage: FakeBedrockUsage = { input_tokens: 21, output_tokens: 9, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let messageCounter = 0;

export function startFakeBedrock(options: FakeBedrockOptions = {}): FakeBedrock {
  const region = options.region ?? "us-east-1";
  const queue: FakeBedrockReply[] = [];
  let defaultReply: FakeBedrockReply | ((body: any) => FakeBedrockReply) = { kind: "text", chunks: ["Hello from ", "fake Bedrock!"] };
  const requests: FakeBedrockRequest[] = [];
  const rejected: FakeBedrock["rejected"] = [];

  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    idleTimeout: 0,
    async fetch(request) {
      const url = new URL(request.url);
      const rawBody = await request.text();
      const headers: Record<string, string> = {};
      request.headers.forEach((value, key) => (headers[key] = value));
      const match = /^\/model\/([^/]+)\/(invoke|invoke-with-response-stream|converse|converse-stream)$/.exec(url.pathname);
      if (request.method !== "POST" || !match) return awsError(404, "UnknownOperationException", "unknown operation");
      const verdict = verifyAuthorization({ method: request.method, url, headers, rawBody, region, options });
      if ("reason" in verdict) {
        rejected.push({ rawPath: url.pathname, reason: verdict.reason });
        return awsError(403, verdict.errorType, verdict.reason);
      }
      const operation = match[2]!;
      const modelId = decodeURIComponent(match[1]!);
      let body: any;
      try {
        body = JSON.parse(rawBody);
      } catch {
        return awsError(400, "ValidationException", "Malformed input request, please reformat your input and try again.");
      }
      requests.push({ operation, modelId, rawPath: url.pathname, headers, body, auth: verdict.auth });
      const reply = queue.shift() ?? (typeof defaultReply === "function" ? defaultReply(body) : defaultReply);
      return respond({ reply, operation, modelId, signal: request.signal });
    },
  });

  return {
    url: `http://127.0.0.1:${server.port}`,
    requests,
    rejected,
    enqueue: (...replies) => queue.push(...replies),
    setDefault: (reply) => (defaultReply = reply),
    reset() {
      queue.length = 0;
      requests.length = 0;
      rejected.length = 0;
    },
    stop: () => server.stop(true),
  };
}

function awsError(status: number, errorType: string, message: string): Response {
  return Response.json(
    { message },
    { status, headers: { "x-amzn-errortype": `${errorType}:http://internal.amazon.com/coral/com.amazon.bedrock/`, "x-amzn-requestid": crypto.randomUUID() } },
  );
}

type Verdict = { auth: FakeBedrockRequest["auth"] } | { reason: string; errorType: string };

function verifyAuthorization(input: { method: string; url: URL; headers: Record<string, string>; rawBody: string; region: string; options: FakeBedrockOptions }): Verdict {
  const authorization = input.headers.authorization ?? "";
  if (authorization.startsWith("Bearer ")) {
    const token = authorization.slice("Bearer ".length);
    if (input.options.bearerTokens?.includes(token)) return { auth: { kind: "bearer", token } };
    return { reason: "Invalid API Key format: Must start with pre-defined prefix", errorType: "UnrecognizedClientException" };
  }
  const parsed = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(authorization);
  if (!parsed) return { reason: "Missing Authentication Token", errorType: "MissingAuthenticationTokenException" };
  const [, accessKeyId, date, region, service, signedHeaderList, signature] = parsed as unknown as string[];
  const known = input.options.credentials?.[accessKeyId!];
  if (!known) return { reason: "The security token included in the request is invalid.", errorType: "UnrecognizedClientException" };
  if (region !== input.region || service !== "bedrock") return { reason: `Credential should be scoped to a valid region/service, not ${region}/${service}`, errorType: "InvalidSignatureException" };
  if (known.sessionToken && input.headers["x-amz-security-token"] !== known.sessionToken) {
    return { reason: "The security token included in the request is invalid.", errorType: "UnrecognizedClientException" };
  }
  const signedHeaders = signedHeaderList!.split(";");
  for (const required of ["host", "x-amz-date"]) {
    if (!signedHeaders.includes(required)) return { reason: `${required} must be signed`, errorType: "InvalidSignatureException" };
  }
  const amzDate = input.headers["x-amz-date"] ?? "";
  if (!amzDate.startsWith(date!)) return { reason: "date mismatch", errorType: "InvalidSignatureException" };
  const payloadHash = sha256Hex(input.rawBody);
  if (input.headers["x-amz-content-sha256"] && input.headers["x-amz-content-sha256"] !== payloadHash) {
    return { reason: "The provided x-amz-content-sha256 header does not match what was computed.", errorType: "InvalidSignatureException" };
  }
  const canonicalRequest = [
    input.method,
    canonicalPath(input.url.pathname),
    canonicalQuery(input.url.searchParams),
    signedHeaders.map((name) => `${name}:${(input.headers[name] ?? "").trim().replace(/\s+/g, " ")}\n`).join(""),
    signedHeaderList,
    payloadHash,
  ].join("\n");
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256Hex(canonicalRequest)].join("\n");
  let key: Buffer = createHmac("sha256", `AWS4${known.secretAccessKey}`).update(date!).digest();
  for (const part of [region!, service!, "aws4_request"]) key = createHmac("sha256", key).update(part).digest();
  const expected = createHmac("sha256", key).update(stringToSign).digest("hex");
  if (expected !== signature) {
    return { reason: "The request signature we calculated does not match the signature you provided.", errorType: "InvalidSignatureException" };
  }
  return { auth: { kind: "sigv4", accessKeyId: accessKeyId!, sessionToken: input.headers["x-amz-security-token"] } };
}

/** AWS encodes each segment of the (already encoded) path once more, for every service but S3. */
function canonicalPath(path: string): string {
  return path.split("/").map((segment) => strictEncode(segment)).join("/");
}

function canonicalQuery(parameters: URLSearchParams): string {
  return [...parameters.entries()]
    .map(([key, value]) => [strictEncode(key), strictEncode(value)])
    .sort(([a], [b]) => (a! < b! ? -1 : a! > b! ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`)
    .join("&");
}

function strictEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`);
}

function sha256Hex(value: string): string {
  return createHash("sha256").update(value).digest("hex");
}

/** The Anthropic stream events for a scripted reply (what Claude on Bedrock sends inside `chunk` frames). */
export function anthropicEventsFor(reply: Exclude<FakeBedrockReply, { kind: "error" | "hang" }>, model: string): Array<Record<string, any>> {
  const usage = { ...defaultUsage, ...("usage" in reply ? reply.usage : undefined) };
  const events: Array<Record<string, any>> = [];
  events.push({
    type: "message_start",
    message: {
      id: `msg_bdrk_${++messageCounter}`,
      type: "message",
      role: "assistant",
      model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: usage.input_tokens, cache_creation_input_tokens: usage.cache_creation_input_tokens ?? 0, cache_read_input_tokens: usage.cache_read_input_tokens ?? 0, output_tokens: 1 },
    },
  });
  let index = 0;
  if (reply.kind === "text" && reply.thinking) {
    events.push({ type: "content_block_start", index, content_block: { type: "thinking", thinking: "", signature: "" } });
    events.push({ type: "content_block_delta", index, delta: { type: "thinking_delta", thinking: reply.thinking.text } });
    events.push({ type: "content_block_delta", index, delta: { type: "signature_delta", signature: reply.thinking.signature } });
    events.push({ type: "content_block_stop", index });
    index++;
  }
  const text = reply.kind === "tool-use" ? (reply.text ? [reply.text] : []) : reply.chunks;
  if (text.length > 0) {
    events.push({ type: "content_block_start", index, content_block: { type: "text", text: "" } });
    for (const chunk of text) events.push({ type: "content_block_delta", index, delta: { type: "text_delta", text: chunk } });
    if (reply.kind === "exception") return events;
    events.push({ type: "content_block_stop", index });
    index++;
  }
  if (reply.kind === "tool-use") {
    for (const call of reply.calls) {
      events.push({ type: "content_block_start", index, content_block: { type: "tool_use", id: call.id, name: call.name, input: {} } });
      const json = JSON.stringify(call.input);
      const middle = Math.ceil(json.length / 2);
      for (const fragment of [json.slice(0, middle), json.slice(middle)]) {
        if (fragment) events.push({ type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json: fragment } });
      }
      events.push({ type: "content_block_stop", index });
      index++;
    }
  }
  const stopReason = reply.kind === "tool-use" ? "tool_use" : reply.kind === "text" ? (reply.stopReason ?? "end_turn") : "end_turn";
  events.push({ type: "message_delta", delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: usage.output_tokens } });
  events.push({
    type: "message_stop",
    "amazon-bedrock-invocationMetrics": {
      inputTokenCount: usage.input_tokens,
      outputTokenCount: usage.output_tokens,
      invocationLatency: 42,
      firstByteLatency: 7,
      cacheReadInputTokenCount: usage.cache_read_input_tokens ?? 0,
      cacheWriteInputTokenCount: usage.cache_creation_input_tokens ?? 0,
    },
  });
  return events;
}

/** The complete message that InvokeModel answers with, folded from the same events. */
function anthropicMessageFor(reply: Extract<FakeBedrockReply, { kind: "text" | "tool-use" }>, model: string) {
  const usage = { ...defaultUsage, ...reply.usage };
  const content: Array<Record<string, unknown>> = [];
  if (reply.kind === "text") {
    if (reply.thinking) content.push({ type: "thinking", thinking: reply.thinking.text, signature: reply.thinking.signature });
    content.push({ type: "text", text: reply.chunks.join("") });
  } else {
    if (reply.text) content.push({ type: "text", text: reply.text });
    for (const call of reply.calls) content.push({ type: "tool_use", id: call.id, name: call.name, input: call.input });
  }
  return {
    id: `msg_bdrk_${++messageCounter}`,
    type: "message",
    role: "assistant",
    model,
    content,
    stop_reason: reply.kind === "tool-use" ? "tool_use" : (reply.stopReason ?? "end_turn"),
    stop_sequence: null,
    usage,
  };
}

function eventFrame(eventType: string, payload: unknown): Uint8Array {
  return encodeAwsEventStreamMessage({
    headers: { ":event-type": eventType, ":content-type": "application/json", ":message-type": "event" },
    payload: JSON.stringify(payload),
  });
}

function exceptionFrame(exceptionType: string, message: string): Uint8Array {
  return encodeAwsEventStreamMessage({
    headers: { ":exception-type": exceptionType, ":content-type": "application/json", ":message-type": "exception" },
    payload: JSON.stringify({ message }),
  });
}

function respond(input: { reply: FakeBedrockReply; operation: string; modelId: string; signal: AbortSignal }): Response {
  const { reply, operation, modelId } = input;
  const model = "claude-sonnet-4-5-20250929";
  switch (reply.kind) {
    case "hang":
      return new Promise<Response>(() => {}) as unknown as Response;
    case "error":
      return awsError(reply.status, reply.errorType, reply.message);
    case "text":
    case "tool-use":
    case "exception":
      break;
    default: {
      const unreachable: never = reply;
      throw new Error(`unknown reply ${JSON.stringify(unreachable)}`);
    }
  }
  const isConverse = operation.startsWith("converse");
  const isStream = operation.endsWith("stream");
  if (!isStream) {
    if (reply.kind === "exception") return awsError(500, reply.exceptionType, reply.message);
    if (isConverse) return Response.json(converseResponseFor(reply));
    const message = anthropicMessageFor(reply, model);
    return Response.json(message, {
      headers: {
        "x-amzn-bedrock-input-token-count": String(message.usage.input_tokens),
        "x-amzn-bedrock-output-token-count": String(message.usage.output_tokens),
        "x-amzn-bedrock-invocation-latency": "42",
      },
    });
  }
  const frames: Array<() => Uint8Array> = isConverse
    ? converseEventsFor(reply).map(([type, payload]) => () => eventFrame(type, payload))
    : anthropicEventsFor(reply, model).map((event) => () => eventFrame("chunk", { bytes: Buffer.from(JSON.stringify(event)).toString("base64"), p: "abcdefghij".slice(0, 1 + (messageCounter % 9)) }));
  if (reply.kind === "exception") frames.push(() => exceptionFrame(reply.exceptionType, reply.message));
  const delayMs = reply.kind === "text" ? (reply.delayMs ?? 0) : 0;
  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      for (const frame of frames) {
        if (input.signal.aborted) break;
        if (delayMs) await sleep(delayMs);
        controller.enqueue(frame());
      }
      controller.close();
    },
  });
  void modelId;
  return new Response(stream, { headers: { "content-type": "application/vnd.amazon.eventstream", "x-amzn-requestid": crypto.randomUUID() } });
}

function converseResponseFor(reply: Extract<FakeBedrockReply, { kind: "text" | "tool-use" }>) {
  const usage = { ...defaultUsage, ...reply.usage };
  const content: Array<Record<string, unknown>> = [];
  if (reply.kind === "text") content.push({ text: reply.chunks.join("") });
  else {
    if (reply.text) content.push({ text: reply.text });
    for (const call of reply.calls) content.push({ toolUse: { toolUseId: call.id, name: call.name, input: call.input } });
  }
  return {
    output: { message: { role: "assistant", content } },
    stopReason: reply.kind === "tool-use" ? "tool_use" : "end_turn",
    usage: { inputTokens: usage.input_tokens, outputTokens: usage.output_tokens, totalTokens: usage.input_tokens + usage.output_tokens, cacheReadInputTokens: usage.cache_read_input_tokens ?? 0, cacheWriteInputTokens: usage.cache_creation_input_tokens ?? 0 },
    metrics: { latencyMs: 42 },
  };
}

function converseEventsFor(reply: Exclude<FakeBedrockReply, { kind: "error" | "hang" }>): Array<[string, unknown]> {
  const usage = { ...defaultUsage, ...("usage" in reply ? reply.usage : undefined) };
  const events: Array<[string, unknown]> = [["messageStart", { role: "assistant" }]];
  let index = 0;
  const text = reply.kind === "tool-use" ? (reply.text ? [reply.text] : []) : reply.chunks;
  if (text.length > 0) {
    for (const chunk of text) events.push(["contentBlockDelta", { contentBlockIndex: index, delta: { text: chunk } }]);
    if (reply.kind === "exception") return events;
    events.push(["contentBlockStop", { contentBlockIndex: index }]);
    index++;
  }
  if (reply.kind === "tool-use") {
    for (const call of reply.calls) {
      events.push(["contentBlockStart", { contentBlockIndex: index, start: { toolUse: { toolUseId: call.id, name: call.name } } }]);
      events.push(["contentBlockDelta", { contentBlockIndex: index, delta: { toolUse: { input: JSON.stringify(call.input) } } }]);
      events.push(["contentBlockStop", { contentBlockIndex: index }]);
      index++;
    }
  }
  events.push(["messageStop", { stopReason: reply.kind === "tool-use" ? "tool_use" : "end_turn" }]);
  events.push([
    "metadata",
    {
      usage: { inputTokens: usage.input_tokens, outputTokens: usage.output_tokens, totalTokens: usage.input_tokens + usage.output_tokens, cacheReadInputTokens: usage.cache_read_input_tokens ?? 0, cacheWriteInputTokens: usage.cache_creation_input_tokens ?? 0 },
      metrics: { latencyMs: 42 },
    },
  ]);
  return events;
}
