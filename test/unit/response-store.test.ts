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

const alice = { credentialHash: "hash-of-alice-key", endUser: "" };
const bob = { credentialHash: "hash-of-bob-key", endUser: "" };

const stored = (id: string, createdAt: number, owner = alice): StoredResponse => ({
  id,
  owner,
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
    expect(store.get("resp_a", alice)).toEqual(stored("resp_a", store.get("resp_a", alice)!.createdAt));
    store.close();
    const reopened = ResponseStore.open({ path, maxResponses: 10, maxAgeMs: day });
    expect(reopened.get("resp_a", alice)?.conversation.messages[1]).toEqual({ role: "assistant", content: [{ type: "tool-call", id: "toolu_1", name: "lookup", input: { q: "resp_a" } }] });
    expect(reopened.get("resp_missing", alice)).toBeUndefined();
    reopened.close();
  });

  test("the file is in WAL mode and at the current schema version", () => {
    ResponseStore.open({ path, maxResponses: 10, maxAgeMs: day }).close();
    const database = new Database(path, { readonly: true });
    expect(database.query<{ journal_mode: string }, []>("PRAGMA journal_mode").get()?.journal_mode).toBe("wal");
    expect(database.query<{ user_version: number }, []>("PRAGMA user_version").get()?.user_version).toBe(2);
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
    expect(store.get("resp_1", alice)).toBeUndefined();
    expect(store.get("resp_2", alice)?.id).toBe("resp_2");
    expect(store.get("resp_3", alice)?.id).toBe("resp_3");
    store.close();
  });

  test("responses older than maxAgeMs are gone at once for readers and removed at the next write", () => {
    let now = 1_000_000;
    const store = ResponseStore.open({ path, maxResponses: 10, maxAgeMs: day, now: () => now });
    store.save(stored("resp_old", now));
    now += day + 1;
    expect(store.get("resp_old", alice)).toBeUndefined();
    expect(store.size()).toBe(1);
    store.save(stored("resp_new", now));
    expect(store.size()).toBe(1);
    expect(store.get("resp_new", alice)?.id).toBe("resp_new");
    store.close();
  });

  test("delete removes a response and says whether there was one", () => {
    const store = ResponseStore.open({ path, maxResponses: 10, maxAgeMs: day });
    store.save(stored("resp_a", Date.now()));
    expect(store.delete("resp_a", alice)).toBe(true);
    expect(store.get("resp_a", alice)).toBeUndefined();
    expect(store.delete("resp_a", alice)).toBe(false);
    store.close();
  });

  test("a response belongs to the credential that stored it, and to its end user when one was named", () => {
    const store = ResponseStore.open({ path, maxResponses: 10, maxAgeMs: day });
    store.save(stored("resp_a", Date.now()));
    store.save(stored("resp_u", Date.now(), { credentialHash: alice.credentialHash, endUser: "user-1" }));
    expect(store.get("resp_a", bob)).toBeUndefined();
    expect(store.delete("resp_a", bob)).toBe(false);
    expect(store.get("resp_a", alice)?.id).toBe("resp_a");
    // Retrieval checks the credential only; continuing as another end user does not find it.
    expect(store.get("resp_u", { credentialHash: alice.credentialHash })?.id).toBe("resp_u");
    expect(store.get("resp_u", { credentialHash: alice.credentialHash, endUser: "user-2" })).toBeUndefined();
    expect(store.get("resp_u", { credentialHash: alice.credentialHash, endUser: "user-1" })?.id).toBe("resp_u");
    store.close();
  });

  test("rows stored before owners were recorded (schema 1) belong to no one after the upgrade", () => {
    const database = new Database(path, { create: true });
    database.run("CREATE TABLE responses (id TEXT PRIMARY KEY NOT NULL, created_at INTEGER NOT NULL, response_json TEXT NOT NULL, input_items_json TEXT NOT NULL, conversation_json TEXT NOT NULL) STRICT");
    database.run("INSERT INTO responses VALUES ('resp_old', ?, '{}', '[]', '{\"systemTexts\":[],\"messages\":[]}')", [Date.now()]);
    database.run("PRAGMA user_version = 1");
    database.close();
    const store = ResponseStore.open({ path, maxResponses: 10, maxAgeMs: day });
    expect(store.get("resp_old", { credentialHash: "" })).toBeUndefined();
    expect(store.get("resp_old", alice)).toBeUndefined();
    store.close();
  });

  test("a file that is not a database is a 503 naming the file and how to recover", async () => {
    await Bun.write(path, "this is not a database, it is a text file that happens to be long enough ".repeat(20));
    let error: any;
    try {
      ResponseStore.open({ path, maxResponses: 10, maxAgeMs: day });
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ kind: "unavailable", status: 503, code: "response_store_unavailable" });
    expect(error.message).toContain(path);
    expect(error.message).toMatch(/move the file .* aside and restart/);
  });

  test("maxResponses 0 keeps nothing", () => {
    const store = ResponseStore.open({ path: ":memory:", maxResponses: 0, maxAgeMs: day });
    store.save(stored("resp_a", Date.now()));
    expect(store.get("resp_a", alice)).toBeUndefined();
    store.close();
  });
});
