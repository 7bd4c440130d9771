/** Elysia's validation and parse errors -> RelayError with a message a client developer can act on. */
import { RelayError, toRelayError } from "../core/relay-error.ts";

interface ValueErrorLike {
  path?: string;
  message?: string;
  summary?: string;
  schema?: { error?: unknown };
}

export function describeRequestError(code: unknown, error: unknown): RelayError {
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
    return new RelayError("not_found", "No such route.");
  }
  return toRelayError(error);
}
