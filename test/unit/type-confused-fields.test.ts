/**
 * Fuzz-style: every field of a valid request, on all three protocols, replaced with each JSON type it is not
 * (and lists with [null] and [5]). Each is a 400 in the protocol's error shape naming that field (or the
 * part of it at fault), never a 500 from a TypeError, never a crash; the few replacements the real APIs
 * accept (null for a nullable field, ...) are listed and must answer 200.
 */
import { describe, expect, test } from "bun:test";
import { createApp } from "../../src/app.ts";
import { parseCommand } from "../../src/config.ts";
import { RelayMetrics } from "../../src/server/metrics.ts";
import { createLogger } from "../../src/util/logger.ts";
import { ScriptedBackend } from "../support/scripted-backend.ts";
import { finish, streamStart, textBlock } from "./relay-events.ts";

const png1x1 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";
const toolSchema = { type: "object", properties: { q: { type: "string" } } };

function makeApp() {
  const command = parseCommand(["--port", "0"], { HOME: "/nonexistent" });
  if (command.kind !== "serve") throw new Error("unexpected command");
  const log = createLogger({ level: "error", write: () => {} });
  const backend = new ScriptedBackend("scripted", [{ events: [streamStart(), ...textBlock("t", "fine"), finish()] }]);
  const metrics = new RelayMetrics(() => backend.load());
  return createApp({ config: command.config, backend, metrics, log, version: "test", startedAt: new Date(), disableIdleTimeout: () => {} });
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

interface ProtocolCase {
  path: string;
  headers: Record<string, string>;
  valid: Record<string, Json>;
  /** Subtrees whose inside is free-form JSON (a JSON Schema, a tool's input): the subtree itself is walked, not its inside. */
  opaque: string[];
  /** Fields whose null is refused for another field's sake: tools null leaves tool_choice naming no tool. */
  nullFaults: Record<string, string>;
  /** The parameter an error names, read from the protocol's error body; undefined when the body is not the protocol's shape. */
  namedParameter(body: any): string | undefined;
}

const protocols: Record<string, ProtocolCase> = {
  "OpenAI Chat Completions": {
    path: "/v1/chat/completions",
    headers: {},
    valid: {
      model: "sonnet",
      messages: [
        { role: "system", content: "be brief" },
        { role: "user", content: [{ type: "text", text: "look" }, { type: "image_url", image_url: { url: `data:image/png;base64,${png1x1}` } }], name: "ann" },
        { role: "assistant", content: "calling", tool_calls: [{ id: "call_1", type: "function", function: { name: "lookup", arguments: '{"q":"x"}' } }] },
        { role: "tool", tool_call_id: "call_1", content: [{ type: "text", text: "result" }] },
      ],
      tools: [{ type: "function", function: { name: "lookup", description: "looks up", parameters: toolSchema } }],
      tool_choice: { type: "function", function: { name: "lookup" } },
      parallel_tool_calls: true,
      max_completion_tokens: 100,
      temperature: 0.5,
      top_p: 1,
      stop: ["END"],
      stream: false,
      response_format: { type: "json_schema", json_schema: { name: "answer", schema: toolSchema } },
      reasoning_effort: "low",
      seed: 1,
      user: "user-1",
      metadata: { purpose: "test" },
    },
    opaque: ["tools.0.function.parameters", "response_format.json_schema.schema"],
    nullFaults: { tools: "tool_choice.function.name" },
    namedParameter: (body) => (typeof body?.error?.type === "string" && typeof body.error.message === "string" ? (body.error.param ?? undefined) : undefined),
  },
  "OpenAI Responses": {
    path: "/v1/responses",
    headers: {},
    valid: {
      model: "sonnet",
      instructions: "be brief",
      input: [
        { role: "developer", content: "use tools" },
        { type: "message", role: "user", content: [{ type: "input_text", text: "look" }, { type: "input_image", image_url: `data:image/png;base64,${png1x1}` }] },
        { type: "function_call", call_id: "call_1", name: "lookup", arguments: '{"q":"x"}' },
        { type: "function_call_output", call_id: "call_1", output: "result" },
      ],
      tools: [{ type: "function", name: "lookup", description: "looks up", parameters: toolSchema }],
      tool_choice: { type: "function", name: "lookup" },
      parallel_tool_calls: true,
      max_output_tokens: 100,
      temperature: 0.5,
      top_p: 1,
      text: { format: { type: "json_schema", name: "answer", schema: toolSchema } },
      reasoning: { effort: "low" },
      metadata: { purpose: "test" },
      include: ["message.output_text.logprobs"],
      store: false,
      stream: false,
      user: "user-1",
    },
    opaque: ["tools.0.parameters", "text.format.schema"],
    nullFaults: { tools: "tool_choice.name" },
    namedParameter: (body) => (typeof body?.error?.type === "string" && typeof body.error.message === "string" ? (body.error.param ?? undefined) : undefined),
  },
  "Anthropic Messages": {
    path: "/v1/messages",
    headers: { "anthropic-version": "2023-06-01" },
    valid: {
      model: "sonnet",
      max_tokens: 2048,
      system: [{ type: "text", text: "be brief" }],
      messages: [
        { role: "user", content: [{ type: "text", text: "look" }, { type: "image", source: { type: "base64", media_type: "image/png", data: png1x1 } }] },
        { role: "assistant", content: [{ type: "text", text: "calling" }, { type: "tool_use", id: "toolu_1", name: "lookup", input: { q: "x" } }] },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: [{ type: "text", text: "result" }] }] },
      ],
      tools: [{ name: "lookup", description: "looks up", input_schema: toolSchema }],
      tool_choice: { type: "auto" },
      temperature: 0.5,
      top_k: 5,
      stop_sequences: ["END"],
      stream: false,
      thinking: { type: "enabled", budget_tokens: 1024 },
      metadata: { user_id: "user-1" },
    },
    opaque: ["tools.0.input_schema", "messages.1.content.1.input"],
    nullFaults: {},
    // The Anthropic API names the parameter at the start of its message: "messages.0.content: ...".
    namedParameter: (body) => (body?.type === "error" && body.error?.type === "invalid_request_error" ? /^([\w.]+):/.exec(body.error.message)?.[1] : undefined),
  },
};

