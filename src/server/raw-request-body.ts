/**
 * Keeps the exact bytes of a JSON request body beside the parsed value, for routes that may forward the
 * request untranslated (the passthrough path edits bytes, it never serialises the parsed body again).
 * The app's one body reader (readJsonBody) remembers them.
 */

const rawBodies = new WeakMap<Request, Uint8Array>();

/** Remembers the body bytes of a request as they were read. */
export function rememberRawBody(request: Request, bytes: Uint8Array): void {
  rawBodies.set(request, bytes);
}

/** The body bytes of a request, as read by the app's body reader. */
export function rawBodyOf(request: Request): Uint8Array | undefined {
  return rawBodies.get(request);
}
