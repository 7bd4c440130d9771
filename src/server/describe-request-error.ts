/** Elysia's validation and parse errors -> RelayError with a message a client developer can act on. */
import { RelayError, toRelayError } from "../core/relay-error.ts";
import { requestPath } from "./request-guard.ts";

interface ValueErrorLike {
  path?: string;
  message?: string;
  summary?: string;
  schema?: { error?: unknown };
  /** A union's errors, one iterator per variant. */
  errors?: Iterable<ValueErrorLike>[];
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

const depthOf = (path: string | undefined) => (path ? path.split("/").length : 0);

/**
 * A union (`tools: [...] | null`) reports its own path; the variant that got furthest knows the field at
 * fault (`tools/0/function/name`), so the client is told that one.
 */
function deepestError(error: ValueErrorLike): ValueErrorLike {
  let deepest = error;
  for (const variant of error.errors ?? []) {
    for (const nested of variant) {
      const candidate = deepestError(nested);
      if (depthOf(candidate.path) > depthOf(deepest.path)) deepest = candidate;
    }
  }
  return deepest;
}

/** The API the relay serves, for a 404 that helps a client developer find the right path. */
const servedEndpoints = "POST /v1/chat/completions, POST /v1/responses, POST /v1/messages, GET /v1/models (each also without /v1), GET /health";

export function describeRequestError(code: unknown, error: unknown, request?: Request): RelayError {
  if (code === "VALIDATION") {
    const all = ((error as { all?: ValueErrorLike[] }).all ?? []) as ValueErrorLike[];
    const reported = all.find((item) => typeof item.schema?.error === "string") ?? all[0];
    const first = reported ? deepestError(reported) : undefined;
    const path = (first?.path ?? "").replace(/^\//, "").replaceAll("/", ".");
    const reason = typeof first?.schema?.error === "string" ? first.schema.error : (first?.summary ?? first?.message ?? "is invalid");
    // Always "param: reason", as the APIs word it (clients and the Anthropic SDK show the message alone).
    const message = path ? `${path}: ${reason.replace(new RegExp(`^${escapeRegExp(path)}:? `), "")}` : reason;
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
