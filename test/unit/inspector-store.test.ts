import { describe, expect, test } from "bun:test";
import type { InspectorEntry } from "../../src/inspector/inspector-record.ts";
import { choosePreviewGrams, InspectorStore, uncasedRun, listStatement, type InspectorFilter } from "../../src/store/inspector-store.ts";
import { allTextPages, substringMatches } from "../support/inspector-text-pages.ts";
import { readInspectorOverview } from "../../src/store/inspector-overview.ts";
import type { SqlValue } from "../../src/store/relay-database.ts";
import { useStoreEngines } from "../support/store-engines.ts";

const storeEngines = useStoreEngines();

const systemPrompt = "You are a coding agent. ".repeat(200);
const tools = Array.from({ length: 12 }, (_, index) => ({ name: `tool_${index}`, description: "Does a thing. ".repeat(30), input_schema: { type: "object" } }));
const pixel = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

/** An Anthropic Messages body of a conversation with `turns` user turns, cache_control on the last message. */
function anthropicBody(turns: number) {
  const messages: any[] = [];
  for (let turn = 0; turn < turns; turn++) {
    messages.push({ role: "user", content: [{ type: "text", text: `question ${turn}: ${"context ".repeat(100)}` }] });
    if (turn < turns - 1) messages.push({ role: "assistant", content: [{ type: "text", text: `answer ${turn}` }] });
  }
  messages.at(-1).content.at(-1).cache_control = { type: "ephemeral" };
  return { model: "claude-sonnet-4-5", max_tokens: 1024, system: [{ type: "text", text: "x-billing: abc" }, { type: "text", text: systemPrompt, cache_control: { type: "ephemeral" } }], tools, messages };
}

function entry(id: string, overrides: Partial<InspectorEntry["summary"]> = {}, body: unknown = anthropicBody(1), extra: Partial<InspectorEntry> = {}): InspectorEntry {
  return {
    summary: {
      id, startedAt: Date.now(), durationMs: 120, ttftMs: 40, protocol: "anthropic-messages", method: "POST", path: "/v1/messages", stream: true,
      status: 200, errorKind: null, errorMessage: null, requestedModel: "claude-sonnet-4-5", responseModel: "claude-sonnet-4-5", provider: "claude",
      providerModel: null, servedPath: "cold", clientKeyHash: "ab".repeat(32), userAgent: "test", remoteAddress: "127.0.0.1", sessionId: null,
      agentId: null, parentAgentId: null, conversationId: `conversation-${id}`, responseId: null, previousResponseId: null,
      usage: { inputTokens: 10, outputTokens: 5, cacheCreationInputTokens: 100, cacheReadInputTokens: 900, reasoningTokens: null },
      stopReason: "end_turn", toolNames: null, agentToolNames: null, preview: `preview of ${id}`, ...overrides,
    },
    details: { warnings: [], headers: { "user-agent": "test" } },
    bodies: { request: body, response: { content: [{ type: "text", text: `answer to ${id}` }] }, events: [{ atMs: 40, event: { type: "text-delta", id: "t", delta: "hi" } }] },
    ...extra,
  };
}

