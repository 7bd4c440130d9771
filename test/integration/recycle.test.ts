/**
 * Recycling with the real claude CLI against the fake upstream: a finished conversation's process is cleared
 * (`/clear`) and serves the same client's next new conversation with the same settings. What the upstream
 * receives is the proof that nothing of an earlier conversation leaks into a later one.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { isAlive, waitForExit } from "../support/processes.ts";
import { startTestRelay, type TestRelay } from "../support/test-relay.ts";

let relay: TestRelay | undefined;
/** Generous: the real CLI on a busy machine (these are not performance claims). */
const slow = 240_000;
afterEach(async () => {
  await relay?.close();
  relay = undefined;
});

interface Health {
  cli_processes: number;
  ready_processes: number;
  warm_processes: number;
  live_conversations: number;
  memory_in_use_bytes: number;
  memory_budget_bytes: number;
}

const health = async (target: TestRelay) => (await (await fetch(`${target.url}/health`)).json()) as Health;
const metrics = async (target: TestRelay) => (await fetch(`${target.url}/metrics`)).text();

async function waitFor(condition: () => Promise<boolean> | boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await Bun.sleep(25);
  }
  throw new Error("condition not met in time");
}

/** Processes the relay spawned for requests, in order. */
const spawned = (target: TestRelay) => target.logs.filter((line) => line.msg === "claude CLI started").map((line) => line.pid as number);
/** Requests served by a recycled process. */
const reused = (target: TestRelay) => target.logs.filter((line) => line.msg === "claude CLI reused").map((line) => line.pid as number);

const chat = (target: TestRelay, text: string, options: { apiKey?: string; system?: string } = {}) =>
  new OpenAI({ baseURL: `${target.url}/v1`, apiKey: options.apiKey ?? "client-a", maxRetries: 0 }).chat.completions.create({
    model: "sonnet",
    messages: [...(options.system ? [{ role: "system" as const, content: options.system }] : []), { role: "user" as const, content: text }],
  });

/** The client's own words in an upstream request: its text blocks without the date reminder every new session gets. */
function userWords(body: any): string[] {
  return body.messages.flatMap((message: any) =>
    message.content.filter((block: any) => block.type === "text" && !block.text.startsWith("<system-reminder>")).map((block: any) => block.text),
  );
}

/** An upstream request without what names its session (`metadata.user_id` carries the session id). */
const withoutSession = (body: any) => ({ ...body, metadata: undefined });
const sessionOf = (body: any) => JSON.parse(body.metadata.user_id).session_id as string;

