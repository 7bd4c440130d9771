/** Splits a base64 data URL ("data:image/png;base64,....") into media type and data; undefined if it is not one. */
export function parseDataUrl(url: string): { mediaType: string; data: string } | undefined {
  const match = /^data:([^;,]+)?((?:;[^;,]+)*?);base64,(.*)$/s.exec(url);
  if (!match) return undefined;
  return { mediaType: (match[1] || "application/octet-stream").toLowerCase(), data: match[3].trim() };
}
