/**
 * An incremental Server-Sent Events decoder: bytes in (split anywhere, even inside a UTF-8 character or a
 * CRLF), complete events out. Follows the WHATWG parsing rules the clients use: CR, LF or CRLF end lines,
 * a blank line dispatches, `:` lines are comments, several `data:` lines join with "\n".
 */

export interface SseEvent {
  /** The `event:` field, or "message" when absent. */
  event: string;
  data: string;
  id?: string;
}

export class SseEventDecoder {
  private readonly textDecoder = new TextDecoder();
  private pending = "";
  private event = "";
  private data: string[] = [];
  private id: string | undefined;

  /** Decodes a chunk; returns the events it completed. */
  push(chunk: Uint8Array): SseEvent[] {
    return this.lines(this.textDecoder.decode(chunk, { stream: true }), false);
  }

  /** Flushes the end of the stream (a last event without its blank line is dispatched). */
  end(): SseEvent[] {
    const events = this.lines(this.textDecoder.decode(), true);
    if (this.pending) events.push(...this.line(this.pending));
    this.pending = "";
    const last = this.dispatch();
    if (last) events.push(last);
    return events;
  }

  private lines(text: string, final: boolean): SseEvent[] {
    const events: SseEvent[] = [];
    const buffer = this.pending + text;
    let start = 0;
    for (let index = 0; index < buffer.length; index++) {
      const code = buffer.charCodeAt(index);
      if (code !== 10 && code !== 13) continue;
      // A CR at the very end may be the first half of a CRLF split across chunks.
      if (code === 13 && index === buffer.length - 1 && !final) break;
      events.push(...this.line(buffer.slice(start, index)));
      if (code === 13 && buffer.charCodeAt(index + 1) === 10) index++;
      start = index + 1;
    }
    this.pending = buffer.slice(start);
    return events;
  }

  private line(line: string): SseEvent[] {
    if (line === "") {
      const event = this.dispatch();
      return event ? [event] : [];
    }
    if (line.startsWith(":")) return [];
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    switch (field) {
      case "event":
        this.event = value;
        break;
      case "data":
        this.data.push(value);
        break;
      case "id":
        this.id = value;
        break;
      default:
        break;
    }
    return [];
  }

  private dispatch(): SseEvent | undefined {
    if (this.data.length === 0) {
      this.event = "";
      return undefined;
    }
    const event: SseEvent = { event: this.event || "message", data: this.data.join("\n"), ...(this.id !== undefined ? { id: this.id } : {}) };
    this.event = "";
    this.data = [];
    return event;
  }
}
