/**
 * The router: one RelayBackend over several. It resolves the route for the requested model, tries its
 * targets in order until one starts answering, and merges what the providers report (models, health, load).
 * A target that fails before any output is skipped for the next one (and cools down for every request);
 * once output started, the answer belongs to that target and its errors reach the client in-band.
 */
import type { BackendContext, BackendHealth, BackendLoad, RelayBackend, RelayModel, RelayTokenCount } from "../core/relay-backend.ts";
import { incompleteResponseError, RelayError, toRelayError } from "../core/relay-error.ts";
import type { RelayBackendEvent, RelayEvent, RelayFallback, RelayRoute } from "../core/relay-event.ts";
import type { PassthroughContext, PassthroughProtocol, PassthroughRequest, PassthroughResponse } from "../core/relay-passthrough.ts";
import type { RelayRequest } from "../core/relay-request.ts";
import type { Logger } from "../util/logger.ts";
import { describeTargetFailure, isFallbackWorthy } from "./classify-target-failure.ts";
import { formatRouteTarget, resolveRoute, type ResolvedTarget, type RouteTable } from "./route-table.ts";
import { TargetCooldowns } from "./target-cooldowns.ts";

export interface RouterBackendOptions {
  /** The providers by name, each a backend. */
  providers: ReadonlyMap<string, RelayBackend>;
  routes: RouteTable;
  log: Logger;
  /** How long a target that failed without retry-after is tried after the others (default 5 s). */
  cooldownMs?: number;
  /** The clock, for tests. */
  now?: () => number;
}

/** Events that mean output reached (or is about to reach) the client: after one, no fallback. */
const outputEvents = new Set<RelayBackendEvent["type"]>(["text-delta", "reasoning-delta", "tool-input-start", "finish"]);

export class RouterBackend implements RelayBackend {
  readonly name = "router";
  private readonly cooldowns: TargetCooldowns;
  private readonly cooldownMs: number;

  constructor(private readonly options: RouterBackendOptions) {
    this.cooldowns = new TargetCooldowns(options.now);
    this.cooldownMs = options.cooldownMs ?? 5000;
  }

  /** The targets a model resolves to, in the order they will be tried now. */
  plan(model: string): { targets: ResolvedTarget[]; skipped: RelayFallback[]; retryAfterSeconds?: number } {
    const { targets } = resolveRoute(this.options.routes, model);
    const ready: ResolvedTarget[] = [];
    const later: ResolvedTarget[] = [];
    const skipped: RelayFallback[] = [];
    let retryAfterSeconds: number | undefined;
    for (const target of targets) {
      const label = formatRouteTarget(target);
      const cooldown = this.cooldowns.get(label);
      if (!cooldown) ready.push(target);
      else if (!cooldown.strict) later.push(target);
      else {
        const remaining = this.cooldowns.remainingSeconds(label);
        retryAfterSeconds = Math.min(retryAfterSeconds ?? Infinity, remaining);
        skipped.push({ target: label, reason: `${cooldown.status} cooling down ${Math.ceil(remaining)}s` });
      }
    }
    return { targets: [...ready, ...later], skipped, retryAfterSeconds };
  }

  async *stream(request: RelayRequest, context: BackendContext): AsyncGenerator<RelayBackendEvent> {
    const plan = this.plan(request.model);
    const fallbacks = [...plan.skipped];
    let lastError: RelayError | undefined;
    for (const target of plan.targets) {
      const backend = this.provider(target.provider);
      const label = formatRouteTarget(target);
      const route: RelayRoute = { provider: target.provider, providerType: backend.name, model: target.model, fallbacks: [...fallbacks] };
      const iterator = backend.stream({ ...request, model: target.model }, context)[Symbol.asyncIterator]();
      const buffered: RelayBackendEvent[] = [];
      try {
        while (true) {
          const next = await iterator.next();
          // Ending without any output is a failure of the target like any other.
          if (next.done) throw incompleteResponseError();
          buffered.push(next.value.type === "stream-start" ? { ...next.value, route } : next.value);
          if (outputEvents.has(next.value.type)) break;
        }
      } catch (thrown) {
        await iterator.return?.(undefined)?.catch(() => {});
        lastError = this.targetFailed(thrown, route, label, fallbacks, context);
        continue;
      }
      this.targetAnswered(label, fallbacks, context.log);
      yield* buffered;
      try {
        while (true) {
          const next = await iterator.next();
          if (next.done) return;
          yield next.value;
        }
      } finally {
        await iterator.return?.(undefined);
      }
    }
    throw this.exhausted(request.model, fallbacks, lastError, plan.retryAfterSeconds);
  }