for (const engine of storeEngines) {
  describe(`InspectorStore on ${engine.name}`, () => {
    test("a request reads back as the client sent it: blobs, prefix chain, media and moved cache_control restored", async () => {
      const store = new InspectorStore(await engine.open());
      const first = anthropicBody(2);
      first.messages[0].content.push({ type: "image", source: { type: "base64", media_type: "image/png", data: pixel.repeat(3) } });
      const second = anthropicBody(3);
      second.messages[0].content.push({ type: "image", source: { type: "base64", media_type: "image/png", data: pixel.repeat(3) } });
      second.messages.push({ role: "user", content: [{ type: "image_url", image_url: { url: `data:image/png;base64,${pixel}` } }] });
      await store.write([entry("req_1", {}, first), entry("req_2", {}, second)]);
      expect((await store.get("req_1"))?.bodies?.request).toEqual(first);
      const view = await store.get("req_2");
      expect(view?.bodies?.request).toEqual(second);
      expect(view?.bodies?.response).toEqual({ content: [{ type: "text", text: "answer to req_2" }] });
      expect(view?.bodies?.events[0]).toEqual({ atMs: 40, event: { type: "text-delta", id: "t", delta: "hi" } });
      // The second request repeats the system prompt, the tools and the first three messages: it stores only what is new.
      expect(view!.bodyBytes).toBeLessThan(JSON.stringify(second).length / 2);
      await store.database.close();
    });

    test("a 200-turn conversation takes at most 3x its largest request, not the sum of all of them", async () => {
      const store = new InspectorStore(await engine.open());
      let naive = 0;
      let largest = 0;
      for (let turns = 1; turns <= 200; turns++) {
        const body = anthropicBody(turns);
        const size = JSON.stringify(body).length;
        naive += size;
        largest = Math.max(largest, size);
        await store.write([entry(`req_${turns}`, { sessionId: "session-long" }, body)]);
      }
      const rows = await store.database.all<{ bytes: number }>("SELECT coalesce(sum(bytes), 0) AS bytes FROM inspector_blobs");
      const bodies = await store.database.all<{ bytes: number }>("SELECT coalesce(sum(length(request_json)), 0) AS bytes FROM inspector_bodies");
      const stored = Number(rows[0].bytes) + Number(bodies[0].bytes);
      expect(stored).toBeLessThan(3 * largest);
      expect(naive / stored).toBeGreaterThan(30);
      expect((await store.get("req_200"))?.bodies?.request).toEqual(anthropicBody(200));
      await store.database.close();
    }, 120_000);

    test("the list pages by cursor, newest first, and filters by model, status, session, client and text", async () => {
      const store = new InspectorStore(await engine.open());
      await store.write([
        entry("req_a", { requestedModel: "opus", sessionId: "s1" }),
        entry("req_b", { requestedModel: "sonnet", status: 500, errorKind: "api_error", sessionId: "s1" }),
        entry("req_c", { requestedModel: "sonnet", preview: "find the Needle here", clientKeyHash: "cd".repeat(32) }),
      ]);
      const first = await store.list({}, { limit: 2 });
      expect(first.items.map((item) => item.id)).toEqual(["req_c", "req_b"]);
      const second = await store.list({}, { limit: 2, before: first.nextCursor! });
      expect(second.items.map((item) => item.id)).toEqual(["req_a"]);
      expect(second.nextCursor).toBeNull();
      expect((await store.list({ model: "sonnet" }, { limit: 10 })).items.map((item) => item.id)).toEqual(["req_c", "req_b"]);
      expect((await store.list({ status: "error" }, { limit: 10 })).items.map((item) => item.id)).toEqual(["req_b"]);
      expect((await store.list({ session: "s1" }, { limit: 10 })).items.map((item) => item.id)).toEqual(["req_b", "req_a"]);
      expect((await store.list({ client: "cdcdcdcd" }, { limit: 10 })).items.map((item) => item.id)).toEqual(["req_c"]);
      expect((await store.list({ text: "needle" }, { limit: 10 })).items.map((item) => item.id)).toEqual(["req_c"]);
      expect((await store.list({ text: "100%_" }, { limit: 10 })).items).toEqual([]);
      await store.database.close();
    });

    test("free text pages newest first through every match, combined with other filters, case-insensitive, the same as a plain substring scan", async () => {
      const store = new InspectorStore(await engine.open());
      const previews = Array.from({ length: 900 }, (_, index) =>
        index % 7 === 0 ? `Run the Parser tests ${index}` : index % 11 === 0 ? `say "quoted" 50% of ${index}` : index % 13 === 0 ? `Bitte prüfe die Änderung ${index}` : `unrelated turn ${index}`,
      );
      const entries = previews.map((preview, index) => entry(`req_${String(index).padStart(4, "0")}`, { preview, requestedModel: index % 2 ? "opus" : "sonnet", clientKeyHash: null }, null, { bodies: undefined }));
      for (let start = 0; start < entries.length; start += 100) await store.write(entries.slice(start, start + 100));
      const modelOf = (index: number) => (index % 2 ? "opus" : "sonnet");
      const expected = (needle: string, model?: string) => substringMatches(previews, needle, { model, modelOf });
      const allPages = (text: string, model?: string) => allTextPages(store, text, { model, limit: 40 });
      expect(await allPages("parser TESTS")).toEqual(expected("parser tests"));
      expect((await allPages("parser tests")).length).toBe(129);
      expect(await allPages("parser tests", "opus")).toEqual(expected("parser tests", "opus"));
      expect(await allPages('"quoted" 50%')).toEqual(expected('"quoted" 50%'));
      expect(await allPages("s 8")).toEqual(expected("s 8"));
      expect(await allPages("prüfe die")).toEqual(expected("prüfe die"));
      expect((await allPages("prüfe die")).length).toBeGreaterThan(40);
      expect(await allPages("no such text anywhere")).toEqual([]);
      await store.database.close();
    }, 120_000);

    test("free text once the table is analyzed: rare text through the gram index, frequent text walked newest first and past its window, the same rows as a substring scan on every page", async () => {
      const database = await engine.open();
      const previews = Array.from({ length: 4000 }, (_, index) => {
        // Dense among the newest rows, sparse below them: the walk's window runs out and the plain query finishes the page.
        if (index >= 3000 ? index % 4 === 0 : index % 97 === 0) return `Please run Frequent Tests ${index}`;
        if (index === 5 || index === 1700 || index === 3990) return `a rare needle: 50%_off \\ path ${index}`;
        if (index % 13 === 0) return `Bitte prüfe die Änderung ${index}`;
        if (index % 29 === 0) return `add more logging to the server ${index}`;
        if (index % 31 === 0) return `add logging to the parser ${index}`;
        return `unrelated turn ${index} of the filler text`;
      });
      const entries = previews.map((preview, index) => entry(`req_${String(index).padStart(4, "0")}`, { preview, requestedModel: index % 2 ? "opus" : "sonnet", clientKeyHash: null }, null, { bodies: undefined }));
      const writer = new InspectorStore(database);
      for (let start = 0; start < entries.length; start += 500) await writer.write(entries.slice(start, start + 500));
      if (engine.name === "postgres") await database.run("ANALYZE inspector_requests");
      const store = new InspectorStore(database);
      // A window smaller than the table, so that frequent text runs past it and the rest comes from below it.
      const shortWalk = new InspectorStore(database, { walkWindow: 500, gramChunk: 700 });
      const trigramsOnly = new InspectorStore(database, { textSearch: "trigrams" });
      const modelOf = (index: number) => (index % 2 ? "opus" : "sonnet");
      const expected = (needle: string, model?: string) => substringMatches(previews, needle, { model, modelOf });
      const allPages = (on: InspectorStore, text: string, model?: string) => allTextPages(on, text, { model, limit: 40 });
      const texts = ["turn 1", "frequent tests", "Run Frequent", "rare needle", "needle: 50%_off \\ pa", "50%_", "0%_o", "prüfe die", "ÄNDERUNG 1", "add logging to", "logging to the", "dd logging to the pa", "turn 12", "unrelated", "the filler text", "e 3", "no such text anywhere"];
      for (const text of texts) {
        for (const model of [undefined, "opus"]) {
          const found = await allPages(store, text, model);
          expect({ text, model, found }).toEqual({ text, model, found: expected(text, model) });
          expect(await allPages(shortWalk, text, model)).toEqual(found);
          expect(await allPages(trigramsOnly, text, model)).toEqual(found);
        }
      }
      expect((await allPages(store, "frequent tests")).length).toBe(250 + 31);
      if (engine.name === "postgres") {
        // Which path answered: the gram index for rare text; the walk, then the plain query past its window, for frequent text.
        const statements: string[] = [];
        const all = database.all.bind(database);
        database.all = (<Row>(sql: string, params?: SqlValue[]) => (statements.push(sql), all<Row>(sql, params))) as typeof database.all;
        await allPages(store, "rare needle");
        expect(statements.some((sql) => sql.includes("inspector_preview_grams"))).toBe(true);
        statements.length = 0;
        await allPages(store, "frequent tests");
        expect(statements.some((sql) => sql.includes("seq >= ?"))).toBe(true);
        expect(statements.some((sql) => sql.includes("inspector_preview_grams") || sql.includes("LIKE"))).toBe(false);
        statements.length = 0;
        await allPages(shortWalk, "frequent tests");
        expect(statements.some((sql) => sql.includes("seq >= ?"))).toBe(true);
        // Past the window, by the estimate: the gram index, first for a chunk of rows below the window, then below it...
        expect(statements.some((sql) => sql.includes("@> (SELECT CAST(? AS text[]))"))).toBe(true);
        expect(statements.some((sql) => sql.includes("@> CAST(? AS text[])"))).toBe(true);
        // ...or, for text whose grams are common, pg_trgm (the plain query).
        statements.length = 0;
        await allPages(shortWalk, "turn 1");
        expect(statements.some((sql) => sql.includes("seq >= ?"))).toBe(true);
        expect(statements.some((sql) => sql.includes("LIKE"))).toBe(true);
        database.all = all;
      }
      // A cursor in the middle of the rare matches, and one inside the frequent text's walk.
      const [middle] = await store.summaries(["req_1700"]);
      expect((await store.list({ text: "rare needle" }, { limit: 1, before: middle.seq })).items.map((item) => item.id)).toEqual(["req_0005"]);
      const [inside] = await store.summaries(["req_3500"]);
      expect((await store.list({ text: "frequent tests" }, { limit: 5, before: inside.seq })).items.map((item) => item.id)).toEqual(["req_3496", "req_3492", "req_3488", "req_3484", "req_3480"]);
      // A cursor just above the short window's end: the page spans the walk and what lies below it.
      const [boundary] = await store.summaries(["req_3100"]);
      const spanning = await shortWalk.list({ text: "frequent tests" }, { limit: 40, before: boundary.seq });
      expect(spanning.items.map((item) => item.id)).toEqual(expected("frequent tests").filter((id) => id < "req_3100").slice(0, 40));
      await database.close();
    }, 120_000);

    if (engine.name === "postgres") {
      test("on PostgreSQL every filter of the list and free text have an index to answer from (pg_trgm for text)", async () => {
        const database = await engine.open();
        const store = new InspectorStore(database);
        await store.write(Array.from({ length: 50 }, (_, index) => entry(`req_${index}`, { sessionId: `s${index % 5}` }, null, { bodies: undefined })));
        const filters: InspectorFilter[] = [{}, { model: "claude-sonnet-4-5" }, { provider: "claude" }, { status: "500" }, { status: "error" }, { session: "s1" }, { conversation: "c" }, { client: "abababab" }, { text: "preview of" }];
        for (const filter of filters) {
          for (const before of [undefined, 30]) {
            const { sql, params } = listStatement(filter, { before, limit: 100 });
            // With sequential scans priced out, a plan still holding one means no index can answer the query.
            const plan = await database.transaction(async (transaction) => {
              await transaction.run("SET LOCAL enable_seqscan = off");
              if (filter.text) await transaction.run("SET LOCAL enable_indexscan = off");
              return (await transaction.all<{ "QUERY PLAN": string }>(`EXPLAIN ${sql}`, params)).map((row) => row["QUERY PLAN"]).join("\n");
            });
            expect({ filter, plan }).not.toMatchObject({ plan: expect.stringContaining("Seq Scan") });
            if (filter.text && before === undefined) expect(plan).toContain("inspector_requests_preview_trigrams");
          }
        }
        await database.close();
      });
    }

    test("a request without a session header joins the session of the request it continues", async () => {
      const store = new InspectorStore(await engine.open());
      await store.write([entry("req_1", { conversationId: "after-turn-1", responseId: "resp_1" })]);
      await store.write([entry("req_2", { conversationId: "after-turn-2" }, anthropicBody(2), { continuesConversation: "after-turn-1" })]);
      await store.write([entry("req_3", { previousResponseId: "resp_1", conversationId: "other" })]);
      await store.write([entry("req_4", { conversationId: "unrelated" }, anthropicBody(1), { continuesConversation: "never-seen" })]);
      expect((await store.session("req_1")).map((item) => item.id)).toEqual(["req_1", "req_2", "req_3"]);
      expect((await store.get("req_4"))?.sessionId).toBe("req_4");
      await store.database.close();
    });

    test("retention drops old bodies before old rows, keeps starred requests, and frees blobs nothing uses", async () => {
      const store = new InspectorStore(await engine.open());
      const now = Date.now();
      const hour = 3_600_000;
      await store.write([
        entry("req_old", { startedAt: now - 50 * hour }, anthropicBody(3)),
        entry("req_starred", { startedAt: now - 50 * hour }, { model: "m", system: "unique starred system prompt ".repeat(20), messages: [] }),
        entry("req_mid", { startedAt: now - 5 * hour }, anthropicBody(2)),
        entry("req_new", { startedAt: now }, { model: "m", messages: [{ role: "user", content: "only this one" }] }),
      ]);
      await store.setStarred("req_starred", true);
      const options = { now, retentionMs: 24 * hour, bodyRetentionMs: 2 * hour, maxBytes: Number.MAX_SAFE_INTEGER, batchSize: 100 };
      await store.prune(options);
      expect(await store.get("req_old")).toBeUndefined();
      expect((await store.get("req_mid"))?.bodies).toBeNull();
      expect((await store.get("req_mid"))?.requestedModel).toBe("claude-sonnet-4-5");
      expect((await store.get("req_starred"))?.bodies?.request).toMatchObject({ model: "m" });
      expect((await store.get("req_new"))?.bodies?.request).toEqual({ model: "m", messages: [{ role: "user", content: "only this one" }] });
      // Only the starred and the newest request still hold bodies: the shared system prompt, tools and chain are gone.
      const blobs = await store.database.all<{ kind: string }>("SELECT kind FROM inspector_blobs ORDER BY kind");
      expect(blobs.map((blob) => blob.kind)).toEqual(["prefix", "text"]);
      await store.database.close();
    });

    test("above the size budget the oldest bodies go first, then the oldest rows; starred ones stay", async () => {
      const store = new InspectorStore(await engine.open());
      await store.write([entry("req_1", {}, anthropicBody(4)), entry("req_2", {}, anthropicBody(5)), entry("req_3", {}, anthropicBody(6))]);
      await store.setStarred("req_3", true);
      // Nothing is old: only the budget (1 byte, always exceeded) makes room.
      const options = { now: Date.now(), retentionMs: 1e12, bodyRetentionMs: 1e12, maxBytes: 1, batchSize: 1 };
      expect(await store.prune(options)).toMatchObject({ bodies: 1, rows: 0 });
      expect((await store.get("req_1"))?.bodies).toBeNull();
      expect((await store.get("req_2"))?.bodies?.request).toEqual(anthropicBody(5));
      await store.prune(options);
      await store.prune(options);
      expect(await store.get("req_1")).toBeUndefined();
      expect((await store.get("req_2"))?.bodies).toBeNull();
      expect((await store.get("req_3"))?.bodies?.request).toEqual(anthropicBody(6));
      await store.database.close();
    });

    test("deleting a session removes its requests and their blobs; the overview sums what is left", async () => {
      const store = new InspectorStore(await engine.open());
      await store.write([
        entry("req_1", { sessionId: "gone" }),
        entry("req_2", { sessionId: "gone", toolNames: "Read,Bash" }),
        entry("req_3", { sessionId: "kept", toolNames: "Read", status: 502, durationMs: 1000 }),
        entry("req_4", { sessionId: "kept", agentToolNames: "Bash,Read" }),
        entry("req_5", { sessionId: "kept", agentToolNames: "Bash" }),
      ]);
      expect(await store.deleteSession("gone")).toBe(2);
      expect((await store.list({}, { limit: 10 })).items.map((item) => item.id)).toEqual(["req_5", "req_4", "req_3"]);
      expect((await store.get("req_4"))?.agentToolNames).toBe("Bash,Read");
      const overview = await readInspectorOverview(store.database, { since: Date.now() - 3_600_000, bucketMs: 60_000 });
      expect(overview.totals).toEqual({ requests: 3, errors: 1, inputTokens: 30, outputTokens: 15, cacheReadTokens: 2700, cacheWriteTokens: 300 });
      expect(overview.latency.p95).toBe(1000);
      // The client's Read and the tools the CLI ran itself count apart, even under the same name.
      expect(overview.tools).toEqual([
        { name: "Bash", by: "agent", calls: 2 },
        { name: "Read", by: "agent", calls: 1 },
        { name: "Read", by: "client", calls: 1 },
      ]);
      expect(overview.models[0]).toMatchObject({ model: "claude-sonnet-4-5", requests: 3 });
      const lines: string[] = [];
      for await (const line of store.exportLines({ sessionId: "kept" })) lines.push(line);
      expect(lines.map((line) => JSON.parse(line).id)).toEqual(["req_3", "req_4", "req_5"]);
      await store.database.close();
    });
  });
}