describe("recycling", () => {
  test("one-turn conversations of one client are served by one process, and the upstream receives exactly what a new process would send", async () => {
    // Recycling is the default: no flag.
    relay = await startTestRelay({ args: ["--warm-processes", "0", "--conversation-idle-timeout", "0"] });
    // The third conversation repeats the first one's words, so its request can be compared with a new process's.
    const words = ["alpha-secret", "bravo-secret", "alpha-secret"];
    relay.upstream.enqueue(...words.map((word) => ({ kind: "text" as const, chunks: [`Answer about ${word}.`] })));
    for (const word of words) {
      const answer = await chat(relay, `Tell me about ${word}`, { system: "Be brief." });
      expect(answer.choices[0].message.content).toBe(`Answer about ${word}.`);
      await waitFor(async () => (await health(relay!)).ready_processes === 1);
    }
    expect(spawned(relay)).toHaveLength(1);
    expect(reused(relay)).toEqual([spawned(relay)[0], spawned(relay)[0]]);
    const requests = relay.upstream.messageRequests();
    expect(requests).toHaveLength(3);
    // A recycled process's first turn is byte for byte a new process's (the clear leaves no note behind),
    // in a session of its own.
    expect(withoutSession(requests[2].body)).toEqual(withoutSession(requests[0].body));
    expect(new Set(requests.map((request) => sessionOf(request.body))).size).toBe(3);
    requests.forEach((request, index) => {
      expect(userWords(request.body)).toEqual([`Tell me about ${words[index]}`]);
      expect(request.body.messages).toHaveLength(1);
      // The system prompt given with initialize is still in effect after a clear.
      expect(request.body.system.at(-1).text).toBe("Be brief.");
    });
    // Nothing of the other conversation, anywhere in the request.
    expect(JSON.stringify(requests[1].body)).not.toContain("alpha");
    expect(JSON.stringify(requests[2].body)).not.toContain("bravo");
    const text = await metrics(relay);
    expect(text).toMatch(/agent_relay_cli_clears_seconds_count 3/);
    expect(text).toMatch(/agent_relay_cli_turn_start_seconds_count\{source="recycled"\} 2/);
  }, slow);

  test("a burst of new conversations waits for processes about to be freed instead of starting one per request", async () => {
    relay = await startTestRelay({ args: ["--warm-processes", "0", "--conversation-idle-timeout", "0", "--max-concurrent", "4"] });
    const words = ["one-word", "two-word", "three-word", "four-word"];
    const answers = await Promise.all(words.map((word) => chat(relay!, `Tell me about ${word}`, { system: "Be brief." })));
    for (const answer of answers) expect(answer.choices[0].message.content).toBe("Hello from fake upstream!");
    // The first start-up serves the second request too, and so on: fewer processes than requests.
    expect(spawned(relay).length).toBeLessThan(words.length);
    expect(relay.logs.some((line) => line.msg === "a new conversation waited for a freed process")).toBe(true);
    // Each request carried its own conversation and nothing else.
    const requests = relay.upstream.messageRequests();
    expect(requests.map((request) => userWords(request.body)).sort()).toEqual(words.map((word) => [`Tell me about ${word}`]).sort());
  }, slow);

  test("after a burst, ready processes beyond the recent demand are given up after --spare-idle-timeout, down to --warm-processes", async () => {
    relay = await startTestRelay({ args: ["--warm-processes", "1", "--conversation-idle-timeout", "0", "--max-concurrent", "4", "--spare-idle-timeout", "2s"] });
    // Slow answers: requests that wait for a freed process run out of time and start their own.
    relay.upstream.enqueue(...Array.from({ length: 4 }, () => ({ kind: "text" as const, chunks: ["Slow answer."], delayMs: 4000 })));
    await Promise.all(["one", "two", "three", "four"].map((word) => chat(relay!, `Tell me about ${word}`)));
    // Every CLI the burst used (the warm one and those started for it). Not read from /health at one moment: on
    // a busy machine the burst's answers end seconds apart, and a process freed early may already be given up.
    const burst = relay.cliPids();
    expect(burst.length).toBeGreaterThanOrEqual(2);
    // Once the burst's peak is older than the timeout, only --warm-processes (1) processes are kept: a ready one,
    // or a warm one the pool started during the burst (both take the next new conversation).
    await waitFor(async () => {
      const now = await health(relay!);
      return now.cli_processes === 1 && now.ready_processes + now.warm_processes === 1 && relay!.aliveCliPids().length === 1;
    }, 60_000).catch(async (error) => {
      // Say what was left, so a failure on a busy machine can be told apart from a policy that keeps too much.
      const now = await health(relay!);
      const retired = (await metrics(relay!)).split("\n").filter((line) => line.includes("retired"));
      throw new Error(`${error.message}: burst ${burst}, alive ${relay!.aliveCliPids()}, health ${JSON.stringify(now)}, ${retired.join("; ")}`);
    });
    const [kept] = relay.aliveCliPids();
    expect(burst).toContain(kept);
    expect(await metrics(relay)).toMatch(/reason="spare"/);
    // The kept one serves the next conversation: no start-up for it (the warm pool may start its next warm
    // process afterwards, once the one kept was taken).
    const turnStarts = async (source: string) =>
      Number((await metrics(relay!)).match(new RegExp(`agent_relay_cli_turn_start_seconds_count\\{source="${source}"\\} (\\d+)`))?.[1] ?? 0);
    const before = { cold: await turnStarts("cold"), warm: await turnStarts("warm"), recycled: await turnStarts("recycled") };
    await chat(relay, "after the burst");
    expect(await turnStarts("cold")).toBe(before.cold);
    expect((await turnStarts("warm")) + (await turnStarts("recycled"))).toBe(before.warm + before.recycled + 1);
    expect(relay.aliveCliPids()).toContain(kept);
  }, slow);

  test("a recycled process never serves another client or another system prompt", async () => {
    // --recycle is still accepted (recycling is the default).
    relay = await startTestRelay({ args: ["--warm-processes", "0", "--conversation-idle-timeout", "0", "--recycle"] });
    await chat(relay, "from client a", { apiKey: "client-a" });
    await waitFor(async () => (await health(relay!)).ready_processes === 1);
    await chat(relay, "from client b", { apiKey: "client-b" });
    await chat(relay, "client a, other prompt", { apiKey: "client-a", system: "Another prompt." });
    expect(spawned(relay)).toHaveLength(3);
    expect(reused(relay)).toHaveLength(0);
    await waitFor(async () => (await health(relay!)).ready_processes === 3);
    await chat(relay, "client a again", { apiKey: "client-a" });
    expect(reused(relay)).toEqual([spawned(relay)[0]]);
    expect(JSON.stringify(relay.upstream.messageRequests().at(-1)!.body)).not.toContain("from client");
  }, slow);

  test("a new conversation takes over the same client's idle conversation; if that one comes back it is replayed", async () => {
    relay = await startTestRelay({ args: ["--warm-processes", "0"] });
    relay.upstream.enqueue({ kind: "text", chunks: ["First answer."] });
    const first: OpenAI.ChatCompletionMessageParam[] = [{ role: "user", content: "first conversation" }];
    const answer = await chat(relay, "first conversation");
    expect((await health(relay)).live_conversations).toBe(1);
    await chat(relay, "second conversation");
    expect(spawned(relay)).toHaveLength(1);
    expect(relay.logs.some((line) => line.msg === "a new conversation takes over an idle conversation's process")).toBe(true);
    expect(userWords(relay.upstream.messageRequests()[1].body)).toEqual(["second conversation"]);

    // The first conversation comes back: it is replayed in a new process, with exactly its own history.
    first.push(answer.choices[0].message, { role: "user", content: "and a follow-up" });
    await new OpenAI({ baseURL: `${relay.url}/v1`, apiKey: "client-a", maxRetries: 0 }).chat.completions.create({ model: "sonnet", messages: first });
    expect(spawned(relay)).toHaveLength(2);
    expect(userWords(relay.upstream.messageRequests()[2].body)).toEqual(["first conversation", "First answer.", "and a follow-up"]);
    expect(await metrics(relay)).toContain("agent_relay_cli_takeover_regrets_total 1");
  }, slow);

  test("--no-recycle ends each conversation's process as before", async () => {
    relay = await startTestRelay({ args: ["--warm-processes", "0", "--conversation-idle-timeout", "0", "--no-recycle"] });
    await chat(relay, "one");
    const [first] = spawned(relay);
    expect(await waitForExit(first, 8000)).toBe(true);
    await chat(relay, "two");
    expect(spawned(relay)).toHaveLength(2);
    expect((await health(relay)).ready_processes).toBe(0);
  }, slow);

  test("a process is ended, not recycled, once it has served its budget of conversations", async () => {
    relay = await startTestRelay({ args: ["--warm-processes", "0", "--conversation-idle-timeout", "0", "--recycle-max-conversations", "2"] });
    await chat(relay, "one");
    await waitFor(async () => (await health(relay!)).ready_processes === 1);
    await chat(relay, "two");
    const [pid] = spawned(relay);
    expect(await waitForExit(pid, 8000)).toBe(true);
    await chat(relay, "three");
    expect(spawned(relay)).toHaveLength(2);
    expect(await metrics(relay)).toContain('agent_relay_cli_retired_total{reason="conversations"} 1');
  }, slow);

  test("a cancelled turn's process is never reused: it is interrupted and ended", async () => {
    relay = await startTestRelay({ args: ["--warm-processes", "0", "--conversation-idle-timeout", "0"] });
    relay.upstream.enqueue({ kind: "stall", chunks: ["partial "] });
    const controller = new AbortController();
    const stream = await new OpenAI({ baseURL: `${relay.url}/v1`, apiKey: "client-a", maxRetries: 0 }).chat.completions.create(
      { model: "sonnet", stream: true, messages: [{ role: "user", content: "stall please" }] },
      { signal: controller.signal },
    );
    try {
      for await (const chunk of stream) if (chunk.choices[0]?.delta.content) controller.abort();
    } catch {
      // aborted by the test
    }
    const [cancelled] = spawned(relay);
    expect(await waitForExit(cancelled, 10_000)).toBe(true);
    await chat(relay, "after the cancel");
    expect(spawned(relay)).toHaveLength(2);
    expect(reused(relay)).toHaveLength(0);
    expect(userWords(relay.upstream.messageRequests().at(-1)!.body)).toEqual(["after the cancel"]);
  }, slow);
});

