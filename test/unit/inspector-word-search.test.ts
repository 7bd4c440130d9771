import { Database } from "bun:sqlite";
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { InspectorEntry } from "../../src/inspector/inspector-record.ts";
import { InspectorStore } from "../../src/store/inspector-store.ts";
import { migrations } from "../../src/store/migrations.ts";
import { SqliteDatabase } from "../../src/store/sqlite-database.ts";
import { allTextPages } from "../support/inspector-text-pages.ts";
import { waitFor } from "../support/wait-for.ts";

const directory = mkdtempSync(join(tmpdir(), "agent-relay-word-search-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
let files = 0;
const openDatabase = () => SqliteDatabase.open(join(directory, `relay-${++files}.sqlite`));

function entry(index: number, preview: string, overrides: Partial<InspectorEntry["summary"]> = {}): InspectorEntry {
  return {
    summary: {
      id: `req_${String(index).padStart(4, "0")}`, startedAt: Date.now(), durationMs: 120, ttftMs: 40, protocol: "anthropic-messages", method: "POST",
      path: "/v1/messages", stream: true, status: 200, errorKind: null, errorMessage: null, requestedModel: index % 2 ? "opus" : "sonnet",
      responseModel: null, provider: "claude", providerModel: null, servedPath: "cold", clientKeyHash: null, userAgent: "test", remoteAddress: "127.0.0.1",
      sessionId: index % 3 ? "session-a" : "session-b", agentId: null, parentAgentId: null, conversationId: null, responseId: null, previousResponseId: null,
      usage: null, stopReason: "end_turn", toolNames: null, agentToolNames: null, preview, ...overrides,
    },
    details: { warnings: [], headers: {} },
  };
}

/** Previews where word boundaries, punctuation, case and non-ASCII letters sit right next to what is searched. */
function previewOf(index: number): string {
  const shapes = [
    `Refactor the parser module ${index}`,
    `refactoring THE PARSER-MODULE, step ${index}`,
    `see req_${String(index).padStart(4, "0")} and module${index}`,
    `Bitte prüfe die Änderung im Parsermodul ${index}`,
    `café parser module ${index} naïve`,
    `say "quoted words" 50% of ${index}`,
    `logging\tto the server ${index}`,
    `unrelated turn ${index}`,
  ];
  return shapes[index % shapes.length];
}

const searches = [
  "parser module", "arser modu", "PARSER MODULE 1", "the parser", "actoring the parser-mod", "factor the parser module 12", "e parser module 3",
  "module 12", "ule 1", "q_0010 and modu", "req_001", "module12", "afé parser module", "parser module 5 naï", "prüfe die", "Parsermodul",
  '"quoted words" 50%', "quoted words", "logging\tto the", "the server 77", "turn 799", "no such words anywhere", "xx parsers",
];

const allPages = (store: InspectorStore, text: string, model?: string) => allTextPages(store, text, { model });

describe("free text through the word index (SQLite)", () => {
  test("every search finds exactly what the trigram index and a plain substring scan find, page by page", async () => {
    const database = openDatabase();
    const store = new InspectorStore(database);
    const trigramsOnly = new InspectorStore(database, { textSearch: "trigrams" });
    const previews = Array.from({ length: 800 }, (_, index) => previewOf(index));
    for (let start = 0; start < previews.length; start += 100) await store.write(previews.slice(start, start + 100).map((preview, offset) => entry(start + offset, preview)));
    for (const text of searches) {
      for (const model of [undefined, "opus"]) {
        const expected = previews
          .flatMap((preview, index) => (preview.toLowerCase().includes(text.toLowerCase()) && (!model || (index % 2 ? "opus" : "sonnet") === model) ? [`req_${String(index).padStart(4, "0")}`] : []))
          .reverse();
        const found = await allPages(store, text, model);
        expect({ text, model, found }).toEqual({ text, model, found: expected });
        expect(await allPages(trigramsOnly, text, model)).toEqual(expected);
      }
    }
    expect(await allPages(store, "parser module")).toHaveLength(200);
    await database.close();
  }, 120_000);

  test("common words that are rare together: past the word index's budget of candidates, the trigram index finishes the walk", async () => {
    const database = openDatabase();
    const store = new InspectorStore(database);
    const previews = Array.from({ length: 9000 }, (_, index) => (index % 500 === 7 ? `please add logging to the server ${index}` : `add more logging for the server ${index}`));
    for (let start = 0; start < previews.length; start += 1000) await store.write(previews.slice(start, start + 1000).map((preview, offset) => entry(start + offset, preview)));
    const expected = previews.flatMap((preview, index) => (preview.includes("add logging to") ? [`req_${String(index).padStart(4, "0")}`] : [])).reverse();
    expect(expected).toHaveLength(18);
    expect(await allPages(store, "add logging to")).toEqual(expected);
    expect(await allPages(store, "dd logging to the serv")).toEqual(expected);
    const first = await store.list({ text: "add logging to" }, { limit: 10 });
    expect((await store.list({ text: "add logging to" }, { limit: 10, before: first.nextCursor! })).items.map((item) => item.id)).toEqual(expected.slice(10));
    await database.close();
  }, 120_000);

  test("the word index follows deletes and pruning, and passes FTS5's integrity check against the rows", async () => {
    const database = openDatabase();
    const store = new InspectorStore(database);
    const hour = 3_600_000;
    await store.write([
      entry(1, "rename the variable zebrafish", { startedAt: Date.now() - 50 * hour }),
      entry(2, "rename the variable zebrafish", { sessionId: "doomed" }),
      entry(3, "rename the variable zebrafish"),
    ]);
    expect(await allPages(store, "the variable zebra")).toEqual(["req_0003", "req_0002", "req_0001"]);
    await store.indexText();
    await store.prune({ now: Date.now(), retentionMs: 24 * hour, bodyRetentionMs: hour, maxBytes: Number.MAX_SAFE_INTEGER, batchSize: 100 });
    await store.deleteSession("doomed");
    expect(await allPages(store, "the variable zebra")).toEqual(["req_0003"]);
    const indexed = await database.all<{ seq: number }>("SELECT rowid AS seq FROM inspector_words WHERE inspector_words MATCH 'zebrafish'");
    expect(indexed).toHaveLength(1);
    await database.run("INSERT INTO inspector_words (inspector_words, rank) VALUES ('integrity-check', 1)");
    await database.close();
  });

  test("rows not yet in the text indexes are found, and deleting them before they are indexed keeps the indexes sound", async () => {
    const database = openDatabase();
    const store = new InspectorStore(database);
    await store.write([entry(1, "rename the variable zebrafish"), entry(2, "rename the variable zebrafish", { sessionId: "doomed" })]);
    await store.indexText();
    await store.write([entry(3, "rename the variable zebrafish"), entry(4, "rename the variable zebrafish", { sessionId: "doomed" }), entry(5, "nothing to see")]);
    // Two rows in the indexes, three above them: one query finds them all, newest first, page by page.
    expect(await allPages(store, "the variable zebra")).toEqual(["req_0004", "req_0003", "req_0002", "req_0001"]);
    expect(await allPages(store, "variable")).toEqual(["req_0004", "req_0003", "req_0002", "req_0001"]);
    await store.deleteSession("doomed");
    expect(await allPages(store, "the variable zebra")).toEqual(["req_0003", "req_0001"]);
    expect(await store.indexText()).toBe(3);
    expect(await allPages(store, "the variable zebra")).toEqual(["req_0003", "req_0001"]);
    expect(await database.all("SELECT rowid FROM inspector_words WHERE inspector_words MATCH 'zebrafish'")).toHaveLength(2);
    expect(await database.all(`SELECT rowid FROM inspector_search WHERE inspector_search MATCH '"zebrafish"'`)).toHaveLength(2);
    for (const table of ["inspector_words", "inspector_search"]) await database.run(`INSERT INTO ${table} (${table}, rank) VALUES ('integrity-check', 1)`);
    await database.close();
  });

  test("the writer indexes in bulk: after a few hundred rows, or once writing pauses", async () => {
    const database = openDatabase();
    const store = new InspectorStore(database);
    const indexedRows = async () => (await database.all<{ n: number }>(`SELECT count(*) AS n FROM inspector_search WHERE inspector_search MATCH '"zebrafish"'`))[0].n;
    await store.write(Array.from({ length: 300 }, (_, index) => entry(index + 1, `zebrafish ${index}`)));
    expect(await indexedRows()).toBe(300);
    await store.write([entry(301, "zebrafish again")]);
    expect(await indexedRows()).toBe(300);
    await waitFor(async () => (await indexedRows()) === 301, { what: "the idle writer to index the last row" });
    await database.close();
  });

  test("rows written before the word index existed are indexed when the relay upgrades the file", async () => {
    const path = join(directory, "before-word-index.sqlite");
    const raw = new Database(path, { create: true });
    for (const migration of migrations.slice(0, 4)) raw.run(migration.sqlite);
    raw.run("PRAGMA user_version = 4");
    raw.run(
      `INSERT INTO inspector_requests (id, started_at, protocol, method, path, stream, status, preview, details_json)
       VALUES ('req_old', 1, 'anthropic-messages', 'POST', '/v1/messages', 1, 200, 'rename the variable zebrafish', '{}')`,
    );
    raw.close();
    const store = new InspectorStore(SqliteDatabase.open(path));
    expect((await store.list({ text: "the variable zebra" }, { limit: 10 })).items.map((item) => item.id)).toEqual(["req_old"]);
    expect(await store.database.all("SELECT rowid FROM inspector_words WHERE inspector_words MATCH 'zebrafish'")).toHaveLength(1);
    await store.database.close();
  });
});