  /** True when every target of the model's route forwards this protocol untranslated (a mixed chain goes through the hub). */
  supportsPassthrough(protocol: PassthroughProtocol, model: string): boolean {
    const { targets } = this.plan(model);
    return targets.length > 0 && targets.every((target) => this.provider(target.provider).supportsPassthrough?.(protocol, target.model) === true);
  }

  /**
   * Forwards the request to the route's targets in order, like `stream`: a target that fails before its
   * answer started (an error status, unreachable, timed out) lets the next one try.
   */
  async passthrough(request: PassthroughRequest, context: PassthroughContext): Promise<PassthroughResponse> {
    const plan = this.plan(context.model);
    const fallbacks = [...plan.skipped];
    let lastError: RelayError | undefined;
    for (const target of plan.targets) {
      const backend = this.provider(target.provider);
      const label = formatRouteTarget(target);
      const route: RelayRoute = { provider: target.provider, providerType: backend.name, model: target.model, fallbacks: [...fallbacks] };
      const onEvent = (event: RelayEvent) => context.onEvent(event.type === "stream-start" ? { ...event, route } : event);
      try {
        const response = await backend.passthrough!(request, { ...context, model: target.model, onEvent });
        this.targetAnswered(label, fallbacks, context.log);
        return { ...response, route };
      } catch (thrown) {
        lastError = this.targetFailed(thrown, route, label, fallbacks, context);
      }
    }
    throw this.exhausted(context.model, fallbacks, lastError, plan.retryAfterSeconds);
  }

  /**
   * A target failed before its answer started: rethrown when the client is gone or the error is the request's
   * own; otherwise the target cools down, is noted as a fallback, and the error is returned as the one to
   * answer with if nothing after it answers.
   */
  private targetFailed(thrown: unknown, route: RelayRoute, label: string, fallbacks: RelayFallback[], context: { signal: AbortSignal; log: Logger }): RelayError {
    const error = toRelayError(thrown);
    if (context.signal.aborted || !isFallbackWorthy(error)) throw error.withRoute(route);
    // A backend's own full queue frees up as soon as one of its requests ends: no cooldown for everyone.
    if (error.code !== "queue_full") this.cooldowns.start(label, { status: error.status, retryAfterSeconds: error.retryAfterSeconds, defaultMs: this.cooldownMs });
    fallbacks.push({ target: label, reason: describeTargetFailure(error) });
    context.log.warn("route target failed", { target: label, reason: describeTargetFailure(error), error: error.detail ?? error.message });
    return error.withRoute(route);
  }

  /** A target answered: its cooldown ends, and the log says which targets were tried before it. */
  private targetAnswered(label: string, fallbacks: RelayFallback[], log: Logger): void {
    this.cooldowns.clear(label);
    if (fallbacks.length > 0) log.info("route fell back", { target: label, fallbacks: fallbacks.map((fallback) => `${fallback.target}: ${fallback.reason}`) });
  }

  /**
   * The error when no target answered: the last failure, saying where it went and what was tried before (or
   * skipped after), or a 429 when every target is cooling down.
   */
  private exhausted(model: string, fallbacks: RelayFallback[], lastError: RelayError | undefined, coolingSeconds: number | undefined): RelayError {
    const last = lastError?.route;
    const lastLabel = last ? `${last.provider}/${last.model}` : undefined;
    const lastIndex = lastLabel === undefined ? -1 : fallbacks.findLastIndex((fallback) => fallback.target === lastLabel);
    const others = fallbacks.filter((_, index) => index !== lastIndex);
    const first = fallbacks[0]?.target.split("/")[0] ?? "";
    const route: RelayRoute = { provider: last?.provider ?? first, ...(last?.providerType ? { providerType: last.providerType } : {}), model: last?.model ?? model, fallbacks: last ? others : fallbacks };
    if (lastError) {
      // The client may retry when any target's cooldown ends, whichever comes first.
      if (lastError.retryAfterSeconds === undefined && coolingSeconds !== undefined) {
        return new RelayError(lastError.kind, lastError.message, {
          status: lastError.status,
          code: lastError.code,
          retryable: lastError.retryable,
          detail: lastError.detail,
          retryAfterSeconds: coolingSeconds,
          route,
        });
      }
      return lastError.withRoute(route);
    }
    return new RelayError("rate_limit", `Every target for model "${model}" is cooling down after rate limits; retry later.`, {
      code: "route_cooling_down",
      retryAfterSeconds: coolingSeconds,
      retryable: true,
      route,
    });
  }

