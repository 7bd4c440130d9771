import { describe, expect, test } from "bun:test";
import type { BackendContext } from "../../src/core/relay-backend.ts";
import { RelayError } from "../../src/core/relay-error.ts";
import type { RelayBackendEvent } from "../../src/core/relay-event.ts";
import type { RelayRequest } from "../../src/core/relay-request.ts";
import { RouterBackend } from "../../src/router/router-backend.ts";
import { parseRouteTarget, type RouteTable } from "../../src/router/route-table.ts";
import { silentLogger } from "../../src/util/logger.ts";
import { ScriptedBackend, type ScriptedAnswer } from "../support/scripted-backend.ts";
import { finish, streamStart, textBlock } from "./relay-events.ts";

const answer = (text: string, model = "m"): ScriptedAnswer => ({ events: [streamStart({ model }), ...textBlock("t", text), finish({ model })] });
const failure = (kind: RelayError["kind"], status?: number, retryAfterSeconds?: number): ScriptedAnswer => ({
  error: new RelayError(kind, `${kind} happened`, { status, retryAfterSeconds }),
});

const request = (model: string): RelayRequest => ({ model, messages: [{ role: "user", content: [{ type: "text", text: "hi" }] }], stream: true, warnings: [] });
const context = (signal = new AbortController().signal): BackendContext => ({ signal, requestId: "req_1", log: silentLogger, clientKey: "k" });

function table(models: Record<string, string | string[]>, defaultTarget = "claude", providers = ["claude", "a", "b", "c"]): RouteTable {
  return {
    routes: Object.entries(models).map(([pattern, targets]) => ({ pattern, targets: (Array.isArray(targets) ? targets : [targets]).map(parseRouteTarget) })),
    defaultTargets: [parseRouteTarget(defaultTarget)],
    providers,
  };
}

function router(backends: ScriptedBackend[], routes: RouteTable, clock = { now: 1_000_000 }) {
  return new RouterBackend({ providers: new Map(backends.map((backend) => [backend.name, backend])), routes, log: silentLogger, cooldownMs: 5000, now: () => clock.now });
}

async function run(backend: RouterBackend, model: string, signal?: AbortSignal): Promise<{ events: RelayBackendEvent[]; error?: RelayError }> {
  const events: RelayBackendEvent[] = [];
  try {
    for await (const event of backend.stream(request(model), context(signal))) events.push(event);
    return { events };
  } catch (error) {
    return { events, error: error as RelayError };
  }
}

const textOf = (events: RelayBackendEvent[]) => events.flatMap((event) => (event.type === "text-delta" ? [event.delta] : [])).join("");
const routeOf = (events: RelayBackendEvent[]) => events.find((event) => event.type === "stream-start")?.route;

describe("RouterBackend: routing", () => {
  test("a route sends the request to its provider with the target's model; stream-start says where it went", async () => {
    const a = new ScriptedBackend("a", [answer("from a")]);
    const claude = new ScriptedBackend("claude", [answer("from claude")]);
    const { events } = await run(router([claude, a], table({ opus: "a/openai/gpt-5.4" })), "claude-opus-4-7");
    expect(textOf(events)).toBe("from a");
    expect(a.requests[0].model).toBe("openai/gpt-5.4");
    expect(routeOf(events)).toEqual({ provider: "a", providerType: "a", model: "openai/gpt-5.4", fallbacks: [] });
    expect(claude.requests).toHaveLength(0);
  });

  test("the default keeps the client's model for a bare provider; PROVIDER/MODEL from the client goes straight there", async () => {
    const a = new ScriptedBackend("a", [answer("a")]);
    const claude = new ScriptedBackend("claude", [answer("claude")]);
    const backend = router([claude, a], table({}));
    await run(backend, "gpt-4o");
    expect(claude.requests[0].model).toBe("gpt-4o");
    await run(backend, "a/qwen3:8b");
    expect(a.requests[0].model).toBe("qwen3:8b");
  });
});