/** One value of each JSON type, and lists holding a wrong element. */
const replacements: Json[] = [null, true, 7, "x", [], {}, [null], [5]];

const jsonType = (value: Json) => (value === null ? "null" : Array.isArray(value) ? "array" : typeof value);

function* fieldPaths(value: Json, opaque: string[], prefix = ""): Generator<string> {
  if (value === null || typeof value !== "object") return;
  for (const [key, child] of Object.entries(value)) {
    const path = prefix ? `${prefix}.${key}` : key;
    yield path;
    if (!opaque.includes(path)) yield* fieldPaths(child, opaque, path);
  }
}

function replaced(value: Json, path: string, replacement: Json): Json {
  const copy = structuredClone(value) as Record<string, Json>;
  const keys = path.split(".");
  let parent: any = copy;
  for (const key of keys.slice(0, -1)) parent = parent[key];
  parent[keys.at(-1)!] = replacement;
  return copy;
}

const get = (value: Json, path: string): Json => path.split(".").reduce((current: any, key) => current?.[key], value);

/**
 * The replacements that leave a request the real API accepts, so a 200 is right: null for an optional
 * parameter where the OpenAI API takes null for "not given", and a string or an empty list where content may
 * be either. Every other replacement must be a 400 (tools: null too on OpenAI, where tool_choice names a tool).
 */
const acceptedMutations: Record<string, (path: string, replacement: Json) => boolean> = {
  "OpenAI Chat Completions": (path, replacement) =>
    (replacement === null && (!path.includes(".") ? !["model", "messages", "tools"].includes(path) : path === "messages.2.content")) ||
    ((replacement === "x" || (Array.isArray(replacement) && replacement.length === 0)) && /^(messages\.\d+\.content|stop)$/.test(path)),
  "OpenAI Responses": (path, replacement) =>
    (replacement === null &&
      (!path.includes(".") ? !["model", "input", "tools"].includes(path) : ["reasoning.effort", "text.format", "tools.0.description", "tools.0.parameters"].includes(path))) ||
    ((replacement === "x" || (Array.isArray(replacement) && replacement.length === 0)) && /^(input|input\.\d+\.content|input\.3\.output)$/.test(path)),
  "Anthropic Messages": (path, replacement) =>
    (replacement === null && (path === "metadata.user_id" || path === "tools")) ||
    (replacement === "x" && /^(system|messages\.\d+\.content|messages\.2\.content\.0\.content)$/.test(path)),
};

