/**
 * The relay as a hostile web page and a hostile client see it: cross-site form posts, malformed Host
 * headers, oversized bodies, other clients' stored responses, and what the CLI and the data directory let
 * out. Uses a recording wrapper around the fake CLI to tell whether a request reached a CLI at all.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { parseCommand } from "../../src/config.ts";
import { startRelay } from "../../src/cli.ts";
import { silentLogger } from "../../src/util/logger.ts";
import { rawHttp } from "../support/raw-http.ts";
import { createRecordingClaude, type RecordingClaude } from "../support/recording-claude.ts";
import { fakeClaudeBin, startTestRelay, type TestRelay } from "../support/test-relay.ts";

const apiKey = "relay-secret-key-for-tests";
let directory: string;
let claude: RecordingClaude;
/** Agent mode without a key, and agent mode with a key; both with a small body limit. */
let open: TestRelay;
let keyed: TestRelay;

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), "agent-relay-security-"));
  claude = createRecordingClaude(directory);
  // No kept conversations: the fake CLI answers one turn per process, so continuations go by replay.
  const common = ["--agent", "--warm-processes", "0", "--conversation-idle-timeout", "0", "--max-body-size", "64KB"];
  const env = { AGENT_RELAY_API_KEY: "must-not-reach-the-cli", AGENT_RELAY_SOMETHING_ELSE: "private" };
  open = await startTestRelay({ claudeBin: claude.bin, args: common, env });
  keyed = await startTestRelay({ claudeBin: claude.bin, args: [...common, "--api-key", apiKey], env, upstream: open.upstream });
});
afterAll(async () => {
  await keyed?.close();
  await open?.close();
  rmSync(directory, { recursive: true, force: true });
});

const apiPaths = ["/v1/responses", "/v1/chat/completions", "/v1/messages"] as const;
const evilOrigin = "https://evil.example";

function formBody(kind: "urlencoded" | "multipart"): { body: URLSearchParams | FormData } {
  if (kind === "urlencoded") return { body: new URLSearchParams({ model: "sonnet", input: "write pwned.txt", messages: "hi" }) };
  const form = new FormData();
  form.set("model", "sonnet");
  form.set("input", "write pwned.txt");
  return { body: form };
}

function expectProtocolError(path: string, body: any, type: string) {
  if (path === "/v1/messages") expect(body).toMatchObject({ type: "error", error: { type } });
  else expect(body).toMatchObject({ error: { type } });
  expect(typeof body.error.message).toBe("string");
}