describe("RouterBackend: fallback chains", () => {
  for (const [name, failed] of [
    ["429", failure("rate_limit")],
    ["overloaded 529", failure("overloaded")],
    ["500", failure("api_error")],
    ["503", failure("unavailable")],
    ["504 timeout", failure("timeout")],
    ["408", failure("invalid_request", 408)],
    ["409", failure("invalid_request", 409)],
    ["connection refused (502)", failure("api_error", 502)],
  ] as const) {
    test(`${name} before any output falls through to the next target`, async () => {
      const a = new ScriptedBackend("a", [failed]);
      const b = new ScriptedBackend("b", [answer("from b")]);
      const { events, error } = await run(router([a, b], table({ sonnet: ["a/one", "b/two"] })), "sonnet");
      expect(error).toBeUndefined();
      expect(textOf(events)).toBe("from b");
      expect(routeOf(events)?.provider).toBe("b");
      expect(routeOf(events)?.fallbacks).toEqual([{ target: "a/one", reason: expect.stringMatching(/^\d{3} /) }]);
      expect(a.closed).toBe(1);
    });
  }

  test("a 400 does not fall through: the client gets it, naming where it went", async () => {
    const a = new ScriptedBackend("a", [failure("invalid_request")]);
    const b = new ScriptedBackend("b", [answer("from b")]);
    const { error } = await run(router([a, b], table({ sonnet: ["a/one", "b/two"] })), "sonnet");
    expect(error).toMatchObject({ kind: "invalid_request", status: 400, route: { provider: "a", model: "one" } });
    expect(b.requests).toHaveLength(0);
  });

  test("a failure after output started does not fall through: the error reaches the client after the text", async () => {
    const a = new ScriptedBackend("a", [{ events: [streamStart(), { type: "text-start", id: "t" }, { type: "text-delta", id: "t", delta: "partial" }], thenError: new RelayError("overloaded", "overloaded") }]);
    const b = new ScriptedBackend("b", [answer("from b")]);
    const { events, error } = await run(router([a, b], table({ sonnet: ["a/one", "b/two"] })), "sonnet");
    expect(textOf(events)).toBe("partial");
    expect(error).toMatchObject({ kind: "overloaded" });
    expect(b.requests).toHaveLength(0);
  });

  test("a target that ends without output falls through", async () => {
    const a = new ScriptedBackend("a", [{ events: [streamStart()] }]);
    const b = new ScriptedBackend("b", [answer("from b")]);
    const { events } = await run(router([a, b], table({ sonnet: ["a/one", "b/two"] })), "sonnet");
    expect(textOf(events)).toBe("from b");
  });

  test("when every target fails the client gets the last error, from the last target, naming those tried before", async () => {
    const a = new ScriptedBackend("a", [failure("overloaded")]);
    const b = new ScriptedBackend("b", [failure("api_error", 503)]);
    const { error } = await run(router([a, b], table({ sonnet: ["a/one", "b/two"] })), "sonnet");
    expect(error).toMatchObject({ status: 503, route: { provider: "b", model: "two", fallbacks: [{ target: "a/one", reason: "529 overloaded" }] } });
  });

  test("a single target that fails names no fallbacks", async () => {
    const { error } = await run(router([new ScriptedBackend("a", [failure("api_error", 502)])], table({ sonnet: "a/one" })), "sonnet");
    expect(error?.route).toEqual({ provider: "a", providerType: "a", model: "one", fallbacks: [] });
  });

  test("a client disconnect before output does not try the next target", async () => {
    const abort = new AbortController();
    abort.abort();
    const a = new ScriptedBackend("a", [failure("api_error", 499)]);
    const b = new ScriptedBackend("b", [answer("from b")]);
    await run(router([a, b], table({ sonnet: ["a/one", "b/two"] })), "sonnet", abort.signal);
    expect(b.requests).toHaveLength(0);
  });
});

