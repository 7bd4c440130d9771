import type { RelayModel } from "../../core/relay-backend.ts";

/** The aliases every client may use, whatever the CLI lists (it lists some only with their "[1m]" variant). */
const standardAliases = ["opus", "sonnet", "haiku"];

/** The CLI's models, plus the full ids its aliases resolve to (with and without the "[1m]" context tag) and the standard aliases, each once. */
export function withFullClaudeIds(models: RelayModel[]): RelayModel[] {
  const seen = new Map<string, RelayModel>();
  const add = (id: string, model?: RelayModel) => {
    if (!seen.has(id)) seen.set(id, model ?? { id, displayName: id });
  };
  for (const model of models) {
    add(model.id, model);
    if (model.resolvesTo) {
      add(model.resolvesTo);
      add(model.resolvesTo.replace(/\[[^\]]*\]$/, ""));
    }
  }
  for (const alias of standardAliases) add(alias, { id: alias, displayName: alias[0].toUpperCase() + alias.slice(1) });
  return [...seen.values()];
}
