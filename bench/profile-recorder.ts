/**
 * The recorder's own CPU per request, in process: observe, the events of a streamed answer, finish, and the
 * writer's share (building the entry, compaction, SQLite), for a small chat request and a 60-turn Claude
 * Code-shaped one. Tells where the capture's cost goes; the end-to-end comparison is bench/inspector.ts.
 *
 *   node_modules/.bin/bun bench/profile-recorder.ts [--requests N]
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { InspectorRecorder } from "../src/inspector/inspector-recorder.ts";
import { rememberRequestBody } from "../src/server/request-body.ts";
import { RelayMetrics } from "../src/server/metrics.ts";
import { InspectorStore } from "../src/store/inspector-store.ts";
import { SqliteDatabase } from "../src/store/sqlite-database.ts";
import type { RelayEvent } from "../src/core/relay-event.ts";
import type { RelayRequest } from "../src/core/relay-request.ts";
import { createLogger } from "../src/util/logger.ts";

const { values } = parseArgs({ options: { requests: { type: "string", default: "300" } } });
const requests = Number(values.requests);
const home = mkdtempSync(join(os.tmpdir(), "agent-relay-recorder-profile-"));

function smallBody() {
  return { model: "sonnet", stream: true, messages: [{ role: "system", content: "You are terse. ".repeat(200) }, { role: "user", content: "Say hello." }] };
}

function agentBody(turns: number) {
  const messages: any[] = [{ role: "user", content: [{ type: "text", text: "Refactor the parser module." }] }];
  for (let turn = 1; turn < turns; turn++) {
    messages.push({ role: "assistant", content: [{ type: "text", text: `Step ${turn}.` }, { type: "tool_use", id: `toolu_${turn}`, name: "Read", input: { path: `src/file-${turn}.ts` } }] });
    messages.push({ role: "user", content: [{ type: "tool_result", tool_use_id: `toolu_${turn}`, content: `export const value${turn} = ${turn};\n`.repeat(40) }] });
  }
  const tools = Array.from({ length: 30 }, (_, index) => ({ name: `Tool${index}`, description: "A tool that does a specific thing well. ".repeat(20), input_schema: { type: "object" } }));
  return { model: "opus", max_tokens: 32000, stream: true, system: [{ type: "text", text: "Follow the instructions carefully. ".repeat(430) }], tools, messages };
}

function relayRequestOf(body: any): RelayRequest {
  const messages = (body.messages as any[]).map((message) => ({
    role: message.role,
    content: typeof message.content === "string" ? [{ type: "text", text: message.content }] : message.content.map((part: any) => (part.type === "text" ? part : { type: "text", text: JSON.stringify(part) })),
  }));
  return { model: body.model, stream: true, messages, warnings: [], tools: [] } as unknown as RelayRequest;
}

const answer: RelayEvent[] = [
  { type: "stream-start", model: "claude-sonnet-4-5" } as RelayEvent,
  ...Array.from({ length: 40 }, (_, index) => ({ type: "text-delta", id: "t0", delta: `word${index} ` }) as unknown as RelayEvent),
  { type: "finish", model: "claude-sonnet-4-5", usage: { inputTokens: 100, outputTokens: 40, cacheReadInputTokens: 0, cacheCreationInputTokens: 0 }, finishReason: { unified: "stop", raw: "end_turn" } } as unknown as RelayEvent,
];

async function measure(name: string, body: () => any) {
  const store = new InspectorStore(SqliteDatabase.open(join(home, `${name}.sqlite`)));
  const log = createLogger({ level: "error" });
  const recorder = new InspectorRecorder({ store, capture: "all", bodyMaxBytes: 1 << 20, redactHeaders: [], retentionMs: 1e12, bodyRetentionMs: 1e12, maxBytes: 1e13, metrics: new RelayMetrics(() => ({ active: 0, queued: 0 })), log, flushIntervalMs: 1e9 });
  const prepared = Array.from({ length: requests }, (_, index) => {
    const parsed = body();
    const request = new Request("http://relay/v1/chat/completions", { method: "POST", headers: { authorization: "Bearer sk-test", "user-agent": "bench", "x-claude-code-session-id": `s${index % 7}` } });
    rememberRequestBody(request, parsed);
    return { request, relayRequest: relayRequestOf(parsed) };
  });
  const onPath: number[] = [];
  const started = performance.now();
  for (const [index, { request, relayRequest }] of prepared.entries()) {
    const begin = performance.now();
    const observation = recorder.observe({ request, requestId: `req_${name}_${index}`, route: "/v1/chat/completions", startedAt: performance.now(), relayRequest });
    for (const event of answer) observation!.event(event);
    observation!.finish({ status: 200 });
    onPath.push(performance.now() - begin);
    // The microtasks queued by finish run here, as they would before the next request's turn.
    await Promise.resolve();
  }
  const pathTotal = performance.now() - started;
  const flushStarted = performance.now();
  await recorder.flush();
  const flushMs = performance.now() - flushStarted;
  onPath.sort((a, b) => a - b);
  console.log(`${name}: on the request path p50 ${onPath[Math.floor(requests / 2)].toFixed(3)} ms (loop incl. microtasks ${(pathTotal / requests).toFixed(3)} ms/request); writer ${(flushMs / requests).toFixed(3)} ms/request`);
  await recorder.close();
  await store.database.close();
}

try {
  await measure("chat", smallBody);
  if (!process.env.CHAT_ONLY) await measure("agent-60-turns", () => agentBody(60));
} finally {
  rmSync(home, { recursive: true, force: true });
}
