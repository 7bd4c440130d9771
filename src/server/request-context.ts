/** Per-request facts (id, logger, start time) attached in the app's first hook and read by the routes. */
import type { Logger } from "../util/logger.ts";
import { newId } from "../util/new-id.ts";

export interface RequestContext {
  requestId: string;
  log: Logger;
  startedAt: number;
}

const contexts = new WeakMap<Request, RequestContext>();

export function setRequestContext(request: Request, context: RequestContext): void {
  contexts.set(request, context);
}

export function getRequestContext(request: Request, fallbackLog: Logger): RequestContext {
  return contexts.get(request) ?? { requestId: newRequestId(), log: fallbackLog, startedAt: performance.now() };
}

/** A client-supplied X-Request-Id is kept when it is short and printable; otherwise a new one is made. */
export function requestIdFrom(header: string | null): string {
  if (header && /^[\x21-\x7e]{1,128}$/.test(header)) return header;
  return newRequestId();
}

function newRequestId(): string {
  return newId("req_");
}

const relayRequests = new WeakSet<Request>();

/** Marks a request whose log line and metrics are written by serveRelayRequest. */
export function markServedAsRelayRequest(request: Request): void {
  relayRequests.add(request);
}

export function wasServedAsRelayRequest(request: Request): boolean {
  return relayRequests.has(request);
}