describe("type-confused fields are a 400 naming the field, never a 500", () => {
  const app = makeApp();
  for (const [name, protocol] of Object.entries(protocols)) {
    test(name, async () => {
      const send = async (body: Json) =>
        app.handle(
          new Request(`http://127.0.0.1${protocol.path}`, {
            method: "POST",
            headers: { "content-type": "application/json", host: "127.0.0.1", ...protocol.headers },
            body: JSON.stringify(body),
          }),
        );
      const baseline = await send(protocol.valid);
      expect({ status: baseline.status, body: baseline.status === 200 ? "" : await baseline.text() }).toEqual({ status: 200, body: "" });

      const problems: string[] = [];
      for (const path of fieldPaths(protocol.valid, protocol.opaque)) {
        const original = get(protocol.valid, path);
        for (const replacement of replacements) {
          const sameType = jsonType(replacement) === jsonType(original) && !(Array.isArray(replacement) && replacement.length > 0);
          if (sameType) continue;
          const response = await send(replaced(protocol.valid, path, replacement));
          const text = await response.text();
          let body: any;
          try {
            body = JSON.parse(text);
          } catch {
            body = undefined;
          }
          const label = `${path} = ${JSON.stringify(replacement)}`;
          const accepted = acceptedMutations[name]?.(path, replacement) ?? false;
          if (accepted) {
            if (response.status !== 200) problems.push(`${label}: ${response.status} ${text.slice(0, 200)}, expected 200`);
            continue;
          }
          if (response.status !== 400) {
            problems.push(`${label}: ${response.status} ${text.slice(0, 200)}`);
            continue;
          }
          const parameter = protocol.namedParameter(body);
          if (parameter === undefined) problems.push(`${label}: 400 not in the protocol's shape or without the parameter: ${text.slice(0, 200)}`);
          else if (replacement === null && protocol.nullFaults[path]) {
            if (parameter !== protocol.nullFaults[path]) problems.push(`${label}: names ${parameter}, expected ${protocol.nullFaults[path]}`);
          } else if (parameter !== path && !parameter.startsWith(`${path}.`)) problems.push(`${label}: names ${parameter}`);
        }
      }
      expect(problems).toEqual([]);
    }, 60_000);
  }
});

describe("out-of-range numbers are a 400 naming the parameter", () => {
  const app = makeApp();
  const chat = { model: "sonnet", messages: [{ role: "user", content: "hi" }] };
  const responses = { model: "sonnet", input: "hi" };
  const anthropic = { model: "sonnet", max_tokens: 2048, messages: [{ role: "user", content: "hi" }] };
  const cases: Array<{ protocol: keyof typeof protocols; body: Record<string, Json>; param: string }> = [
    { protocol: "OpenAI Chat Completions", body: { ...chat, temperature: 2.5 }, param: "temperature" },
    { protocol: "OpenAI Chat Completions", body: { ...chat, top_p: 1.5 }, param: "top_p" },
    { protocol: "OpenAI Chat Completions", body: { ...chat, n: 0 }, param: "n" },
    { protocol: "OpenAI Chat Completions", body: { ...chat, max_tokens: 0 }, param: "max_tokens" },
    { protocol: "OpenAI Chat Completions", body: { ...chat, max_completion_tokens: -1 }, param: "max_completion_tokens" },
    { protocol: "OpenAI Chat Completions", body: { ...chat, presence_penalty: 3 }, param: "presence_penalty" },
    { protocol: "OpenAI Chat Completions", body: { ...chat, frequency_penalty: -2.5 }, param: "frequency_penalty" },
    { protocol: "OpenAI Chat Completions", body: { ...chat, logprobs: true, top_logprobs: 21 }, param: "top_logprobs" },
    { protocol: "OpenAI Responses", body: { ...responses, temperature: 3 }, param: "temperature" },
    { protocol: "OpenAI Responses", body: { ...responses, max_output_tokens: 0 }, param: "max_output_tokens" },
    { protocol: "OpenAI Responses", body: { ...responses, top_logprobs: -1 }, param: "top_logprobs" },
    { protocol: "OpenAI Responses", body: { ...responses, max_tool_calls: 0 }, param: "max_tool_calls" },
    { protocol: "Anthropic Messages", body: { ...anthropic, temperature: 1.5 }, param: "temperature" },
    { protocol: "Anthropic Messages", body: { ...anthropic, top_k: -1 }, param: "top_k" },
    { protocol: "Anthropic Messages", body: { ...anthropic, max_tokens: 0 }, param: "max_tokens" },
    { protocol: "Anthropic Messages", body: { ...anthropic, thinking: { type: "enabled", budget_tokens: 0 } }, param: "thinking.budget_tokens" },
    { protocol: "Anthropic Messages", body: { ...anthropic, thinking: { type: "enabled", budget_tokens: 500 } }, param: "thinking.budget_tokens" },
    { protocol: "Anthropic Messages", body: { ...anthropic, thinking: { type: "enabled", budget_tokens: 4096 } }, param: "thinking.budget_tokens" },
  ];
  for (const { protocol: name, body, param } of cases) {
    test(`${name}: ${JSON.stringify(body).slice(JSON.stringify(name === "OpenAI Responses" ? responses : name === "Anthropic Messages" ? anthropic : chat).length - 1)}`, async () => {
      const protocol = protocols[name]!;
      const response = await app.handle(
        new Request(`http://127.0.0.1${protocol.path}`, {
          method: "POST",
          headers: { "content-type": "application/json", host: "127.0.0.1", ...protocol.headers },
          body: JSON.stringify(body),
        }),
      );
      expect(response.status).toBe(400);
      expect(protocol.namedParameter(await response.json())).toBe(param);
    });
  }
});
