/** The parsed body of each request, kept for observers of the hub (the inspector) without reading it twice. */
const bodies = new WeakMap<Request, unknown>();

export function rememberRequestBody(request: Request, body: unknown): void {
  if (body !== undefined) bodies.set(request, body);
}

export function requestBodyOf(request: Request): unknown {
  return bodies.get(request);
}
