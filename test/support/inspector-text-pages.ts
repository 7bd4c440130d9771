/**
 * Free-text search checked the plain way: every page of a store's answer, and what a substring scan of the
 * previews gives (newest first), for the store tests on both engines and the word-index tests.
 */
import type { InspectorStore } from "../../src/store/inspector-store.ts";

/** The ids of every page the store answers for `text` (and `model`), page by page through the cursor. */
export async function allTextPages(store: InspectorStore, text: string, options: { model?: string; limit?: number } = {}): Promise<string[]> {
  const ids: string[] = [];
  let before: number | undefined;
  for (let page = 0; page < 500; page++) {
    const result = await store.list({ text, model: options.model }, { limit: options.limit ?? 25, before });
    ids.push(...result.items.map((item) => item.id));
    if (result.nextCursor === null) return ids;
    before = result.nextCursor;
  }
  throw new Error("the pages never ended");
}

/**
 * The ids (`req_0000`, ... by index) of the previews holding `needle` case-insensitively, newest first; `modelOf`
 * gives each row's model when a model filter applies.
 */
export function substringMatches(previews: string[], needle: string, filter: { model?: string; modelOf?: (index: number) => string } = {}): string[] {
  return previews
    .flatMap((preview, index) =>
      preview.toLowerCase().includes(needle.toLowerCase()) && (!filter.model || filter.modelOf?.(index) === filter.model) ? [`req_${String(index).padStart(4, "0")}`] : [],
    )
    .reverse();
}