describe("RouterBackend: cooldowns", () => {
  test("a 429 with retry-after makes every request skip that target until then, and names it", async () => {
    const clock = { now: 1_000_000 };
    const a = new ScriptedBackend("a", [failure("rate_limit", 429, 3), answer("a again")]);
    const b = new ScriptedBackend("b", [answer("from b")]);
    const backend = router([a, b], table({ sonnet: ["a/one", "b/two"] }), clock);
    const first = await run(backend, "sonnet");
    expect(routeOf(first.events)?.fallbacks).toEqual([{ target: "a/one", reason: "429 rate limited, retry after 3s" }]);

    clock.now += 1000;
    const second = await run(backend, "sonnet");
    expect(a.requests).toHaveLength(1);
    expect(routeOf(second.events)?.fallbacks).toEqual([{ target: "a/one", reason: "429 cooling down 2s" }]);

    clock.now += 2500;
    const third = await run(backend, "sonnet");
    expect(a.requests).toHaveLength(2);
    expect(textOf(third.events)).toBe("a again");
  });

  test("when every target is cooling down the client gets a 429 with the soonest retry-after", async () => {
    const clock = { now: 1_000_000 };
    const a = new ScriptedBackend("a", [failure("rate_limit", 429, 10)]);
    const b = new ScriptedBackend("b", [failure("rate_limit", 429, 4)]);
    const backend = router([a, b], table({ sonnet: ["a/one", "b/two"] }), clock);
    const first = await run(backend, "sonnet");
    expect(first.error).toMatchObject({ status: 429, retryAfterSeconds: 4 });
    clock.now += 1000;
    const second = await run(backend, "sonnet");
    expect(second.error).toMatchObject({ status: 429, code: "route_cooling_down", retryAfterSeconds: 3 });
    expect(a.requests).toHaveLength(1);
    expect(b.requests).toHaveLength(1);
  });

  test("a backend's own full queue falls through but starts no cooldown: the next request tries it first again", async () => {
    const clock = { now: 1_000_000 };
    const queueFull: ScriptedAnswer = { error: new RelayError("rate_limit", "Too many concurrent requests", { code: "queue_full", retryAfterSeconds: 2 }) };
    const a = new ScriptedBackend("a", [queueFull, answer("a")]);
    const b = new ScriptedBackend("b", [answer("b")]);
    const backend = router([a, b], table({ sonnet: ["a/one", "b/two"] }), clock);
    expect(textOf((await run(backend, "sonnet")).events)).toBe("b");
    expect(textOf((await run(backend, "sonnet")).events)).toBe("a");
  });

  test("without retry-after a failed target is tried after the others for a short while, not skipped", async () => {
    const clock = { now: 1_000_000 };
    const a = new ScriptedBackend("a", [failure("api_error", 500), answer("a")]);
    const b = new ScriptedBackend("b", [answer("b"), failure("api_error", 500)]);
    const backend = router([a, b], table({ sonnet: ["a/one", "b/two"] }), clock);
    expect(textOf((await run(backend, "sonnet")).events)).toBe("b");
    // a is cooling down (soft): b goes first now; when b fails, a is still tried.
    const second = await run(backend, "sonnet");
    expect(b.requests).toHaveLength(2);
    expect(textOf(second.events)).toBe("a");
  });
});

describe("RouterBackend: merged reports", () => {
  test("models: route names, each provider's models under their own name when it routes there, else namespaced", async () => {
    const claude = new ScriptedBackend("claude", []);
    claude.models = [{ id: "sonnet", displayName: "Sonnet" }, { id: "opus", displayName: "Opus" }];
    const a = new ScriptedBackend("a", []);
    a.models = [{ id: "qwen3:8b", displayName: "qwen3:8b" }];
    const models = await router([claude, a], table({ opus: "a/qwen3:8b", "gpt-*": "claude/sonnet" })).listModels();
    expect(models.map((model) => [model.id, model.ownedBy])).toEqual([
      ["opus", "agent-relay"],
      ["sonnet", "claude"],
      ["claude/opus", "claude"],
      ["a/qwen3:8b", "a"],
    ]);
  });

  test("health lists every provider; one unavailable provider makes it degraded, not failed", () => {
    const claude = new ScriptedBackend("claude", []);
    const a = new ScriptedBackend("a", []);
    a.healthy = { ok: false, reason: "http://127.0.0.1:9/v1 cannot be reached", details: { base_url: "http://127.0.0.1:9/v1" } };
    const health = router([claude, a], table({ sonnet: "a/qwen" })).health();
    expect(health.ok).toBe(false);
    expect(health.reason).toBe("a: http://127.0.0.1:9/v1 cannot be reached");
    expect(health.details.providers).toMatchObject({ claude: { ok: true }, a: { ok: false, routed: true, base_url: "http://127.0.0.1:9/v1" } });
  });

  test("a provider no route names is listed but does not make the relay degraded", () => {
    const claude = new ScriptedBackend("claude", []);
    claude.healthy = { ok: false, reason: "claude not found", details: {} };
    const a = new ScriptedBackend("a", []);
    const health = router([claude, a], table({}, "a")).health();
    expect(health.ok).toBe(true);
    expect(health.details.providers).toMatchObject({ claude: { ok: false, routed: false, reason: "claude not found" } });
  });

  test("load sums the providers, details key by key", () => {
    const claude = new ScriptedBackend("claude", []);
    claude.currentLoad = { active: 2, queued: 1, details: { cli_processes: 3 } };
    const a = new ScriptedBackend("a", []);
    a.currentLoad = { active: 5, queued: 0 };
    expect(router([claude, a], table({})).load()).toEqual({ active: 7, queued: 1, details: { cli_processes: 3 } });
  });

  test("count_tokens goes to the route's first target with its model", async () => {
    const a = new ScriptedBackend("a", []);
    const claude = new ScriptedBackend("claude", []);
    const count = await router([claude, a], table({ haiku: "a/small" })).countTokens(request("claude-3-5-haiku-latest"), context());
    expect(count).toEqual({ inputTokens: 42, estimated: true });
    expect(a.requests[0].model).toBe("small");
  });
});
