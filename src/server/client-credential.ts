/** Who is calling, as far as the relay can tell: a hash of the credential the client presented. */

/**
 * SHA-256 of the bearer token or x-api-key the client sent (an empty one when it sent none). Hashed so
 * that stored data never holds a client's key; computed also when the relay has no --api-key of its own,
 * where clients that send different keys are still kept apart.
 */
export function hashClientCredential(request: Request): string {
  const authorization = request.headers.get("authorization");
  const credential = authorization?.toLowerCase().startsWith("bearer ") ? authorization.slice(7).trim() : (request.headers.get("x-api-key") ?? authorization ?? "");
  return new Bun.CryptoHasher("sha256").update("agent-relay client credential\u0000").update(credential).digest("hex");
}
