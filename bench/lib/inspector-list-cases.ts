/**
 * The list queries the inspector benchmarks time against the table of inspector-million-rows.ts: every
 * filter of the list and each kind of free text (the previews hold `module <row % 10000>`, so the rarity of a
 * text is known).
 */
import type { InspectorStore } from "../../src/store/inspector-store.ts";

export interface InspectorListCase {
  name: string;
  /** Free-text cases are the ones the text-search benchmark compares between the two indexes. */
  kind: "filter" | "text";
  run(store: InspectorStore): Promise<unknown>;
}

export async function inspectorListCases(store: InspectorStore, rowCount: number): Promise<InspectorListCase[]> {
  const deepCursor = (await store.list({}, { limit: 1, before: Math.floor(rowCount / 2) })).items[0]?.seq ?? 1;
  const session = `session-${Math.floor(rowCount / 80)}`;
  const filter = (name: string, run: InspectorListCase["run"]): InspectorListCase => ({ name, kind: "filter", run });
  const text = (name: string, run: InspectorListCase["run"]): InspectorListCase => ({ name, kind: "text", run });
  return [
    filter("newest 100, no filter", (store) => store.list({}, { limit: 100 })),
    filter("page at the middle (cursor)", (store) => store.list({}, { limit: 100, before: deepCursor })),
    filter("model = claude-haiku-4-5", (store) => store.list({ model: "claude-haiku-4-5" }, { limit: 100 })),
    filter("status = 500", (store) => store.list({ status: "500" }, { limit: 100 })),
    filter("status = error (>= 400)", (store) => store.list({ status: "error" }, { limit: 100 })),
    filter("client key prefix", (store) => store.list({ client: "2a" }, { limit: 100 })),
    filter("one session", (store) => store.list({ session }, { limit: 100 })),
    text("free text, frequent", (store) => store.list({ text: "module 42" }, { limit: 100 })),
    text("free text, rare (about 1 row in 10,000)", (store) => store.list({ text: "module 9999" }, { limit: 100 })),
    text("free text, no match, every trigram common", (store) => store.list({ text: "module 10000" }, { limit: 100 })),
    text("free text, one word", (store) => store.list({ text: "logging" }, { limit: 100 })),
    text("free text, three common words, rare together", (store) => store.list({ text: "add logging to" }, { limit: 100 })),
    text("free text, starts and ends inside words", (store) => store.list({ text: "actor parser modu" }, { limit: 100 })),
    text("free text, next page (cursor)", async (store) => {
      const first = await store.list({ text: "module 42" }, { limit: 100 });
      return store.list({ text: "module 42" }, { limit: 100, before: first.nextCursor ?? undefined });
    }),
    text("free text, an id", (store) => store.list({ text: `req_${(rowCount - 5).toString(36).padStart(8, "0")}` }, { limit: 100 })),
    filter("session view (40 turns)", (store) => store.session(session)),
  ];
}

/** Runs a case once to warm up, then `rounds` times; the times in ms. */
export async function timeListCase(store: InspectorStore, listCase: InspectorListCase, rounds: number): Promise<number[]> {
  await listCase.run(store);
  const times: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const started = performance.now();
    await listCase.run(store);
    times.push(performance.now() - started);
  }
  return times;
}
