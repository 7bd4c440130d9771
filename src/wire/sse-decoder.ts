/**
 * The one Server-Sent Events decoder (the encoder is src/server/sse.ts): bytes in, events out, following the
 * WHATWG event-stream rules: lines end in \n, \r\n or \r (also when split across chunks), multi-byte
 * characters may be split across chunks, ":" lines are comments, several data lines join with "\n", a blank
 * line ends an event. Used by HTTP backends reading upstream streams, by tests and by bench/.
 */

/** One decoded event. */
export interface SseEvent {
  /** The `event:` field; absent for unnamed events (which the spec calls "message"). */
  event?: string;
  /** The data lines, joined with "\n". */
  data: string;
  /** The `id:` field, when the event had one. */
  id?: string;
  /** The `retry:` field in milliseconds, when the event had a valid one. */
  retry?: number;
}

export class SseDecoder {
  private readonly textDecoder = new TextDecoder("utf-8");
  private buffer = "";
  /** The previous chunk ended in "\r": a "\n" starting the next chunk belongs to that line ending. */
  private pendingCarriageReturn = false;
  private eventName: string | undefined;
  private dataLines: string[] = [];
  private id: string | undefined;
  private retry: number | undefined;

  /** Feeds a chunk; returns the events it completed. */
  push(chunk: Uint8Array | string): SseEvent[] {
    let text = typeof chunk === "string" ? chunk : this.textDecoder.decode(chunk, { stream: true });
    if (this.pendingCarriageReturn && text !== "") {
      if (text.startsWith("\n")) text = text.slice(1);
      this.pendingCarriageReturn = false;
    }
    if (text !== "") this.pendingCarriageReturn = text.endsWith("\r");
    this.buffer += text;
    const events: SseEvent[] = [];
    let start = 0;
    for (let index = 0; index < this.buffer.length; index++) {
      const character = this.buffer[index];
      if (character !== "\n" && character !== "\r") continue;
      const event = this.acceptLine(this.buffer.slice(start, index));
      if (event) events.push(event);
      if (character === "\r" && this.buffer[index + 1] === "\n") index++;
      start = index + 1;
    }
    this.buffer = this.buffer.slice(start);
    return events;
  }

  /**
   * Ends the input. An event whose closing blank line never came is still delivered: upstreams that end the
   * body right after the last data line mean it as complete.
   */
  end(): SseEvent[] {
    const events = this.push(this.textDecoder.decode());
    if (this.buffer !== "") {
      const event = this.acceptLine(this.buffer);
      this.buffer = "";
      if (event) events.push(event);
    }
    const last = this.dispatch();
    if (last) events.push(last);
    return events;
  }

  private acceptLine(line: string): SseEvent | undefined {
    if (line === "") return this.dispatch();
    if (line.startsWith(":")) return undefined;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    switch (field) {
      case "event":
        this.eventName = value;
        break;
      case "data":
        this.dataLines.push(value);
        break;
      case "id":
        // An id containing NUL is ignored, as the spec says.
        if (!value.includes("\u0000")) this.id = value;
        break;
      case "retry":
        if (/^\d+$/.test(value)) this.retry = Number(value);
        break;
      default:
        // Unknown fields are ignored.
        break;
    }
    return undefined;
  }

  private dispatch(): SseEvent | undefined {
    const hasData = this.dataLines.length > 0;
    const event: SseEvent = { data: this.dataLines.join("\n") };
    if (this.eventName !== undefined && this.eventName !== "") event.event = this.eventName;
    if (this.id !== undefined) event.id = this.id;
    if (this.retry !== undefined) event.retry = this.retry;
    this.eventName = undefined;
    this.dataLines = [];
    this.retry = undefined;
    // An event without data lines is not dispatched (spec); its id still counts for the next one.
    return hasData ? event : undefined;
  }
}

/** Decodes a byte stream (a fetch body) into events; stops reading when the consumer stops. */
export async function* decodeSseStream(body: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const decoder = new SseDecoder();
  for await (const chunk of body as AsyncIterable<Uint8Array>) yield* decoder.push(chunk);
  yield* decoder.end();
}
