/**
 * Timed requests for the OpenAI-upstream benchmark, in the two client protocols that reach an OpenAI
 * upstream through a proxy: OpenAI Chat Completions (direct, or the relay) and Anthropic Messages (the relay,
 * or claude-code-router). Anything but a 200 with the expected text is a failure.
 */

export interface TimedSample {
  ok: boolean;
  error?: string;
  /** Start to the first body bytes carrying answer text (streaming). */
  firstTokenMs: number;
  totalMs: number;
}

export type ClientProtocol = "openai" | "anthropic";

export interface TimedRequest {
  protocol: ClientProtocol;
  /** The server root, e.g. http://127.0.0.1:8080 (paths are appended). */
  url: string;
  model: string;
  stream: boolean;
  /** The text that marks the first token and must appear in the answer. */
  expected: string;
}

export async function timedRequest(options: TimedRequest): Promise<TimedSample> {
  const start = performance.now();
  const path = options.protocol === "openai" ? "/v1/chat/completions" : "/v1/messages";
  // The same body is valid in both protocols.
  const body = { model: options.model, stream: options.stream, messages: [{ role: "user", content: "hi" }], max_tokens: 64_000 };
  try {
    const response = await fetch(`${options.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer bench", "x-api-key": "bench", "anthropic-version": "2023-06-01" },
      body: JSON.stringify(body),
    });
    if (response.status !== 200) {
      const text = await response.text();
      return { ok: false, error: `HTTP ${response.status}: ${text.slice(0, 200)}`, firstTokenMs: Number.NaN, totalMs: performance.now() - start };
    }
    if (!options.stream) {
      const text = await response.text();
      const totalMs = performance.now() - start;
      const ok = text.includes(options.expected);
      return { ok, error: ok ? undefined : `unexpected answer ${text.slice(0, 200)}`, firstTokenMs: totalMs, totalMs };
    }
    const decoder = new TextDecoder();
    let firstTokenMs = Number.NaN;
    let tail = "";
    for await (const chunk of response.body!) {
      if (!Number.isNaN(firstTokenMs)) continue;
      // The previous chunk's end is kept so a marker split across chunks is still seen.
      const text = tail + decoder.decode(chunk, { stream: true });
      if (text.includes(options.expected)) firstTokenMs = performance.now() - start;
      tail = text.slice(-options.expected.length);
    }
    const totalMs = performance.now() - start;
    const ok = !Number.isNaN(firstTokenMs);
    return { ok, error: ok ? undefined : "no answer text in the stream", firstTokenMs, totalMs };
  } catch (error) {
    return { ok: false, error: String(error), firstTokenMs: Number.NaN, totalMs: performance.now() - start };
  }
}

function countIn(text: string, marker: string): number {
  let count = 0;
  let index = text.indexOf(marker);
  while (index !== -1) {
    count++;
    index = text.indexOf(marker, index + marker.length);
  }
  return count;
}
