import { describe, expect, test } from "bun:test";
import { createSseResponse, encodeSseFrame, type SseFrame } from "../../src/server/sse.ts";
import { waitFor } from "../support/wait-for.ts";

const text = (data: Uint8Array) => new TextDecoder().decode(data);

describe("encodeSseFrame", () => {
  const cases: Array<{ name: string; frame: SseFrame; expected: string }> = [
    { name: "named event with JSON data", frame: { event: "message_start", data: { type: "message_start", n: 1 } }, expected: 'event: message_start\ndata: {"type":"message_start","n":1}\n\n' },
    { name: "unnamed event with JSON data", frame: { data: { id: "x", choices: [] } }, expected: 'data: {"id":"x","choices":[]}\n\n' },
    { name: "the [DONE] literal is sent as is, not JSON-quoted", frame: { data: "[DONE]" }, expected: "data: [DONE]\n\n" },
    { name: "comment frame", frame: { comment: "keepalive" }, expected: ": keepalive\n\n" },
    { name: "a newline inside a JSON string stays escaped on one data line", frame: { data: { text: "a\nb" } }, expected: 'data: {"text":"a\\nb"}\n\n' },
    { name: "multi-byte text is UTF-8 encoded", frame: { data: { text: "é€😀" } }, expected: 'data: {"text":"é€😀"}\n\n' },
  ];
  for (const { name, frame, expected } of cases) {
    test(name, () => {
      expect(text(encodeSseFrame(frame))).toBe(expected);
    });
  }
});

/** A source whose every step is controlled by the test, recording whether return() was called. */
function controlledSource() {
  const steps: Array<(result: IteratorResult<SseFrame>) => void> = [];
  const state = { nextCalls: 0, returnCalls: 0 };
  const iterator: AsyncIterator<SseFrame> = {
    next() {
      state.nextCalls++;
      return new Promise((resolve) => steps.push(resolve));
    },
    async return() {
      state.returnCalls++;
      return { done: true, value: undefined };
    },
  };
  return {
    frames: { [Symbol.asyncIterator]: () => iterator },
    state,
    /** Resolves the oldest pending next(). */
    async emit(frame: SseFrame) {
      while (steps.length === 0) await Bun.sleep(1);
      steps.shift()!({ done: false, value: frame });
    },
  };
}

async function readAll(response: Response): Promise<string> {
  return await response.text();
}

