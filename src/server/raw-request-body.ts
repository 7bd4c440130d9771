/**
 * Keeps the exact bytes of a JSON request body beside the parsed value, for routes that may forward the
 * request untranslated (the passthrough path edits bytes, it never serialises the parsed body again).
 * Used as the route's Elysia `parse` hook; an invalid body fails exactly like Elysia's own JSON parser.
 */

const rawBodies = new WeakMap<Request, Uint8Array>();
const textDecoder = new TextDecoder();

/** An Elysia `parse` hook: reads the body once, remembers its bytes, returns the parsed JSON. */
export async function parseJsonKeepingBytes({ request }: { request: Request }): Promise<unknown> {
  const bytes = new Uint8Array(await request.arrayBuffer());
  rawBodies.set(request, bytes);
  return JSON.parse(textDecoder.decode(bytes));
}

/** The body bytes of a request parsed by parseJsonKeepingBytes. */
export function rawBodyOf(request: Request): Uint8Array | undefined {
  return rawBodies.get(request);
}
