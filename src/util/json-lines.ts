/**
 * The one JSON-lines decoder: bytes in, one parsed value per line out.
 * Handles multi-byte characters and `\r\n` split across chunks, blank lines, and a last line without a newline.
 */

/** One decoded line: a JSON value, or a line that was not JSON (kept for the log). */
export type JsonLine = { kind: "json"; value: unknown } | { kind: "invalid"; line: string };

/** A line grew past the decoder's limit without a newline. */
export class LineTooLongError extends Error {
  constructor(readonly maxLineLength: number) {
    super(`a line grew longer than ${maxLineLength} characters without a newline`);
    this.name = "LineTooLongError";
  }
}

export interface JsonLinesDecoderOptions {
  /** The longest line accepted, in characters; push() throws LineTooLongError beyond. Unlimited by default. */
  maxLineLength?: number;
}

export class JsonLinesDecoder {
  private readonly textDecoder = new TextDecoder("utf-8");
  private buffer = "";
  /** Where the search for the next newline resumes: a long line is scanned once, not once per chunk. */
  private scannedUpTo = 0;
  private readonly maxLineLength: number;

  constructor(options: JsonLinesDecoderOptions = {}) {
    this.maxLineLength = options.maxLineLength ?? Number.POSITIVE_INFINITY;
  }

  /** Feeds a chunk; returns the lines it completed. */
  push(chunk: Uint8Array | string): JsonLine[] {
    this.buffer += typeof chunk === "string" ? chunk : this.textDecoder.decode(chunk, { stream: true });
    const lines: JsonLine[] = [];
    let start = 0;
    let newline: number;
    while ((newline = this.buffer.indexOf("\n", Math.max(start, this.scannedUpTo))) >= 0) {
      if (newline - start > this.maxLineLength) throw new LineTooLongError(this.maxLineLength);
      const parsed = parseLine(this.buffer.slice(start, newline));
      if (parsed) lines.push(parsed);
      start = newline + 1;
    }
    this.buffer = this.buffer.slice(start);
    this.scannedUpTo = this.buffer.length;
    if (this.buffer.length > this.maxLineLength) throw new LineTooLongError(this.maxLineLength);
    return lines;
  }

  /** Ends the input; returns the last line if it had no trailing newline. */
  end(): JsonLine[] {
    this.buffer += this.textDecoder.decode();
    const rest = this.buffer;
    this.buffer = "";
    this.scannedUpTo = 0;
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
