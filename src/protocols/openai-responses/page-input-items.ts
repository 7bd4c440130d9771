import type { OpenAIResponsesItem } from "./parse-input-items.ts";
import type { OpenAIResponsesInputItemsQuery } from "./schema.ts";

/** One page of a stored response's input items, as GET /v1/responses/{id}/input_items returns it (newest first by default). */
export function pageOpenAIResponsesInputItems(items: OpenAIResponsesItem[], query: OpenAIResponsesInputItemsQuery) {
  const ordered = query.order === "asc" ? items : [...items].reverse();
  const limit = query.limit ?? 20;
  // An `after` the list does not hold gives an empty page, not the first one: a client paging on must not loop.
  const start = query.after === undefined ? 0 : ordered.findIndex((item) => item.id === query.after) + 1 || ordered.length;
  const data = ordered.slice(start, start + limit);
  return {
    object: "list" as const,
    data,
    first_id: (data[0]?.id as string | undefined) ?? null,
    last_id: (data.at(-1)?.id as string | undefined) ?? null,
    has_more: start + data.length < ordered.length,
  };
}
