/**
 * The data payloads of an SSE response body, one string per event (multi-line data joined with "\n").
 * Comments and event names are skipped: Chat Completions streams carry everything in data.
 * TODO(hub): replace with the shared SSE decoder once it is merged.
 */
export async function* readSseData(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = "";
  let data: string[] = [];
  const reader = body.getReader();
  const takeLine = (line: string): string | undefined => {
    if (line === "") {
      const payload = data.length > 0 ? data.join("\n") : undefined;
      data = [];
      return payload;
    }
    if (line.startsWith("data:")) data.push(line.slice(line.startsWith("data: ") ? 6 : 5));
    return undefined;
  };
  try {
    while (true) {
      const { value, done } = await reader.read();
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      let position = 0;
      while (position < buffer.length) {
        const lineFeed = buffer.indexOf("\n", position);
        const carriageReturn = buffer.indexOf("\r", position);
        const end = lineFeed === -1 ? carriageReturn : carriageReturn === -1 ? lineFeed : Math.min(lineFeed, carriageReturn);
        if (end === -1) break;
        // A \r at the end of what arrived may be the first half of \r\n: wait for the next chunk.
        if (buffer[end] === "\r" && end === buffer.length - 1 && !done) break;
        const line = buffer.slice(position, end);
        position = end + (buffer[end] === "\r" && buffer[end + 1] === "\n" ? 2 : 1);
        const payload = takeLine(line);
        if (payload !== undefined) yield payload;
      }
      buffer = buffer.slice(position);
      if (done) break;
    }
    if (buffer) takeLine(buffer);
    const last = takeLine("");
    if (last !== undefined) yield last;
  } finally {
    reader.releaseLock();
  }
}
