import { Database } from "bun:sqlite";
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { migrations } from "../../src/store/migrations.ts";
import { ResponseStore, type StoredResponse } from "../../src/store/response-store.ts";
import { useStoreEngines } from "../support/store-engines.ts";

const storeEngines = useStoreEngines();

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

describe("ResponseStore on SQLite files", () => {
  test("a saved response comes back field for field, from a reopened file too", async () => {
    const store = ResponseStore.open({ path, maxResponses: 10, maxAgeMs: day });
    await store.save(stored("resp_a", Date.now()));
    expect(await store.get("resp_a", alice)).toEqual(stored("resp_a", (await store.get("resp_a", alice))!.createdAt));
    await store.close();
    const reopened = ResponseStore.open({ path, maxResponses: 10, maxAgeMs: day });
    expect((await reopened.get("resp_a", alice))?.conversation.messages[1]).toEqual({ role: "assistant", content: [{ type: "tool-call", id: "toolu_1", name: "lookup", input: { q: "resp_a" } }] });
    expect(await reopened.get("resp_missing", alice)).toBeUndefined();
    await reopened.close();
  });

  test("the file is in WAL mode and at the current schema version", async () => {
    await ResponseStore.open({ path, maxResponses: 10, maxAgeMs: day }).close();
    const database = new Database(path, { readonly: true });
    expect(database.query<{ journal_mode: string }, []>("PRAGMA journal_mode").get()?.journal_mode).toBe("wal");
    expect(database.query<{ user_version: number }, []>("PRAGMA user_version").get()?.user_version).toBe(migrations.length);
    database.close();
  });

  test("a file written before the inspector (schema version 1) is upgraded in place; its rows, stored before owners were recorded, belong to no one", async () => {
    const old = new Database(path, { create: true });
    old.run(migrations[0].sqlite);
    old.run("PRAGMA user_version = 1");
    old.run("INSERT INTO responses VALUES ('resp_old', ?, '{\"id\":\"resp_old\"}', '[]', '{\"systemTexts\":[],\"messages\":[]}')", [Date.now()]);
    old.close();
    const store = ResponseStore.open({ path, maxResponses: 10, maxAgeMs: day });
    expect(await store.size()).toBe(1);
    expect(await store.get("resp_old", { credentialHash: "" })).toBeUndefined();
    expect(await store.get("resp_old", alice)).toBeUndefined();
    await store.close();
  });

  test("a response belongs to the credential that stored it, and to its end user when one was named", async () => {
    const store = ResponseStore.open({ path, maxResponses: 10, maxAgeMs: day });
    await store.save(stored("resp_a", Date.now()));
    await store.save(stored("resp_u", Date.now(), { credentialHash: alice.credentialHash, endUser: "user-1" }));
    expect(await store.get("resp_a", bob)).toBeUndefined();
    expect(await store.delete("resp_a", bob)).toBe(false);
    expect((await store.get("resp_a", alice))?.id).toBe("resp_a");
    // Retrieval checks the credential only; continuing as another end user does not find it.
    expect((await store.get("resp_u", { credentialHash: alice.credentialHash }))?.id).toBe("resp_u");
    expect(await store.get("resp_u", { credentialHash: alice.credentialHash, endUser: "user-2" })).toBeUndefined();
    expect((await store.get("resp_u", { credentialHash: alice.credentialHash, endUser: "user-1" }))?.id).toBe("resp_u");
    await store.close();
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

  test("a file from a newer relay (higher schema version) is refused, not rewritten", async () => {
    await ResponseStore.open({ path, maxResponses: 10, maxAgeMs: day }).close();
    const database = new Database(path);
    database.run("PRAGMA user_version = 99");
    database.close();
    expect(() => ResponseStore.open({ path, maxResponses: 10, maxAgeMs: day })).toThrow(/newer agent-relay/);
  });
});

for (const engine of storeEngines) {
  describe(`ResponseStore on ${engine.name}`, () => {
    test("a saved response comes back field for field, and a second save of the same id replaces it", async () => {
      const store = new ResponseStore(await engine.open(), { maxResponses: 10, maxAgeMs: day });
      const createdAt = Date.now();
      await store.save(stored("resp_a", createdAt));
      expect(await store.get("resp_a", alice)).toEqual(stored("resp_a", createdAt));
      await store.save({ ...stored("resp_a", createdAt), response: { replaced: true } });
      expect((await store.get("resp_a", alice))?.response).toEqual({ replaced: true });
      expect(await store.size()).toBe(1);
      await store.close();
    });

    test("beyond maxResponses the oldest are removed on write", async () => {
      let now = 1_000_000;
      const store = new ResponseStore(await engine.open(), { maxResponses: 2, maxAgeMs: day, now: () => now });
      for (const id of ["resp_1", "resp_2", "resp_3"]) {
        await store.save(stored(id, now));
        now += 1000;
      }
      expect(await store.size()).toBe(2);
      expect(await store.get("resp_1", alice)).toBeUndefined();
      expect((await store.get("resp_2", alice))?.id).toBe("resp_2");
      expect((await store.get("resp_3", alice))?.id).toBe("resp_3");
      await store.close();
    });

    test("responses older than maxAgeMs are gone at once for readers and removed at the next write", async () => {
      let now = 1_000_000;
      const store = new ResponseStore(await engine.open(), { maxResponses: 10, maxAgeMs: day, now: () => now });
      await store.save(stored("resp_old", now));
      now += day + 1;
      expect(await store.get("resp_old", alice)).toBeUndefined();
      expect(await store.size()).toBe(1);
      await store.save(stored("resp_new", now));
      expect(await store.size()).toBe(1);
      expect((await store.get("resp_new", alice))?.id).toBe("resp_new");
      await store.close();
    });

    test("delete removes a response and says whether there was one", async () => {
      const store = new ResponseStore(await engine.open(), { maxResponses: 10, maxAgeMs: day });
      await store.save(stored("resp_a", Date.now()));
      expect(await store.delete("resp_a", alice)).toBe(true);
      expect(await store.get("resp_a", alice)).toBeUndefined();
      expect(await store.delete("resp_a", alice)).toBe(false);
      await store.close();
    });

    test("maxResponses 0 keeps nothing", async () => {
      const store = new ResponseStore(await engine.open(), { maxResponses: 0, maxAgeMs: day });
      await store.save(stored("resp_a", Date.now()));
      expect(await store.get("resp_a", alice)).toBeUndefined();
      await store.close();
    });

    test("concurrent saves and reads do not interleave inside a transaction", async () => {
      const store = new ResponseStore(await engine.open(), { maxResponses: 100, maxAgeMs: day });
      const now = Date.now();
      await Promise.all(Array.from({ length: 20 }, (_, index) => store.save(stored(`resp_${index}`, now + index))));
      const found = await Promise.all(Array.from({ length: 20 }, (_, index) => store.get(`resp_${index}`, alice)));
      expect(found.map((response) => response?.id)).toEqual(Array.from({ length: 20 }, (_, index) => `resp_${index}`));
      await store.close();
    });
  });
}