describe("memory budget", () => {
  test("idle processes are given up to stay under --max-memory; requests still succeed", async () => {
    relay = await startTestRelay({ args: ["--warm-processes", "1", "--max-memory", "1M"] });
    const answer = await chat(relay, "under a tiny budget");
    expect(answer.choices[0].message.content).toBe("Hello from fake upstream!");
    const [pid] = spawned(relay);
    // The governor samples every 5 s and gives up every idle process: the budget is smaller than one.
    expect(await waitForExit(pid, 20_000)).toBe(true);
    await waitFor(async () => (await health(relay!)).cli_processes === 0, 20_000);
    const current = await health(relay);
    expect(current.memory_budget_bytes).toBe(1024 ** 2);
    expect(await metrics(relay)).toMatch(/agent_relay_live_conversations_ended_total\{kind="idle",reason="memory"\} 1/);
    expect(isAlive(pid)).toBe(false);
  }, slow);
});

describe("warm start", () => {
  test("after a restart the warm pool starts with the settings used before: the first request is served warm", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "agent-relay-warm-start-"));
    const args = ["--warm-processes", "1", "--data-dir", dataDir];
    try {
      const before = await startTestRelay({ args });
      await chat(before, "before the restart");
      const file = join(dataDir, "claude-warm-settings.json");
      await waitFor(() => existsSync(file));
      expect(statSync(file).mode & 0o777).toBe(0o600);
      // Only argv and per-request variables: nothing of the inherited environment (credentials).
      expect(await Bun.file(file).text()).not.toContain("sk-ant");
      await before.close();

      relay = await startTestRelay({ args });
      await waitFor(async () => (await health(relay!)).cli_processes === 1);
      await chat(relay, "first request after the restart");
      expect(relay.logs.filter((line) => line.msg === "claude CLI started").map((line) => line.source)).toEqual(["warm"]);
    } finally {
      await relay?.close();
      relay = undefined;
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, slow);
});
