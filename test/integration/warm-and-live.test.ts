/**
 * Warm processes and live conversations with the real claude CLI against the fake upstream: a new
 * conversation takes a process started ahead of time, the next turn goes to the process that answered the
 * previous one, and nothing else changes for the client.
 */
import { afterEach, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { metricValue } from "../support/metric-value.ts";
import { isAlive, waitForExit } from "../support/processes.ts";
import { fakeClaudeBin, startTestRelay, type TestRelay } from "../support/test-relay.ts";
import { waitFor } from "../support/wait-for.ts";

let relay: TestRelay | undefined;
afterEach(async () => {
  await relay?.close();
  relay = undefined;
});

interface Health {
  cli_processes: number;
  warm_processes: number;
  live_conversations: number;
}

const health = async (target: TestRelay) => (await (await fetch(`${target.url}/health`)).json()) as Health;
const waitForWarmProcesses = (target: TestRelay, count: number) =>
  waitFor(async () => (await health(target)).warm_processes === count, { what: `${count} warm process(es)` });
/** How many turns started in a process found this way (cold, warm or live). */
const turnsStarted = (target: TestRelay, source: "cold" | "warm" | "live") =>
  metricValue(target.url, `agent_relay_cli_turn_start_seconds_count{source="${source}"}`);

const chat = (target: TestRelay, messages: OpenAI.ChatCompletionMessageParam[], apiKey = "client-a") =>
  new OpenAI({ baseURL: `${target.url}/v1`, apiKey, maxRetries: 0 }).chat.completions.create({ model: "sonnet", messages });

describe("warm processes", () => {
  test("a new conversation takes a warm process; the pool refills after each use", async () => {
    relay = await startTestRelay({ args: ["--warm-processes", "1"] });
    await chat(relay, [{ role: "user", content: "first conversation" }]);
    await waitForWarmProcesses(relay, 1);
    const [, warmPid] = relay.cliPids();

    relay.upstream.enqueue({ kind: "text", chunks: ["Warm answer."] });
    const answer = await chat(relay, [
      { role: "system", content: "Answer warmly." },
      { role: "user", content: "second conversation" },
    ]);
    expect(answer.choices[0].message.content).toBe("Warm answer.");
    expect([await turnsStarted(relay, "cold"), await turnsStarted(relay, "warm")]).toEqual([1, 1]);
    expect(await metricValue(relay.url, 'agent_relay_warm_pool_requests_total{result="hit"}')).toBe(1);
    // The warm process now holds the second conversation.
    expect(isAlive(warmPid)).toBe(true);
    expect((await health(relay)).live_conversations).toBe(2);
    // The warm process got this request's system prompt late, through initialize.
    expect(relay.upstream.messageRequests().at(-1)!.body.system.at(-1).text).toBe("Answer warmly.");
    // ...and the pool refills: a third process, warm again.
    await waitForWarmProcesses(relay, 1);
    expect(relay.cliPids()).toHaveLength(3);
  });

  test("warm processes are started with the request's spawn settings: a different model does not take one", async () => {
    relay = await startTestRelay({ args: ["--warm-processes", "1"] });
    await chat(relay, [{ role: "user", content: "with sonnet" }]);
    await waitForWarmProcesses(relay, 1);
    await new OpenAI({ baseURL: `${relay.url}/v1`, apiKey: "client-a", maxRetries: 0 }).chat.completions.create({
      model: "haiku",
      messages: [{ role: "user", content: "with haiku" }],
    });
    expect([await turnsStarted(relay, "cold"), await turnsStarted(relay, "warm")]).toEqual([2, 0]);
    expect(relay.upstream.messageRequests().at(-1)!.body.model).toBe("claude-haiku-4-5-20251001");
  });

  test("a warm process that dies while idle leaves the pool; requests still succeed", async () => {
    relay = await startTestRelay({ args: ["--warm-processes", "1"] });
    await chat(relay, [{ role: "user", content: "prime the pool" }]);
    await waitForWarmProcesses(relay, 1);
    const [livePid, warmPid] = relay.cliPids();
    expect(relay.relay.processIds().sort()).toEqual([livePid, warmPid].sort());
    process.kill(-warmPid, "SIGKILL");
    expect(await waitForExit(warmPid)).toBe(true);
    await waitForWarmProcesses(relay, 0);
    expect(await metricValue(relay.url, 'agent_relay_warm_pool_evictions_total{reason="exited"}')).toBe(1);

    relay.upstream.enqueue({ kind: "text", chunks: ["Still fine."] });
    const answer = await chat(relay, [{ role: "user", content: "after the crash" }]);
    expect(answer.choices[0].message.content).toBe("Still fine.");
    expect(await turnsStarted(relay, "warm")).toBe(0);
  });

  test("idle warm processes are ended after the warm idle timeout", async () => {
    // The fast fake CLI: the pool refills only for settings used within the idle timeout, counted from the
    // request's arrival to its first token, and a cold start of the real CLI takes 15 s on a loaded 2-core machine.
    // What is tested here is the relay's timer, which does not depend on the CLI; recycling is off so the
    // conversation's own process ends (recycled processes and their idle timeout: recycle.test.ts).
    const warmIdleTimeoutMs = 3000;
    relay = await startTestRelay({
      claudeBin: fakeClaudeBin,
      args: ["--warm-processes", "1", "--warm-idle-timeout", `${warmIdleTimeoutMs}ms`, "--conversation-idle-timeout", "0", "--no-recycle"],
    });
    const startedAt = Date.now();
    await chat(relay, [{ role: "user", content: "once" }]);
    await waitFor(() => relay!.cliPids().length === 2, {
      what: `the pool to start a warm process (the request took ${Date.now() - startedAt} ms; the pool refills only within ${warmIdleTimeoutMs} ms)`,
    });
    const [coldPid, warmPid] = relay.cliPids();
    expect(await waitForExit(coldPid)).toBe(true);
    expect(await waitForExit(warmPid)).toBe(true);
    // Not ended sooner than the timeout (the warm process started after the request arrived).
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(warmIdleTimeoutMs);
    expect(await metricValue(relay.url, 'agent_relay_warm_pool_evictions_total{reason="idle"}')).toBe(1);
    expect((await health(relay)).cli_processes).toBe(0);
  });
});

describe("live conversations", () => {
  test("the next turn goes to the process that answered the previous one, with only the new turn sent", async () => {
    relay = await startTestRelay({ args: ["--warm-processes", "0"] });
    relay.upstream.enqueue({ kind: "text", chunks: ["Nice to meet you, Ada."] }, { kind: "text", chunks: ["Your name is Ada."], usage: { input_tokens: 40, output_tokens: 5 } });
    const messages: OpenAI.ChatCompletionMessageParam[] = [
      { role: "system", content: "Remember names." },
      { role: "user", content: "I am Ada." },
    ];
    const first = await chat(relay, messages);
    messages.push(first.choices[0].message, { role: "user", content: "What is my name?" });
    const second = await chat(relay, messages);

    expect(second.choices[0].message.content).toBe("Your name is Ada.");
    // The turn's own usage, not the process's running total.
    expect(second.usage).toMatchObject({ prompt_tokens: 40, completion_tokens: 5 });
    expect(relay.cliPids()).toHaveLength(1);
    expect(await metricValue(relay.url, 'agent_relay_conversation_continuations_total{path="live"}')).toBe(1);
    const [, continued] = relay.upstream.messageRequests();
    const turns = continued.body.messages.map((message: any) =>
      message.content.filter((block: any) => block.type === "text" && !block.text.startsWith("<system-reminder>")).map((block: any) => block.text).join(""),
    );
    expect(turns).toEqual(["I am Ada.", "Nice to meet you, Ada.", "What is my name?"]);
    expect(continued.body.system.at(-1).text).toBe("Remember names.");
  });

  test("the live path and the replay path send the model the same conversation", async () => {
    const conversation = async (args: string[]) => {
      const target = await startTestRelay({ args: ["--warm-processes", "0", ...args] });
      try {
        target.upstream.enqueue({ kind: "text", chunks: ["Paris."] }, { kind: "text", chunks: ["About 2.1 million."] });
        const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: "user", content: "Capital of France?" }];
        const first = await chat(target, messages);
        messages.push(first.choices[0].message, { role: "user", content: "Population?" });
        const second = await chat(target, messages);
        const body = target.upstream.messageRequests()[1].body;
        return {
          answer: second.choices[0].message.content,
          processes: target.cliPids().length,
          messages: body.messages.map((message: any) => ({ role: message.role, content: message.content.map(({ cache_control, ...block }: any) => block) })),
        };
      } finally {
        await target.close();
      }
    };
    const live = await conversation([]);
    const replayed = await conversation(["--conversation-idle-timeout", "0"]);
    expect([live.processes, replayed.processes]).toEqual([1, 2]);
    expect(replayed.answer).toBe(live.answer!);
    expect(replayed.messages).toEqual(live.messages);
  });

  test("a history that differs from the live process's falls back to replay in a new process", async () => {
    relay = await startTestRelay({ args: ["--warm-processes", "0"] });
    relay.upstream.enqueue({ kind: "text", chunks: ["Blue."] }, { kind: "text", chunks: ["Noted."] });
    const first = await chat(relay, [{ role: "user", content: "Favourite colour?" }]);
    const [livePid] = relay.cliPids();
    await chat(relay, [
      { role: "user", content: "Favourite colour?" },
      { role: "assistant", content: `${first.choices[0].message.content} (edited by the client)` },
      { role: "user", content: "Why?" },
    ]);
    expect(relay.cliPids()).toHaveLength(2);
    const replayed = relay.upstream.messageRequests()[1].body.messages[1].content[0].text;
    expect(replayed).toBe("Blue. (edited by the client)");
    // The live process stays with its own conversation; its client can still continue it.
    expect(isAlive(livePid)).toBe(true);
  });

  test("a process never serves two clients: the same history from another API key starts its own process", async () => {
    relay = await startTestRelay({ args: ["--warm-processes", "0"] });
    relay.upstream.enqueue({ kind: "text", chunks: ["Hello."] });
    const first = await chat(relay, [{ role: "user", content: "Hi" }], "client-a");
    const history: OpenAI.ChatCompletionMessageParam[] = [
      { role: "user", content: "Hi" },
      first.choices[0].message,
      { role: "user", content: "And now?" },
    ];
    await chat(relay, history, "client-b");
    expect(relay.cliPids()).toHaveLength(2);
    await chat(relay, history, "client-a");
    expect(relay.cliPids()).toHaveLength(2);
  });

  test("idle live conversations end after the conversation idle timeout", async () => {
    // Long enough that the conversation is surely still live when the next line asks, on a busy machine too.
    // Recycling off: with it the expired conversation's process is cleared and kept ready (see recycle.test.ts).
    relay = await startTestRelay({ args: ["--warm-processes", "0", "--conversation-idle-timeout", "3s", "--no-recycle"] });
    await chat(relay, [{ role: "user", content: "short-lived" }]);
    const [pid] = relay.cliPids();
    expect((await health(relay)).live_conversations).toBe(1);
    expect(await waitForExit(pid)).toBe(true);
    expect((await health(relay)).live_conversations).toBe(0);
    expect(await metricValue(relay.url, 'agent_relay_live_conversations_ended_total{kind="idle",reason="expired"}')).toBe(1);
  });
});

describe("memory cap", () => {
  test("the process cap holds: warm and idle processes are ended to make room, requests never fail for it", async () => {
    // Recycling off: with it, the four conversations share one process and nothing needs to make room.
    relay = await startTestRelay({ args: ["--warm-processes", "2", "--max-processes", "2", "--max-concurrent", "1", "--no-recycle"] });
    let peak = 0;
    const sampling = (async () => {
      while (relay) {
        peak = Math.max(peak, relay.relay.processIds().length);
        await Bun.sleep(5);
      }
    })();
    for (const text of ["one", "two", "three", "four"]) {
      const answer = await chat(relay, [{ role: "user", content: `conversation ${text}` }]);
      expect(answer.choices[0].message.content).toBe("Hello from fake upstream!");
    }
    await relay.settle();
    const current = await health(relay);
    expect(current.cli_processes).toBeLessThanOrEqual(2);
    expect(peak).toBeLessThanOrEqual(2);
    const metrics = await (await fetch(`${relay.url}/metrics`)).text();
    expect(metrics).toMatch(/agent_relay_(warm_pool_evictions_total\{reason="room"\}|live_conversations_ended_total\{kind="idle",reason="room"\}) [1-9]/);
    void sampling;
  });
});
