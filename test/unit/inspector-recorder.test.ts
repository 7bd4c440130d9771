/**
 * The recorder's queue: a finished request is only queued, its entry built and stored by the writer later;
 * the duration is the request's, not the wait for the writer; a writer that falls behind drops bodies first,
 * then rows, and counts both.
 */
import { afterEach, expect, test } from "bun:test";
import type { RelayRequest } from "../../src/core/relay-request.ts";
import { InspectorRecorder } from "../../src/inspector/inspector-recorder.ts";
import { entryJson, RequestRecording } from "../../src/inspector/request-recording.ts";
import { RelayMetrics } from "../../src/server/metrics.ts";
import { InspectorStore } from "../../src/store/inspector-store.ts";
import { SqliteDatabase } from "../../src/store/sqlite-database.ts";
import { createLogger } from "../../src/util/logger.ts";
import { recordedAnswer, serveRecordedChat } from "../support/recorded-chat.ts";

const opened: InspectorRecorder[] = [];
afterEach(async () => {
  for (const recorder of opened.splice(0)) {
    await recorder.close();
  }
});

function startRecorder(options: { maxQueuedBodies?: number } = {}) {
  const store = new InspectorStore(SqliteDatabase.open(":memory:"));
  const metrics = new RelayMetrics(() => ({ active: 0, queued: 0 }));
  const recorder = new InspectorRecorder({
    store, capture: "all", bodyMaxBytes: 1 << 20, redactHeaders: [], retentionMs: 1e12, bodyRetentionMs: 1e12, maxBytes: 1e13, metrics,
    log: createLogger({ level: "error" }), flushIntervalMs: 60_000, pruneIntervalMs: 3_600_000, ...options,
  });
  opened.push(recorder);
  return { store, metrics, recorder };
}

const serve = (recorder: InspectorRecorder, id: string) => serveRecordedChat(recorder, id);
const answer = recordedAnswer;

test("a finished request is stored by the writer with its own duration, not the time it waited in the queue", async () => {
  const { store, recorder } = startRecorder();
  serve(recorder, "req_wait");
  await Bun.sleep(300);
  expect(await store.summaries(["req_wait"])).toEqual([]);
  await recorder.flush();
  const view = await store.get("req_wait");
  expect(view?.durationMs).toBeLessThan(250);
  expect(view?.usage?.outputTokens).toBe(3);
  expect(JSON.stringify(view?.bodies?.request)).toContain("[redacted:api-key]");
  expect(JSON.stringify(view?.bodies?.request)).not.toContain("a".repeat(32));
});

test("a writer that falls behind keeps the metadata of every request, the bodies of the first ones, and counts what it dropped", async () => {
  const { store, metrics, recorder } = startRecorder({ maxQueuedBodies: 2 });
  for (let index = 0; index < 10; index++) serve(recorder, `req_${index}`);
  await recorder.flush();
  const stored = await store.list({}, { limit: 20 });
  expect(stored.items.map((item) => item.id)).toEqual(["req_7", "req_6", "req_5", "req_4", "req_3", "req_2", "req_1", "req_0"]);
  expect((await store.get("req_1"))?.bodies?.request).toBeTruthy();
  const behind = await store.get("req_2");
  expect(behind?.bodies).toBeNull();
  expect(behind?.details.bodiesSkipped).toBe("writer-behind");
  expect(behind?.usage?.outputTokens).toBe(3);
  expect(metrics.inspectorDropped.get({ what: "bodies" })).toBe(6);
  expect(metrics.inspectorDropped.get({ what: "rows" })).toBe(2);
});

test("an entry crosses to the writer thread as the same JSON whether its bodies' text is reused or not (masked, capped and plain bodies)", async () => {
  const cases = [
    { name: "plain", body: { model: "sonnet", messages: [{ role: "user", content: "hello" }] }, maxBytes: 1 << 20 },
    { name: "a key in it", body: { model: "sonnet", messages: [{ role: "user", content: `key sk-${"b".repeat(40)}` }] }, maxBytes: 1 << 20 },
    { name: "over the cap", body: { model: "sonnet", messages: [{ role: "user", content: "x".repeat(5000) }] }, maxBytes: 2048 },
  ];
  for (const { name, body, maxBytes } of cases) {
    const request = new Request("http://relay/v1/chat/completions", { method: "POST" });
    const relayRequest = { model: "sonnet", stream: true, warnings: [], messages: [{ role: "user", content: [{ type: "text", text: body.messages[0].content }] }] } as unknown as RelayRequest;
    const recording = new RequestRecording({ request, requestId: `req_${name}`, route: "/v1/chat/completions", startedAt: performance.now(), relayRequest }, { headers: {}, clientKeyHash: null, remoteAddress: null, body, bodyMaxBytes: maxBytes });
    for (const event of answer) recording.event(event);
    recording.finished();
    const entry = await recording.toEntry({ status: 200 }, true);
    expect({ name, entry: JSON.parse(entryJson(entry)) }).toEqual({ name, entry: JSON.parse(JSON.stringify(entry)) });
    expect(JSON.stringify(entry.bodies!.request).includes("sk-bbbb")).toBe(false);
  }
});