  private provider(name: string): RelayBackend {
    const backend = this.options.providers.get(name);
    // The routing file is validated at start-up; this only guards programming errors.
    if (!backend) throw new RelayError("api_error", `The route names provider "${name}", which is not configured.`, { status: 500 });
    return backend;
  }

  async countTokens(request: RelayRequest, context: BackendContext): Promise<RelayTokenCount> {
    const [target] = this.plan(request.model).targets;
    if (!target) throw new RelayError("rate_limit", `Every target for model "${request.model}" is cooling down; retry later.`, { retryable: true });
    return this.provider(target.provider).countTokens({ ...request, model: target.model }, context);
  }

  /**
   * Every provider's models: a model is listed under its own name when that name routes to it, and as
   * "PROVIDER/MODEL" otherwise (which always routes to it); route names of the table are listed too.
   */
  async listModels(): Promise<RelayModel[]> {
    const seen = new Map<string, RelayModel>();
    const add = (model: RelayModel) => {
      if (!seen.has(model.id)) seen.set(model.id, model);
    };
    for (const route of this.options.routes.routes) {
      if (route.pattern.includes("*")) continue;
      add({ id: route.pattern, displayName: route.pattern, ownedBy: "agent-relay" });
    }
    const listed = await Promise.all(
      [...this.options.providers].map(async ([name, backend]) => {
        try {
          return { name, models: await backend.listModels() };
        } catch (error) {
          this.options.log.warn("could not list a provider's models", { provider: name, error: String(error) });
          return { name, models: [] };
        }
      }),
    );
    for (const { name, models } of listed) {
      for (const model of models) {
        const [target] = resolveRoute(this.options.routes, model.id).targets;
        const routesHere = target?.provider === name && target.model === model.id;
        add({ ...model, id: routesHere ? model.id : `${name}/${model.id}`, ownedBy: name });
      }
    }
    return [...seen.values()];
  }

  /**
   * Healthy when every provider a route or the default names is; each provider's health is in
   * details.providers (a provider no route names, such as an unused claude CLI, is listed but does not count).
   */
  health(): BackendHealth {
    const { routes, defaultTargets } = this.options.routes;
    const routed = new Set([...routes.flatMap((route) => route.targets), ...defaultTargets].map((target) => target.provider));
    const providers: Record<string, unknown> = {};
    const problems: string[] = [];
    for (const [name, backend] of this.options.providers) {
      const health = backend.health();
      providers[name] = { type: backend.name, ok: health.ok, ...(health.reason ? { reason: health.reason } : {}), routed: routed.has(name), ...health.details };
      if (!health.ok && routed.has(name)) problems.push(`${name}: ${health.reason ?? "unavailable"}`);
    }
    return { ok: problems.length === 0, ...(problems.length > 0 ? { reason: problems.join("; ") } : {}), details: { providers } };
  }

  /** The providers' load summed, details included (key by key). */
  load(): BackendLoad {
    const total: Required<BackendLoad> = { active: 0, queued: 0, details: {} };
    for (const backend of this.options.providers.values()) {
      const load = backend.load();
      total.active += load.active;
      total.queued += load.queued;
      for (const [key, value] of Object.entries(load.details ?? {})) total.details[key] = (total.details[key] ?? 0) + value;
    }
    return total;
  }

  async shutdown(graceMs: number): Promise<void> {
    await Promise.all([...this.options.providers.values()].map((backend) => backend.shutdown(graceMs)));
  }

  async start(): Promise<void> {
    await Promise.all([...this.options.providers.values()].map((backend) => backend.start?.()));
  }

  setRelayAddress(address: { host: string; port: number }): void {
    for (const backend of this.options.providers.values()) backend.setRelayAddress?.(address);
  }

  killAll(): void {
    for (const backend of this.options.providers.values()) backend.killAll?.();
  }

  processIds(): number[] {
    return [...this.options.providers.values()].flatMap((backend) => backend.processIds?.() ?? []);
  }
}
