/** Elysia's validation and parse errors -> RelayError with a message a client developer can act on. */
import { RelayError, toRelayError } from "../core/relay-error.ts";
import { requestPath } from "./request-guard.ts";

interface ValueErrorLike {
  path?: string;
  message?: string;
  summary?: string;
  schema?: { error?: unknown };
}

/** The API the relay serves, for a 404 that helps a client developer find the right path. */
const servedEndpoints = "POST /v1/chat/completions, POST /v1/responses, POST /v1/messages, GET /v1/models (each also without /v1), GET /health";

export function describeRequestError(code: unknown, error: unknown, request?: Request): RelayError {
  if (code === "VALIDATION") {
    const all = ((error as { all?: ValueErrorLike[] }).all ?? []) as ValueErrorLike[];
    const first = all.find((item) => typeof item.schema?.error === "string") ?? all[0];
    const path = (first?.path ?? "").replace(/^\//, "").replaceAll("/", ".");
    const reason = typeof first?.schema?.error === "string" ? first.schema.error : (first?.summary ?? first?.message ?? "is invalid");
    const message = path && !reason.startsWith(path.split(".")[0]) ? `${path}: ${reason}` : reason;
    return new RelayError("invalid_request", message || "The request body is invalid.", { param: path || null });
  }
  if (code === "PARSE") {
    // Our body reader's own refusals (413, empty body) arrive wrapped in Elysia's ParseError.
    const cause = (error as { cause?: unknown }).cause;
    if (cause instanceof RelayError) return cause;
    return new RelayError("invalid_request", "The request body is not valid JSON.", { param: null });
  }
  if (code === "NOT_FOUND") {
    const route = request ? `${request.method} ${requestPath(request).slice(0, 200)}` : "this route";
    return new RelayError("not_found", `agent-relay has no ${route}. It serves ${servedEndpoints}.`, { code: "unknown_route" });
  }
  return toRelayError(error);
}
