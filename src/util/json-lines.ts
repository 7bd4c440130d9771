/**
 * The one JSON-lines decoder: bytes in, one parsed value per line out.
 * Handles multi-byte characters and `\r\n` split across chunks, blank lines, and a last line without a newline.
 */

/** One decoded line: a JSON value, or a line that was not JSON (kept for the log). */
export type JsonLine = { kind: "json"; value: unknown } | { kind: "invalid"; line: string };

export class JsonLinesDecoder {
  private readonly textDecoder = new TextDecoder("utf-8");
  private buffer = "";

  /** Feeds a chunk; returns the lines it completed. */
  push(chunk: Uint8Array | string): JsonLine[] {
    this.buffer += typeof chunk === "string" ? chunk : this.textDecoder.decode(chunk, { stream: true });
    const lines: JsonLine[] = [];
    let newline: number;
    while ((newline = this.buffer.indexOf("\n")) >= 0) {
      const line = this.buffer.slice(0, newline);
      this.buffer = this.buffer.slice(newline + 1);
      const parsed = parseLine(line);
      if (parsed) lines.push(parsed);
    }
    return lines;
  }

  /** Ends the input; returns the last line if it had no trailing newline. */
  end(): JsonLine[] {
    this.buffer += this.textDecoder.decode();
    const rest = this.buffer;
    this.buffer = "";
    const parsed = parseLine(rest);
    return parsed ? [parsed] : [];
  }
}

function parseLine(raw: string): JsonLine | undefined {
  const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
  if (line.trim() === "") return undefined;
  try {
    return { kind: "json", value: JSON.parse(line) };
  } catch {
    return { kind: "invalid", line };
  }
}

/** Encodes one value as a JSON line. */
export function encodeJsonLine(value: unknown): string {
  return JSON.stringify(value) + "\n";
}
