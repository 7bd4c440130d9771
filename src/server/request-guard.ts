/**
 * What every request must pass before any route sees it, decided from the request line and headers alone
 * (the body is never read here): a well-formed Host, an allowed browser Origin, a JSON content type on
 * API calls, and a declared length within --max-body-size. Browsers can send urlencoded, multipart and
 * text/plain bodies cross-site without a CORS preflight, so these checks, not CORS, keep a web page from
 * driving the CLI.
 */
import { rememberRawBody } from "./raw-request-body.ts";
import { isLoopbackHost } from "../config.ts";
import { RelayError } from "../core/relay-error.ts";
import { checkJsonDepth } from "./check-json-depth.ts";

export interface RequestGuardOptions {
  /** --cors-origins: "localhost" means any loopback origin, "*" any, "none" none, others exact origins. */
  corsOrigins: string[];
  /** --max-body-size in bytes. */
  maxBodyBytes: number;
}

/** The path of a request, also when Bun could not build an absolute URL from a malformed Host. */
export function requestPath(request: Request): string {
  const url = request.url;
  const start = url.startsWith("/") ? 0 : url.indexOf("/", url.indexOf("//") + 2);
  if (start < 0) return "/";
  const end = url.slice(start).search(/[?#]/);
  return end < 0 ? url.slice(start) : url.slice(start, start + end);
}

/** True when the origin may call the relay from a browser. */
export function isAllowedOrigin(origin: string, allowed: string[]): boolean {
  if (allowed.includes("none")) return false;
  if (allowed.includes("*")) return true;
  if (allowed.includes(origin)) return true;
  try {
    return allowed.includes("localhost") && isLoopbackHost(new URL(origin).hostname);
  } catch {
    return false;
  }
}

/** A Host header value as RFC 9110 allows it: a registered name or IPv4 address, or a bracketed IPv6 address, and an optional port. */
const validHost = /^(?:[A-Za-z0-9._~!$&'()*+,;=%-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/** 400 when the Host header is missing or malformed (HTTP/1.0 without Host, "a b", empty). */
export function checkHost(request: Request): RelayError | undefined {
  const host = request.headers.get("host");
  if (host && validHost.test(host) && !request.url.startsWith("/")) return undefined;
  return new RelayError("invalid_request", "The request has a missing or malformed Host header.", { param: null, code: "invalid_host" });
}

/** 403 for a browser request from an origin that --cors-origins does not allow, whatever its key or body. */
export function checkOrigin(request: Request, options: RequestGuardOptions): RelayError | undefined {
  const origin = request.headers.get("origin");
  if (origin === null || isAllowedOrigin(origin, options.corsOrigins)) return undefined;
  return new RelayError(
    "permission",
    `Origin "${origin.slice(0, 200)}" is not allowed to call this relay. Allow it with --cors-origins (or AGENT_RELAY_CORS_ORIGINS).`,
    { code: "origin_not_allowed" },
  );
}

const methodsWithBody = new Set(["POST", "PUT", "PATCH"]);

/** application/json and any +json type, with or without parameters such as charset. */
export function isJsonContentType(contentType: string | null): boolean {
  if (!contentType) return false;
  const mediaType = contentType.split(";")[0]!.trim().toLowerCase();
  return mediaType === "application/json" || /^application\/[a-z0-9.!#$&^_-]+\+json$/.test(mediaType);
}

/** 415 for an API call whose body is not JSON: forms and text/plain are what a web page can send cross-site. */
export function checkContentType(request: Request): RelayError | undefined {
  if (!methodsWithBody.has(request.method)) return undefined;
  const contentType = request.headers.get("content-type");
  if (isJsonContentType(contentType)) return undefined;
  const given = contentType ? `"${contentType.split(";")[0]!.trim().slice(0, 100)}"` : "no content type";
  return new RelayError("invalid_request", `The request body must be JSON (Content-Type: application/json); got ${given}.`, {
    status: 415,
    param: null,
    code: "unsupported_media_type",
  });
}

/** The 413 for a body over the limit, in words an operator and a client can act on. */
export function bodyTooLargeError(maxBodyBytes: number): RelayError {
  return new RelayError(
    "request_too_large",
    `The request body is larger than this relay accepts (${formatBytes(maxBodyBytes)}; the operator can raise it with --max-body-size).`,
    { param: null, code: "request_too_large" },
  );
}

/** 413 when the declared Content-Length is over --max-body-size; bodies sent in chunks are counted as they are read. */
export function checkDeclaredLength(request: Request, options: RequestGuardOptions): RelayError | undefined {
  const declared = Number(request.headers.get("content-length") ?? 0);
  return declared > options.maxBodyBytes ? bodyTooLargeError(options.maxBodyBytes) : undefined;
}

/** Reads a JSON body, refusing it as soon as it grows over the limit (Content-Length can be absent or wrong). */
export async function readJsonBody(request: Request, maxBodyBytes: number): Promise<unknown> {
  const body = request.body;
  const emptyBody = () => {
    // DELETE and GET may carry an (empty) JSON content type, as SDKs send it on every call.
    if (!methodsWithBody.has(request.method)) return undefined;
    throw new RelayError("invalid_request", "The request body is empty; send a JSON object.", { param: null });
  };
  if (!body) return emptyBody();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > maxBodyBytes) {
      await body.cancel().catch(() => {});
      throw bodyTooLargeError(maxBodyBytes);
    }
    chunks.push(chunk);
  }
  const bytes = Buffer.concat(chunks);
  rememberRawBody(request, bytes);
  const text = new TextDecoder().decode(bytes);
  if (text.trim() === "") return emptyBody();
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new RelayError("invalid_request", "The request body is not valid JSON.", { param: null });
  }
  checkJsonDepth(value);
  return value;
}

export function formatBytes(bytes: number): string {
  const units = ["bytes", "KB", "MB", "GB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && value % 1024 === 0 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value} ${units[unit]}`;
}
