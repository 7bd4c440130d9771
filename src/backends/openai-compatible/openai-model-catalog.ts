/**
 * The models a provider serves, read once from its GET /models and cached, with the output and context
 * limits it reports (OpenRouter: context_length and top_provider.max_completion_tokens; vLLM: max_model_len).
 * Limits in the routing file win. A provider that cannot be reached is unavailable, not fatal.
 */
import type { OpenAIModelLimits } from "./openai-compatible-options.ts";

/** One entry of a /models answer, with the limit fields the known providers add. */
interface ModelEntry {
  id?: unknown;
  name?: unknown;
  context_length?: unknown;
  context_window?: unknown;
  max_model_len?: unknown;
  max_output_tokens?: unknown;
  max_completion_tokens?: unknown;
  top_provider?: { max_completion_tokens?: unknown; context_length?: unknown } | null;
}

export interface CatalogModel {
  id: string;
  displayName: string;
  limits: OpenAIModelLimits;
}

export type CatalogStatus = { state: "unknown" } | { state: "ok"; checkedAt: number } | { state: "unavailable"; reason: string; checkedAt: number };

export class OpenAIModelCatalog {
  private models = new Map<string, CatalogModel>();
  private currentStatus: CatalogStatus = { state: "unknown" };
  private loading: Promise<void> | undefined;

  constructor(
    private readonly fetchModelList: () => Promise<unknown>,
    private readonly configuredLimits: Record<string, OpenAIModelLimits> = {},
  ) {}

  get status(): CatalogStatus {
    return this.currentStatus;
  }

  /** Reads /models (once at a time); failures only change the status. */
  refresh(): Promise<void> {
    this.loading ??= this.load().finally(() => (this.loading = undefined));
    return this.loading;
  }

  /** Waits for a refresh in progress, so the first request after start-up sees the limits. */
  async ready(): Promise<void> {
    if (this.loading) await this.loading;
  }

  list(): CatalogModel[] {
    const listed = [...this.models.values()];
    for (const id of Object.keys(this.configuredLimits)) {
      if (!this.models.has(id)) listed.push({ id, displayName: id, limits: this.configuredLimits[id]! });
    }
    return listed;
  }

  /** The limits of a model: the routing file's, then what /models reported. */
  limitsOf(model: string): OpenAIModelLimits | undefined {
    const reported = this.models.get(model)?.limits;
    const configured = this.configuredLimits[model];
    if (!reported && !configured) return undefined;
    return { ...reported, ...configured };
  }

  private async load(): Promise<void> {
    try {
      const answer = (await this.fetchModelList()) as { data?: unknown } | unknown[];
      const entries = Array.isArray(answer) ? answer : Array.isArray((answer as { data?: unknown }).data) ? ((answer as { data: unknown[] }).data) : undefined;
      if (!entries) throw new Error("the answer has no data list");
      const models = new Map<string, CatalogModel>();
      for (const entry of entries as ModelEntry[]) {
        if (typeof entry?.id !== "string") continue;
        models.set(entry.id, { id: entry.id, displayName: typeof entry.name === "string" ? entry.name : entry.id, limits: limitsOfEntry(entry) });
      }
      this.models = models;
      this.currentStatus = { state: "ok", checkedAt: Date.now() };
    } catch (error) {
      this.currentStatus = { state: "unavailable", reason: error instanceof Error ? error.message : String(error), checkedAt: Date.now() };
    }
  }
}

function positive(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? value : undefined;
}

export function limitsOfEntry(entry: ModelEntry): OpenAIModelLimits {
  const maxOutputTokens = positive(entry.top_provider?.max_completion_tokens) ?? positive(entry.max_output_tokens) ?? positive(entry.max_completion_tokens);
  const contextWindow = positive(entry.top_provider?.context_length) ?? positive(entry.context_length) ?? positive(entry.context_window) ?? positive(entry.max_model_len);
  const limits: OpenAIModelLimits = {};
  if (maxOutputTokens !== undefined) limits.maxOutputTokens = maxOutputTokens;
  if (contextWindow !== undefined) limits.contextWindow = contextWindow;
  return limits;
}