describe("createSseResponse", () => {
  test("sends SSE headers and the encoded frames in order, then ends", async () => {
    async function* frames(): AsyncGenerator<SseFrame> {
      yield { event: "a", data: { n: 1 } };
      yield { data: "[DONE]" };
    }
    const response = createSseResponse({ frames: frames(), keepaliveFrame: { comment: "keepalive" }, keepaliveIntervalMs: 10_000, headers: { "x-request-id": "req_1" } });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expect(response.headers.get("cache-control")).toBe("no-cache");
    expect(response.headers.get("x-accel-buffering")).toBe("no");
    expect(response.headers.get("x-request-id")).toBe("req_1");
    expect(await readAll(response)).toBe('event: a\ndata: {"n":1}\n\ndata: [DONE]\n\n');
  });

  test("inserts keepalive frames while the source is quiet, without losing or repeating the next frame", async () => {
    const source = controlledSource();
    const response = createSseResponse({ frames: source.frames, keepaliveFrame: { comment: "keepalive" }, keepaliveIntervalMs: 20 });
    const reader = response.body!.getReader();
    const readFrame = async () => text((await reader.read()).value!);
    await source.emit({ data: { n: 1 } });
    expect(await readFrame()).toBe('data: {"n":1}\n\n');
    // The source stays quiet until two keepalives went out, however slow the machine.
    expect([await readFrame(), await readFrame()]).toEqual([": keepalive\n\n", ": keepalive\n\n"]);
    await source.emit({ data: { n: 2 } });
    const rest: string[] = [];
    for (let frame = await readFrame(); ; frame = await readFrame()) {
      rest.push(frame);
      if (frame !== ": keepalive\n\n") break;
    }
    expect(rest.at(-1)).toBe('data: {"n":2}\n\n');
    await reader.cancel();
    // Asked for each frame once: the keepalives did not pull the source.
    expect(source.state.nextCalls).toBeLessThanOrEqual(3);
  });

  test("the keepalive frame can be a named event (Anthropic ping)", async () => {
    const source = controlledSource();
    const response = createSseResponse({ frames: source.frames, keepaliveFrame: { event: "ping", data: { type: "ping" } }, keepaliveIntervalMs: 10 });
    const reader = response.body!.getReader();
    const first = await reader.read();
    expect(text(first.value!)).toBe('event: ping\ndata: {"type":"ping"}\n\n');
    // The quiet period did not ask the source for a second frame: the first next() is still pending.
    expect(source.state.nextCalls).toBe(1);
    await source.emit({ data: { n: 1 } });
    expect(text((await reader.read()).value!)).toBe('data: {"n":1}\n\n');
    await reader.cancel();
  });

  test("no keepalive is sent when frames arrive faster than the interval", async () => {
    async function* frames(): AsyncGenerator<SseFrame> {
      for (let n = 0; n < 5; n++) {
        await Bun.sleep(2);
        yield { data: { n } };
      }
    }
    // 2 ms apart against a 10 s interval: no stall of a busy machine comes near it.
    const body = await readAll(createSseResponse({ frames: frames(), keepaliveFrame: { comment: "keepalive" }, keepaliveIntervalMs: 10_000 }));
    expect(body).not.toContain("keepalive");
    expect(body.split("\n\n").filter(Boolean)).toHaveLength(5);
  });

  test("when the reader cancels, onCancel runs once and the source's return() is invoked", async () => {
    const source = controlledSource();
    let cancels = 0;
    const response = createSseResponse({ frames: source.frames, keepaliveFrame: { comment: "k" }, keepaliveIntervalMs: 10_000, onCancel: () => cancels++ });
    const reader = response.body!.getReader();
    const read = reader.read();
    await source.emit({ data: { n: 1 } });
    expect(text((await read).value!)).toBe('data: {"n":1}\n\n');
    await reader.cancel("client went away");
    expect(cancels).toBe(1);
    expect(source.state.returnCalls).toBe(1);
  });

  test("a generator source runs its finally block after a cancel, once its pending await settles", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let cleanedUp = false;
    async function* frames(): AsyncGenerator<SseFrame> {
      try {
        yield { data: { n: 1 } };
        await gate;
        yield { data: { n: 2 } };
      } finally {
        cleanedUp = true;
      }
    }
    const response = createSseResponse({ frames: frames(), keepaliveFrame: { comment: "k" }, keepaliveIntervalMs: 10_000 });
    const reader = response.body!.getReader();
    await reader.read();
    // Start the next pull so the generator is suspended in its await, then hang up.
    void reader.read().catch(() => {});
    await Bun.sleep(5);
    await reader.cancel();
    release();
    await waitFor(() => cleanedUp, { what: "the generator's finally block" });
  });

  test("onCancel is not called when the stream ended normally", async () => {
    let cancels = 0;
    async function* frames(): AsyncGenerator<SseFrame> {
      yield { data: "[DONE]" };
    }
    const response = createSseResponse({ frames: frames(), keepaliveFrame: { comment: "k" }, keepaliveIntervalMs: 10_000, onCancel: () => cancels++ });
    await readAll(response);
    expect(cancels).toBe(0);
  });

  test("a source that throws ends the stream instead of hanging it", async () => {
    async function* frames(): AsyncGenerator<SseFrame> {
      yield { data: { n: 1 } };
      throw new Error("renderer broke");
    }
    const body = await readAll(createSseResponse({ frames: frames(), keepaliveFrame: { comment: "k" }, keepaliveIntervalMs: 10_000 }));
    expect(body).toBe('data: {"n":1}\n\n');
  });
});
