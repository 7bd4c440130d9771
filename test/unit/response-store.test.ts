import { Database } from "bun:sqlite";
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ResponseStore, type StoredResponse } from "../../src/store/response-store.ts";

let directory: string;
let path: string;
const day = 24 * 3_600_000;

beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), "response-store-"));
  path = join(directory, "responses.sqlite");
});
afterEach(() => rmSync(directory, { recursive: true, force: true }));

const stored = (id: string, createdAt: number): StoredResponse => ({
  id,
  createdAt,
  response: { id, object: "response", output_text: `answer ${id}` },
  inputItems: [{ id: `msg_${id}`, type: "message", role: "user", content: [{ type: "input_text", text: `question ${id}` }] }],
  conversation: {
    systemTexts: ["Be brief."],
    messages: [
      { role: "user", content: [{ type: "text", text: `question ${id}` }] },
      { role: "assistant", content: [{ type: "tool-call", id: "toolu_1", name: "lookup", input: { q: id } }] },
    ],
  },
});

describe("ResponseStore", () => {
  test("a saved response comes back field for field, from a reopened file too", () => {
    const store = ResponseStore.open({ path, maxResponses: 10, maxAgeMs: day });
    store.save(stored("resp_a", Date.now()));
    expect(store.get("resp_a")).toEqual(stored("resp_a", store.get("resp_a")!.createdAt));
    store.close();
    const reopened = ResponseStore.open({ path, maxResponses: 10, maxAgeMs: day });
    expect(reopened.get("resp_a")?.conversation.messages[1]).toEqual({ role: "assistant", content: [{ type: "tool-call", id: "toolu_1", name: "lookup", input: { q: "resp_a" } }] });
    expect(reopened.get("resp_missing")).toBeUndefined();
    reopened.close();
  });

  test("the file is in WAL mode and at the current schema version", () => {
    ResponseStore.open({ path, maxResponses: 10, maxAgeMs: day }).close();
    const database = new Database(path, { readonly: true });
    expect(database.query<{ journal_mode: string }, []>("PRAGMA journal_mode").get()?.journal_mode).toBe("wal");
    expect(database.query<{ user_version: number }, []>("PRAGMA user_version").get()?.user_version).toBe(1);
    database.close();
  });

  test("a file from a newer relay (higher schema version) is refused, not rewritten", () => {
    ResponseStore.open({ path, maxResponses: 10, maxAgeMs: day }).close();
    const database = new Database(path);
    database.run("PRAGMA user_version = 99");
    database.close();
    expect(() => ResponseStore.open({ path, maxResponses: 10, maxAgeMs: day })).toThrow(/newer agent-relay/);
  });

  test("beyond maxResponses the oldest are removed on write", () => {
    let now = 1_000_000;
    const store = ResponseStore.open({ path, maxResponses: 2, maxAgeMs: day, now: () => now });
    for (const id of ["resp_1", "resp_2", "resp_3"]) {
      store.save(stored(id, now));
      now += 1000;
    }
    expect(store.size()).toBe(2);
    expect(store.get("resp_1")).toBeUndefined();
    expect(store.get("resp_2")?.id).toBe("resp_2");
    expect(store.get("resp_3")?.id).toBe("resp_3");
    store.close();
  });

  test("responses older than maxAgeMs are gone at once for readers and removed at the next write", () => {
    let now = 1_000_000;
    const store = ResponseStore.open({ path, maxResponses: 10, maxAgeMs: day, now: () => now });
    store.save(stored("resp_old", now));
    now += day + 1;
    expect(store.get("resp_old")).toBeUndefined();
    expect(store.size()).toBe(1);
    store.save(stored("resp_new", now));
    expect(store.size()).toBe(1);
    expect(store.get("resp_new")?.id).toBe("resp_new");
    store.close();
  });

  test("delete removes a response and says whether there was one", () => {
    const store = ResponseStore.open({ path, maxResponses: 10, maxAgeMs: day });
    store.save(stored("resp_a", Date.now()));
    expect(store.delete("resp_a")).toBe(true);
    expect(store.get("resp_a")).toBeUndefined();
    expect(store.delete("resp_a")).toBe(false);
    store.close();
  });

  test("maxResponses 0 keeps nothing", () => {
    const store = ResponseStore.open({ path: ":memory:", maxResponses: 0, maxAgeMs: day });
    store.save(stored("resp_a", Date.now()));
    expect(store.get("resp_a")).toBeUndefined();
    store.close();
  });
});
