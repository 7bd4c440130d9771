/**
 * A backend's reports (tools it ran itself) go to the hub's observers, the inspector and telemetry, and never
 * into the client's answer, on every protocol, streamed or not; the served path rides on stream-start.
 */
import { describe, expect, test } from "bun:test";
import { createApp } from "../../src/app.ts";
import { parseCommand } from "../../src/config.ts";
import type { RelayBackendEvent, RelayBackendToolRun } from "../../src/core/relay-event.ts";
import { RelayMetrics } from "../../src/server/metrics.ts";
import type { RelayRequestObserver } from "../../src/server/serve-relay-request.ts";
import { createLogger } from "../../src/util/logger.ts";
import { ScriptedBackend } from "../support/scripted-backend.ts";
import { finish, textBlock, usage } from "./relay-events.ts";

const toolRun = (id: string): RelayBackendToolRun => ({
  type: "backend-tool-run",
  id,
  toolName: "SecretReadTool",
  input: { file_path: "/private/notes.txt" },
  result: "PRIVATE-FILE-CONTENTS",
  isError: false,
  durationMs: 12,
  finishedAt: Date.now(),
});

function makeApp() {
  const command = parseCommand(["--port", "0"], { HOME: "/nonexistent" });
  if (command.kind !== "serve") throw new Error("unexpected command");
  const backend = new ScriptedBackend("claude-cli", [
    {
      events: [
        toolRun("toolu_before_output"),
        { type: "stream-start", id: "msg_1", model: "claude-sonnet-5", usage: usage({ inputTokens: 10 }), served: { path: "warm", details: { pid: 4242 } } },
        ...textBlock("t", "The answer."),
        toolRun("toolu_after_output"),
        finish(),
      ],
    },
  ]);
  const seen: RelayBackendEvent[] = [];
  const observer: RelayRequestObserver = { observe: () => ({ event: (event) => seen.push(event), finish: () => {} }) };
  const log = createLogger({ level: "error", write: () => {} });
  const app = createApp({ config: command.config, backend, metrics: new RelayMetrics(() => backend.load()), log, version: "test", startedAt: new Date(), disableIdleTimeout: () => {}, observer });
  return { app, seen };
}

const requests = {
  "openai-chat": { path: "/v1/chat/completions", body: { model: "sonnet", messages: [{ role: "user", content: "hi" }] } },
  "openai-responses": { path: "/v1/responses", body: { model: "sonnet", input: "hi", store: false } },
  "anthropic-messages": { path: "/v1/messages", body: { model: "sonnet", max_tokens: 100, messages: [{ role: "user", content: "hi" }] } },
};

describe("backend reports", () => {
  for (const [protocol, { path, body }] of Object.entries(requests)) {
    for (const stream of [false, true]) {
      test(`${protocol}${stream ? ", streamed" : ""}: the observers get the tool runs and the served path; the client gets neither`, async () => {
        const { app, seen } = makeApp();
        const response = await app.handle(
          new Request(`http://127.0.0.1${path}`, { method: "POST", headers: { "content-type": "application/json", host: "127.0.0.1" }, body: JSON.stringify({ ...body, stream }) }),
        );
        expect(response.status).toBe(200);
        const text = await response.text();
        expect(text).toContain("The answer.");
        for (const hidden of ["toolu_before_output", "toolu_after_output", "SecretReadTool", "PRIVATE-FILE-CONTENTS", "notes.txt", "4242"]) expect(text).not.toContain(hidden);
        expect(seen.filter((event) => event.type === "backend-tool-run").map((event) => (event as RelayBackendToolRun).id)).toEqual(["toolu_before_output", "toolu_after_output"]);
        expect(seen.find((event) => event.type === "stream-start")).toMatchObject({ served: { path: "warm", details: { pid: 4242 } } });
      });
    }
  }
});
