/**
 * Request values no process can take (a NUL byte, a value over the kernel's 128 KB per argument) are the
 * client's 400, not "the CLI was not found"; a CLI binary that exists but may not be run is named as such.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fakeClaudeBin, startTestRelay, type TestRelay } from "../support/test-relay.ts";

let relay: TestRelay;
let directory: string;

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), "agent-relay-spawn-"));
  relay = await startTestRelay({ claudeBin: fakeClaudeBin, args: ["--warm-processes", "0"] });
});
afterAll(async () => {
  await relay?.close();
  rmSync(directory, { recursive: true, force: true });
});

const chat = (url: string, body: Record<string, unknown>) =>
  fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "sonnet", messages: [{ role: "user", content: "hi" }], ...body }),
  });

describe("values the CLI cannot be given", () => {
  test("a NUL byte in the model name is a 400, and the log does not claim the CLI is missing", async () => {
    const response = await chat(relay.url, { model: "sonnet\u0000evil" });
    expect(response.status).toBe(400);
    const body = (await response.json()) as any;
    expect(body.error.type).toBe("invalid_request_error");
    expect(body.error.message).toContain("NUL byte");
    expect(body.error.message).not.toContain("not found");
  });

  test("a 200 KB model name is a 400, and the log line does not print it whole", async () => {
    const huge = `claude-${"m".repeat(200_000)}`;
    const response = await chat(relay.url, { model: huge });
    expect(response.status).toBe(400);
    expect(((await response.json()) as any).error.message).toContain("too long");
    const longest = Math.max(...relay.logs.map((line) => JSON.stringify(line).length));
    expect(longest).toBeLessThan(20_000);
  });

  test("a relay is still fine afterwards", async () => {
    expect((await chat(relay.url, {})).status).toBe(200);
  });
});

describe("the CLI binary", () => {
  test("a binary that exists but is not executable is named 'not executable', not 'not found'", async () => {
    const notExecutable = join(directory, "claude");
    writeFileSync(notExecutable, "#!/bin/sh\necho 2.1.197\n", { mode: 0o644 });
    const broken = await startTestRelay({ claudeBin: notExecutable, args: ["--warm-processes", "0"], upstream: relay.upstream });
    try {
      const response = await chat(broken.url, {});
      expect(response.status).toBe(503);
      const message = ((await response.json()) as any).error.message as string;
      expect(message).toContain("not executable");
      expect(message).not.toContain("was not found");
      const health = (await (await fetch(`${broken.url}/health`)).json()) as any;
      expect(health.status).toBe("degraded");
      expect(health.reason).toContain("not executable");
    } finally {
      await broken.close();
    }
  });

  test("a binary that does not exist is 'not found' with the install hint", async () => {
    const missing = await startTestRelay({ claudeBin: join(directory, "no-such-claude"), args: ["--warm-processes", "0"], upstream: relay.upstream });
    try {
      const response = await chat(missing.url, {});
      expect(response.status).toBe(503);
      expect(((await response.json()) as any).error.message).toContain("npm install -g @anthropic-ai/claude-code");
    } finally {
      await missing.close();
    }
  });
});
