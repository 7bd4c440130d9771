/**
 * What a client sees of routing, through the app with the router over small in-memory backends: the
 * response headers, the error (with retry-after) when every target failed, and the request metric's labels.
 */
import { describe, expect, test } from "bun:test";
import { createApp } from "../../src/app.ts";
import { parseCommand } from "../../src/config.ts";
import { RelayError } from "../../src/core/relay-error.ts";
import type { RelayEvent } from "../../src/core/relay-event.ts";
import { RouterBackend } from "../../src/router/router-backend.ts";
import { parseRouteTarget } from "../../src/router/route-table.ts";
import { RelayMetrics } from "../../src/server/metrics.ts";
import { createLogger } from "../../src/util/logger.ts";
import { ScriptedBackend, type ScriptedAnswer } from "../support/scripted-backend.ts";
import { finish, streamStart, textBlock } from "./relay-events.ts";

const answer = (text: string): ScriptedAnswer => ({ events: [streamStart({ model: "served-model" }), ...textBlock("t", text), finish({ model: "served-model" })] });

function makeApp(primary: ScriptedBackend, secondary: ScriptedBackend) {
  const command = parseCommand(["--port", "0"], { HOME: "/nonexistent" });
  if (command.kind !== "serve") throw new Error("unexpected command");
  const logs: Array<Record<string, any>> = [];
  const log = createLogger({ level: "debug", write: (line) => logs.push(JSON.parse(line)) });
  const backend = new RouterBackend({
    providers: new Map([
      ["primary", primary],
      ["secondary", secondary],
    ]),
    routes: {
      routes: [{ pattern: "sonnet", targets: [parseRouteTarget("primary/big-model"), parseRouteTarget("secondary/small-model")] }],
      defaultTargets: [parseRouteTarget("primary")],
      providers: ["primary", "secondary"],
    },
    log,
  });
  const metrics = new RelayMetrics(() => backend.load());
  const app = createApp({ config: command.config, backend, metrics, log, version: "test", startedAt: new Date(), disableIdleTimeout: () => {} });
  return { app, logs, metrics };
}

const chat = (app: ReturnType<typeof createApp>, stream = false) =>
  app.handle(
    new Request("http://127.0.0.1/v1/chat/completions", {
      method: "POST",
      headers: { "content-type": "application/json", host: "127.0.0.1" },
      body: JSON.stringify({ model: "sonnet", stream, messages: [{ role: "user", content: "hi" }] }),
    }),
  );

describe("routing as the client sees it", () => {
  for (const stream of [false, true]) {
    test(`${stream ? "streaming" : "non-streaming"}: headers name the provider, its model and each target tried before`, async () => {
      const { app, logs, metrics } = makeApp(
        new ScriptedBackend("primary", [{ error: new RelayError("rate_limit", "slow down", { retryAfterSeconds: 3 }) }]),
        new ScriptedBackend("secondary", [answer("from the fallback")]),
      );
      const response = await chat(app, stream);
      expect(response.status).toBe(200);
      expect(await response.text()).toContain("from the fallback");
      expect(response.headers.get("x-agent-relay-provider")).toBe("secondary");
      expect(response.headers.get("x-agent-relay-model")).toBe("small-model");
      expect(response.headers.get("x-agent-relay-fallbacks")).toBe("primary/big-model: 429 rate limited, retry after 3s");
      const line = logs.find((entry) => entry.msg === "request completed");
      expect(line).toMatchObject({ provider: "secondary", provider_model: "small-model", fallbacks: ["primary/big-model: 429 rate limited, retry after 3s"] });
      expect(metrics.render()).toContain('provider="secondary",provider_model="small-model"');
    });
  }

  test("when every target fails, the last error in the client's protocol, with retry-after and the targets tried", async () => {
    const secondary = new ScriptedBackend("secondary", [{ error: new RelayError("rate_limit", "secondary says slow down", { retryAfterSeconds: 7 }) }]);
    const { app } = makeApp(new ScriptedBackend("primary", [{ error: new RelayError("overloaded", "primary overloaded") }]), secondary);
    const response = await chat(app);
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("7");
    expect(response.headers.get("x-agent-relay-fallbacks")).toBe("primary/big-model: 529 overloaded; secondary/small-model: 429 rate limited, retry after 7s");
    expect(((await response.json()) as { error: { message: string } }).error.message).toBe("secondary says slow down");

    // The secondary said when to come back: it is skipped until then. The primary (no retry-after) is tried again.
    const next = await chat(app);
    expect(next.status).toBe(503);
    expect(next.headers.get("x-agent-relay-fallbacks")).toMatch(/^secondary\/small-model: 429 cooling down [67]s; primary\/big-model: 529 overloaded$/);
    expect(Number(next.headers.get("retry-after"))).toBeGreaterThan(5);
    expect(secondary.requests).toHaveLength(1);
  });

  test("a warning the backend reports reaches the request's log line", async () => {
    const warned: ScriptedAnswer = {
      events: [{ ...(streamStart() as Extract<RelayEvent, { type: "stream-start" }>), warnings: [{ parameter: "seed", message: "no seeded sampling here" }] }, ...textBlock("t", "ok"), finish()],
    };
    const { app, logs } = makeApp(new ScriptedBackend("primary", [warned]), new ScriptedBackend("secondary", []));
    await (await chat(app)).text();
    expect(logs.find((entry) => entry.msg === "request completed")?.warnings).toEqual(["seed: no seeded sampling here"]);
  });
});
