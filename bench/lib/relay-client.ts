/**
 * One request to the relay's /v1/chat/completions, timed from the client: plain fetch (keep-alive is
 * Bun's default), non-streaming or streaming. Anything but a 200 with the expected answer is a failure.
 */

export interface RelaySample {
  ok: boolean;
  status: number;
  error?: string;
  /** Start to the response headers. */
  ttfbMs: number;
  /** Start to the first content delta (streaming only). */
  firstTokenMs: number;
  /** Start to the end of the body: the per-request wall time. */
  totalMs: number;
  text: string;
}

export async function relayRequest(url: string, body: Record<string, unknown>, stream: boolean): Promise<RelaySample> {
  const start = performance.now();
  let status = 0;
  let ttfbMs = Number.NaN;
  let firstTokenMs = Number.NaN;
  let text = "";
  try {
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer bench" },
      body: JSON.stringify({ ...body, stream }),
    });
    status = response.status;
    ttfbMs = performance.now() - start;
    if (!stream || status !== 200) {
      const payload: any = await response.json().catch(() => undefined);
      const totalMs = performance.now() - start;
      if (status !== 200) {
        return { ok: false, status, error: `HTTP ${status}: ${JSON.stringify(payload)?.slice(0, 300)}`, ttfbMs, firstTokenMs, totalMs, text };
      }
      text = payload?.choices?.[0]?.message?.content ?? "";
      return { ok: true, status, ttfbMs, firstTokenMs, totalMs, text };
    }
    if (!response.headers.get("content-type")?.startsWith("text/event-stream")) {
      throw new Error(`streaming answer has content-type ${response.headers.get("content-type")}`);
    }
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    let sawDone = false;
    while (true) {
      const next = await reader.read();
      if (next.done) break;
      buffer += decoder.decode(next.value, { stream: true });
      let boundary: number;
      while ((boundary = buffer.indexOf("\n\n")) >= 0) {
        const frame = buffer.slice(0, boundary);
        buffer = buffer.slice(boundary + 2);
        for (const line of frame.split("\n")) {
          if (!line.startsWith("data: ")) continue;
          const data = line.slice(6);
          if (data === "[DONE]") {
            sawDone = true;
            continue;
          }
          const chunk = JSON.parse(data);
          if (chunk.error) throw new Error(`in-band error: ${JSON.stringify(chunk.error)}`);
          const delta = chunk.choices?.[0]?.delta?.content;
          if (typeof delta === "string" && delta.length > 0) {
            if (Number.isNaN(firstTokenMs)) firstTokenMs = performance.now() - start;
            text += delta;
          }
        }
      }
    }
    const totalMs = performance.now() - start;
    if (!sawDone) return { ok: false, status, error: "stream ended without [DONE]", ttfbMs, firstTokenMs, totalMs, text };
    return { ok: true, status, ttfbMs, firstTokenMs, totalMs, text };
  } catch (error) {
    return { ok: false, status, error: String(error), ttfbMs, firstTokenMs, totalMs: performance.now() - start, text };
  }
}