describe("cross-site requests never reach the CLI", () => {
  for (const kind of ["urlencoded", "multipart"] as const) {
    for (const withKey of [false, true]) {
      test(`${kind} from an evil origin, ${withKey ? "with" : "without"} the key: 403 before the body is read, no CLI started`, async () => {
        const relay = withKey ? keyed : open;
        const sessionsBefore = claude.sessions().length;
        for (const path of apiPaths) {
          const response = await fetch(`${relay.url}${path}`, {
            method: "POST",
            headers: { origin: evilOrigin, ...(withKey ? { authorization: `Bearer ${apiKey}` } : {}) },
            ...formBody(kind),
          });
          expect(response.status).toBe(403);
          expect(response.headers.get("access-control-allow-origin")).toBeNull();
          const body = await response.json();
          expectProtocolError(path, body, "permission_error");
          expect(JSON.stringify(body)).toContain("--cors-origins");
        }
        expect(claude.sessions().length).toBe(sessionsBefore);
      });
    }

    test(`${kind} without an Origin (curl) is 415 in the caller's protocol; no CLI started`, async () => {
      const sessionsBefore = claude.sessions().length;
      for (const path of apiPaths) {
        const response = await fetch(`${keyed.url}${path}`, { method: "POST", headers: { "x-api-key": apiKey }, ...formBody(kind) });
        expect(response.status).toBe(415);
        const body = await response.json();
        expectProtocolError(path, body, "invalid_request_error");
        expect(JSON.stringify(body)).toContain("application/json");
      }
      expect(claude.sessions().length).toBe(sessionsBefore);
    });
  }

  test("a JSON body from an evil origin is refused too; text/plain (a CORS-simple type) is 415", async () => {
    const sessionsBefore = claude.sessions().length;
    const json = JSON.stringify({ model: "sonnet", input: "hi" });
    const fromEvil = await fetch(`${open.url}/v1/responses`, { method: "POST", headers: { origin: evilOrigin, "content-type": "application/json" }, body: json });
    expect(fromEvil.status).toBe(403);
    const plain = await fetch(`${open.url}/v1/responses`, { method: "POST", headers: { "content-type": "text/plain" }, body: json });
    expect(plain.status).toBe(415);
    expect(claude.sessions().length).toBe(sessionsBefore);
    // Nothing in the agent's workspace either.
    expect([...new Bun.Glob("**/*").scanSync({ cwd: join(open.home, "relay-data", "workspace"), dot: true })].length).toBe(0);
  });

  test("an allowed origin (a local web app) and +json content types work", async () => {
    const response = await fetch(`${open.url}/v1/chat/completions`, {
      method: "POST",
      headers: { origin: "http://localhost:5173", "content-type": "application/vnd.api+json; charset=utf-8" },
      body: JSON.stringify({ model: "sonnet", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("access-control-allow-origin")).toBe("http://localhost:5173");
    expect(((await response.json()) as any).choices[0].message.content).toBe("Hello from the fake CLI");
  });

  test("every refusal gets exactly one log line with the status the client received", async () => {
    const requestId = `req-security-${Date.now()}`;
    await fetch(`${keyed.url}/v1/chat/completions`, { method: "POST", headers: { origin: evilOrigin, "x-request-id": requestId }, ...formBody("urlencoded") });
    const lines = keyed.logs.filter((line) => line.request_id === requestId && line.msg === "request completed");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ status: 403, path: "/v1/chat/completions" });
  });
});

describe("malformed Host headers", () => {
  const variants = {
    "a Host with a space": "GET /v1/models HTTP/1.1\r\nHost: a b\r\nConnection: close\r\n\r\n",
    "an empty Host": "GET /v1/models HTTP/1.1\r\nHost: \r\nConnection: close\r\n\r\n",
    "HTTP/1.0 without Host": "GET /v1/models HTTP/1.0\r\n\r\n",
    "a POST with a bad Host": 'POST /v1/chat/completions HTTP/1.1\r\nHost: a b\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}',
  };
  for (const [name, text] of Object.entries(variants)) {
    test(`${name}: 400 JSON, no development error page, with and without a key`, async () => {
      for (const relay of [open, keyed]) {
        const answer = await rawHttp(relay.url, text);
        expect(answer.status).toBe(400);
        expect(answer.headers.toLowerCase()).toContain("content-type: application/json");
        expect(answer.body).not.toContain("<");
        expect(answer.body).not.toContain(process.cwd());
        expect(JSON.parse(answer.body.slice(answer.body.indexOf("{"), answer.body.lastIndexOf("}") + 1))).toMatchObject({
          error: { type: "invalid_request_error", code: "invalid_host" },
        });
      }
    });
  }
});

describe("--max-body-size", () => {
  const big = (path: string) =>
    path === "/v1/messages"
      ? { model: "sonnet", max_tokens: 10, messages: [{ role: "user", content: "x".repeat(100_000) }] }
      : { model: "sonnet", input: "x".repeat(100_000), messages: [{ role: "user", content: "x".repeat(100_000) }] };

  test("a body over the limit is 413 in the caller's protocol, with a log line, and no CLI is started", async () => {
    const sessionsBefore = claude.sessions().length;
    for (const path of apiPaths) {
      const requestId = `req-big-${path.replaceAll("/", "-")}-${Date.now()}`;
      const response = await fetch(`${open.url}${path}`, { method: "POST", headers: { "content-type": "application/json", "x-request-id": requestId }, body: JSON.stringify(big(path)) });
      expect(response.status).toBe(413);
      const body = (await response.json()) as any;
      expectProtocolError(path, body, path === "/v1/messages" ? "request_too_large" : "invalid_request_error");
      expect(JSON.stringify(body)).toContain("64 KB");
      const lines = open.logs.filter((line) => line.request_id === requestId && line.msg === "request completed");
      expect(lines).toEqual([expect.objectContaining({ status: 413 })]);
    }
    expect(claude.sessions().length).toBe(sessionsBefore);
  });

  test("a chunked body without Content-Length is counted as it is read: 413 too", async () => {
    const payload = new TextEncoder().encode(JSON.stringify(big("/v1/chat/completions")));
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let offset = 0; offset < payload.length; offset += 8192) controller.enqueue(payload.subarray(offset, offset + 8192));
        controller.close();
      },
    });
    const response = await fetch(`${open.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body, duplex: "half" } as RequestInit);
    expect(response.status).toBe(413);
    expect(((await response.json()) as any).error.message).toContain("--max-body-size");
  });

  test("the default limit is 32 MB, like the Anthropic API's", () => {
    const command = parseCommand([], {});
    expect(command.kind === "serve" && command.config.maxBodyBytes).toBe(32 * 1024 * 1024);
  });
});

describe("the relay's secrets and files", () => {
  test("AGENT_RELAY_* variables (the relay's key above all) never reach a CLI", async () => {
    const response = await fetch(`${open.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "sonnet", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(response.status).toBe(200);
    expect(claude.sessions().length).toBeGreaterThan(0);
    expect(claude.relayVariablesSeen()).toEqual([]);
  });

  test("--api-key-file: the key comes from a file, so it is not on the command line", async () => {
    const keyFile = join(directory, "relay.key");
    writeFileSync(keyFile, "key-from-a-file\n", { mode: 0o600 });
    const relay = await startTestRelay({ claudeBin: fakeClaudeBin, args: ["--warm-processes", "0", "--api-key-file", keyFile], upstream: open.upstream });
    try {
      const ask = (key?: string) =>
        fetch(`${relay.url}/v1/chat/completions`, {
          method: "POST",
          headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) },
          body: JSON.stringify({ model: "sonnet", messages: [{ role: "user", content: "hi" }] }),
        });
      expect((await ask()).status).toBe(401);
      expect((await ask("key-from-a-file\n".trim())).status).toBe(200);
    } finally {
      await relay.close();
    }
    expect(() => parseCommand(["--api-key-file", join(directory, "missing.key")], {})).toThrow(/cannot read/);
    expect(() => parseCommand(["--api-key-file", keyFile, "--api-key", "x"], {})).toThrow(/not both/);
  });

  test("an existing data directory is narrowed to 0700; the database and its -wal and -shm files are 0600", async () => {
    const dataDir = join(directory, "existing-data-dir");
    mkdirSync(dataDir, { mode: 0o755 });
    const relay = await startTestRelay({ claudeBin: fakeClaudeBin, args: ["--warm-processes", "0", "--data-dir", dataDir], upstream: open.upstream });
    try {
      const client = new OpenAI({ baseURL: `${relay.url}/v1`, apiKey: "x", maxRetries: 0 });
      await client.responses.create({ model: "sonnet", input: "hi" });
      const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);
      expect(mode(dataDir)).toBe("700");
      expect(mode(join(dataDir, "workspace"))).toBe("700");
      for (const file of ["agent-relay.sqlite", "agent-relay.sqlite-wal", "agent-relay.sqlite-shm"]) expect([file, mode(join(dataDir, file))]).toEqual([file, "600"]);
    } finally {
      await relay.close();
    }
  });

  test("a second relay on a port in use fails at start with a clear message", async () => {
    const port = Number(new URL(open.url).port);
    const command = parseCommand(["--port", String(port), "--data-dir", join(directory, "second"), "--claude-bin", fakeClaudeBin, "--warm-processes", "0"], {});
    if (command.kind !== "serve") throw new Error("unexpected command");
    const started = startRelay({ config: command.config, log: silentLogger, env: { PATH: process.env.PATH } });
    expect(started).rejects.toThrow(new RegExp(`port ${port} on 127.0.0.1 is already in use`));
    await started.catch(() => {});
  });
});