describe("the grams PostgreSQL reads for free text", () => {
  // Shares from ANALYZE at 1,000,000 benchmark rows (bench/lib/inspector-million-rows.ts); the rarest listed is 0.0065.
  const shares = new Map(Object.entries({
    " log": 0.268, "add ": 0.282, "d lo": 0.0092, "dd l": 0.0153, "g to": 0.0178, ggin: 0.268, ging: 0.268, "ing ": 0.268, logg: 0.268, "ng t": 0.0426, oggi: 0.268,
    dule: 1, modu: 1, odul: 1, "ule ": 1, "le 9": 0.11, "e 99": 0.0108, "le 1": 0.112, "e 10": 0.0109, "le 4": 0.108, "e 42": 0.0105,
  }));
  const stats = { shares, unlisted: 0.0065 / 2 };

  test("the rarest grams, and an estimate that sends rare text to the gram index (under 0.05%) and frequent text to the walk", () => {
    const addLogging = choosePreviewGrams("add logging to", stats);
    expect(addLogging.grams.slice(0, 3).sort()).toEqual(["d lo", "dd l", "g to"]);
    expect(addLogging.share).toBeLessThan(0.0005);
    const rare = choosePreviewGrams("module 9999", stats);
    expect(rare.grams.slice(0, 2)).toEqual([" 999", "9999"]);
    expect(rare.share).toBeLessThan(0.0005);
    expect(choosePreviewGrams("module 10000", stats).share).toBeLessThan(0.0005);
    // Frequent (1.1% of the rows): the walk.
    const frequent = choosePreviewGrams("module 42", stats);
    expect(frequent.grams[0]).toBe("e 42");
    expect(frequent.share).toBeGreaterThan(0.005);
    expect(choosePreviewGrams("logging", stats).share).toBeGreaterThan(0.05);
    // A gram in every row is never read.
    expect(choosePreviewGrams("modul", stats)).toEqual({ grams: [], share: 1 });
  });

  test("the run of the text that lowercasing leaves alone, checked on the raw preview first", () => {
    expect(uncasedRun("module 42")).toBe(" 42");
    expect(uncasedRun("needle: 50%_off \\ pa")).toBe(": 50%_");
    expect(uncasedRun("add logging to")).toBeUndefined();
    expect(uncasedRun("logging")).toBeUndefined();
  });
});
