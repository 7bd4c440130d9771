/**
 * The inspector's writer thread: captured requests stored by the worker on its own connection are read back
 * through the relay's connection (SQLite in a data directory, and PostgreSQL); writes on the relay's own
 * connection (starring) wait for the worker's short transactions instead of failing; a writer that falls
 * behind still drops bodies before anything waits, and counts them.
 */
import { afterAll, afterEach, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InspectorRecorder } from "../../src/inspector/inspector-recorder.ts";
import { WorkerInspectorWriter, writeInThisThread, type WriterTarget } from "../../src/inspector/inspector-writer.ts";
import { RelayMetrics } from "../../src/server/metrics.ts";
import { InspectorStore } from "../../src/store/inspector-store.ts";
import { openRelayDatabase } from "../../src/store/open-relay-database.ts";
import { createLogger } from "../../src/util/logger.ts";
import { findPostgresBin, startPostgresServer, type PostgresServer } from "../support/postgres-server.ts";
import { serveRecordedChat } from "../support/recorded-chat.ts";

const workerUrl = new URL("../../src/inspector/inspector-writer-worker.ts", import.meta.url);
const postgresAvailable = findPostgresBin() !== undefined || process.env.CI === "true";
let postgres: PostgresServer | undefined;
const cleanup: Array<() => Promise<void> | void> = [];

beforeAll(async () => {
  if (postgresAvailable) postgres = await startPostgresServer();
}, 120_000);
afterAll(async () => {
  await postgres?.stop();
});
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function startRecorder(target: WriterTarget, options: { maxQueuedBodies?: number } = {}) {
  const database = await openRelayDatabase(target);
  const store = new InspectorStore(database);
  const writer = await WorkerInspectorWriter.start({ workerUrl, target, fallback: writeInThisThread(store) });
  const metrics = new RelayMetrics(() => ({ active: 0, queued: 0 }));
  const recorder = new InspectorRecorder({
    store, writer, capture: "all", bodyMaxBytes: 1 << 20, redactHeaders: [], retentionMs: 1e12, bodyRetentionMs: 1e12, maxBytes: 1e13, metrics,
    log: createLogger({ level: "error" }), flushIntervalMs: 60_000, pruneIntervalMs: 3_600_000, ...options,
  });
  cleanup.push(async () => {
    await recorder.close();
    await database.close();
  });
  return { store, metrics, recorder };
}

function sqliteTarget(): WriterTarget {
  const dataDir = mkdtempSync(join(tmpdir(), "agent-relay-writer-thread-"));
  cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
  return { dataDir };
}

const serve = (recorder: InspectorRecorder, id: string) => serveRecordedChat(recorder, id, { system: "You are terse. ".repeat(40) });

async function expectStoredThroughTheThread(target: WriterTarget) {
  const { store, recorder } = await startRecorder(target);
  for (let index = 0; index < 25; index++) serve(recorder, `req_${index}`);
  await recorder.flush();
  const stored = await store.list({}, { limit: 50 });
  expect(stored.items).toHaveLength(25);
  const view = await store.get("req_7");
  expect(view?.usage?.outputTokens).toBe(3);
  expect(JSON.stringify(view?.bodies?.request)).toContain("[redacted:api-key]");
  expect(JSON.stringify(view?.bodies?.request)).toContain("You are terse.");
  expect(view?.hasBody).toBe(true);
}

test("requests captured on SQLite are stored by the writer thread and read through the relay's connection", async () => {
  await expectStoredThroughTheThread(sqliteTarget());
});

test.skipIf(!postgresAvailable)("requests captured on PostgreSQL are stored by the writer thread and read through the relay's connection", async () => {
  await expectStoredThroughTheThread({ dataDir: tmpdir(), databaseUrl: await postgres!.createDatabase() });
});

test("starring on the relay's connection while the thread writes waits for its transactions instead of failing", async () => {
  const { store, recorder } = await startRecorder(sqliteTarget());
  serve(recorder, "req_star");
  await recorder.flush();
  for (let index = 0; index < 400; index++) serve(recorder, `req_load_${index}`);
  const writing = recorder.flush();
  const starred: boolean[] = [];
  for (let index = 0; index < 40; index++) {
    starred.push(await store.setStarred("req_star", index % 2 === 0));
    await Bun.sleep(1);
  }
  await writing;
  expect(starred.every(Boolean)).toBe(true);
  expect((await store.list({}, { limit: 500 })).items).toHaveLength(401);
});

test("a writer thread that falls behind keeps every row, drops the bodies beyond the queue's bound, and counts them", async () => {
  const { store, metrics, recorder } = await startRecorder(sqliteTarget(), { maxQueuedBodies: 2 });
  for (let index = 0; index < 8; index++) serve(recorder, `req_${index}`);
  await recorder.flush();
  expect((await store.list({}, { limit: 20 })).items).toHaveLength(8);
  expect((await store.get("req_1"))?.bodies?.request).toBeTruthy();
  expect((await store.get("req_5"))?.details.bodiesSkipped).toBe("writer-behind");
  expect(metrics.inspectorDropped.get({ what: "bodies" })).toBe(6);
});

test("batches go to the fallback on this thread once the writer thread has died", async () => {
  const target = sqliteTarget();
  const { store, recorder } = await startRecorder(target);
  serve(recorder, "req_before");
  await recorder.flush();
  // What a crash of the thread looks like from here: its error event.
  const writer = (recorder as unknown as { writer: WorkerInspectorWriter }).writer;
  (writer as unknown as { worker: Worker }).worker.terminate();
  (writer as unknown as { worker: Worker }).worker.onerror?.(new ErrorEvent("error", { message: "simulated" }));
  serve(recorder, "req_after");
  await recorder.flush();
  expect((await store.summaries(["req_before", "req_after"])).map((summary) => summary.id).sort()).toEqual(["req_after", "req_before"]);
});