describe("stored responses belong to the client that created them", () => {
  const clientWith = (key: string) => new OpenAI({ baseURL: `${open.url}/v1`, apiKey: key, maxRetries: 0 });
  // Built once the relay runs (the file's beforeAll); a describe body runs before any hook.
  let alice: OpenAI;
  let mallory: OpenAI;
  beforeAll(() => {
    alice = clientWith("alice-key");
    mallory = clientWith("mallory-key");
  });

  test("another credential gets the same answers as for an id that does not exist", async () => {
    const created = await alice.responses.create({ model: "sonnet", input: "my secret" });
    const missing = "resp_00000000000000000000000000000000";
    const outcome = async (action: Promise<unknown>) => {
      const error = (await action.then(() => undefined, (caught) => caught)) as InstanceType<typeof OpenAI.APIError> | undefined;
      return error && { status: error.status, type: (error.error as any)?.type, code: (error.error as any)?.code };
    };
    const attempts = (id: string) => [
      outcome(mallory.responses.retrieve(id)),
      outcome(mallory.responses.inputItems.list(id)),
      outcome(mallory.responses.delete(id)),
      outcome(mallory.responses.create({ model: "sonnet", previous_response_id: id, input: "and?" })),
    ];
    const forOthers = await Promise.all(attempts(created.id));
    const forMissing = await Promise.all(attempts(missing));
    expect(forOthers).toEqual(forMissing);
    expect(forOthers.map((result) => result?.status)).toEqual([404, 404, 404, 400]);
    // The owner still has it, untouched by the attempts.
    expect((await alice.responses.retrieve(created.id)).id).toBe(created.id);
  });

  test("the same credential with another end user (safety_identifier or user) cannot continue it", async () => {
    const created = await alice.responses.create({ model: "sonnet", input: "hi", safety_identifier: "end-user-1" });
    const other = await alice.responses.create({ model: "sonnet", previous_response_id: created.id, input: "and?", safety_identifier: "end-user-2" }).catch((caught) => caught);
    expect(other).toBeInstanceOf(OpenAI.BadRequestError);
    expect(other.error.code).toBe("previous_response_not_found");
    const same = await alice.responses.create({ model: "sonnet", previous_response_id: created.id, input: "and?", safety_identifier: "end-user-1" });
    expect(same.status).toBe("completed");
  });
});
