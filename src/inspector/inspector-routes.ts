/**
 * GET /inspector (the page) and the JSON API under /inspector/api/. The page is public (it holds no data and
 * asks for the key); the API needs what the relay's API needs (the key when one is set, checked by the app),
 * plus same-origin: a browser request from another origin is refused, so a web page cannot read the log
 * even on a relay without a key. The key lives in the page's sessionStorage and goes in the Authorization
 * header, never in a cookie a cross-site request would carry.
 */
import { requestPath } from "../server/request-guard.ts";
import { Elysia } from "elysia";
import { RelayError } from "../core/relay-error.ts";
import type { InspectorStore, InspectorFilter } from "../store/inspector-store.ts";
import { readInspectorOverview } from "../store/inspector-overview.ts";
import type { InspectorRecorder } from "./inspector-recorder.ts";
import { inspectorPageResponse, inspectorAssetResponse } from "./inspector-page.ts";
import { withAgentToolRunContents } from "./with-agent-tool-run-contents.ts";
import { encodeSseFrame } from "../server/sse.ts";

export interface InspectorRoutesDependencies {
  store: InspectorStore;
  recorder: InspectorRecorder;
}

const maxPageSize = 500;

/** A browser request from a page of another origin (Origin or Sec-Fetch-Site says so). */
export function isCrossOriginRequest(request: Request): boolean {
  const site = request.headers.get("sec-fetch-site");
  if (site && site !== "same-origin" && site !== "none") return true;
  const origin = request.headers.get("origin");
  if (!origin) return false;
  const host = request.headers.get("host");
  try {
    return new URL(origin).host !== host;
  } catch {
    return true;
  }
}

function filterFrom(query: Record<string, string | undefined>): InspectorFilter {
  return {
    provider: query.provider || undefined,
    model: query.model || undefined,
    status: query.status || undefined,
    client: query.client || undefined,
    session: query.session || undefined,
    conversation: query.conversation || undefined,
    served: query.served || undefined,
    text: query.q || undefined,
    starred: query.starred === "true" || undefined,
  };
}

function positiveInteger(value: string | undefined, parameter: string, fallback: number): number {
  if (value === undefined || value === "") return fallback;
  if (!/^\d+$/.test(value)) throw new RelayError("invalid_request", `${parameter} must be a whole number`, { param: parameter });
  return Number(value);
}

export function inspectorRoutes({ store, recorder }: InspectorRoutesDependencies) {
  const notFound = (what: string) => new RelayError("not_found", `${what} not found.`);
  return new Elysia({ name: "inspector" })
    .onBeforeHandle(({ request }) => {
      if (requestPath(request).startsWith("/inspector/api/") && isCrossOriginRequest(request)) {
        return Response.json({ error: { type: "permission_error", message: "The inspector API answers same-origin requests only." } }, { status: 403 });
      }
    })
    .get("/inspector", () => inspectorPageResponse())
    .get("/inspector/", () => inspectorPageResponse())
    .get("/inspector/assets/:name", ({ params }) => inspectorAssetResponse(params.name) ?? new Response("not found", { status: 404 }))
    .get("/inspector/api/requests", async ({ query }) => {
      const limit = Math.min(maxPageSize, Math.max(1, positiveInteger(query.limit, "limit", 100)));
      const before = query.before ? positiveInteger(query.before, "before", 0) : undefined;
      const page = await store.list(filterFrom(query), { before, limit });
      return { ...page, running: before === undefined ? recorder.runningRequests() : [] };
    })
    .get("/inspector/api/requests/:id", async ({ params }) => {
      const view = await store.get(params.id);
      if (!view) throw notFound(`Request '${params.id}'`);
      const previous = await store.previousInSession(view);
      return { ...withAgentToolRunContents(view), previous: previous ? { id: previous.id, request: previous.bodies?.request ?? null } : null };
    })
    .post("/inspector/api/requests/:id/star", async ({ params, query }) => {
      if (!(await store.setStarred(params.id, query.starred !== "false"))) throw notFound(`Request '${params.id}'`);
      return { id: params.id, starred: query.starred !== "false" };
    })
    .get("/inspector/api/requests/:id/export", async ({ params }) => exportResponse(store.exportLines({ id: params.id }), params.id))
    .get("/inspector/api/sessions/:id", async ({ params }) => {
      const requests = await store.session(params.id);
      if (requests.length === 0) throw notFound(`Session '${params.id}'`);
      return { id: params.id, requests };
    })
    .get("/inspector/api/sessions/:id/export", async ({ params }) => exportResponse(store.exportLines({ sessionId: params.id }), params.id))
    .delete("/inspector/api/sessions/:id", async ({ params }) => {
      const deleted = await store.deleteSession(params.id);
      if (deleted === 0) throw notFound(`Session '${params.id}'`);
      return { id: params.id, deleted };
    })
    .get("/inspector/api/summary", async ({ query }) => {
      const windowMs = positiveInteger(query.window_ms, "window_ms", 24 * 3_600_000);
      const buckets = Math.min(200, Math.max(1, positiveInteger(query.buckets, "buckets", 48)));
      return readInspectorOverview(store.database, { since: Date.now() - windowMs, bucketMs: Math.ceil(windowMs / buckets) });
    })
    .get("/inspector/api/live", ({ request }) => liveResponse(recorder, request.signal));
}

function exportResponse(lines: AsyncGenerator<string>, name: string): Response {
  const encoder = new TextEncoder();
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await lines.next();
      if (next.done) controller.close();
      else controller.enqueue(encoder.encode(next.value));
    },
    async cancel() {
      await lines.return(undefined);
    },
  });
  const safeName = name.replace(/[^A-Za-z0-9_.-]/g, "_");
  return new Response(stream, { headers: { "content-type": "application/x-ndjson", "content-disposition": `attachment; filename="${safeName}.jsonl"` } });
}

/** Server-sent events: every update of the list, and a comment every 15 s so proxies keep the stream open. */
function liveResponse(recorder: InspectorRecorder, signal: AbortSignal): Response {
  let unsubscribe = () => {};
  let keepalive: ReturnType<typeof setInterval> | undefined;
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      const send = (bytes: Uint8Array) => {
        try {
          controller.enqueue(bytes);
        } catch {
          unsubscribe();
        }
      };
      send(encodeSseFrame({ comment: "live" }));
      unsubscribe = recorder.feed.subscribe((update) => send(encodeSseFrame({ event: update.type, data: update })));
      keepalive = setInterval(() => send(encodeSseFrame({ comment: "keepalive" })), 15_000);
      signal.addEventListener("abort", () => {
        unsubscribe();
        clearInterval(keepalive);
        try {
          controller.close();
        } catch {}
      });
    },
    cancel() {
      unsubscribe();
      clearInterval(keepalive);
    },
  });
  return new Response(stream, { headers: { "content-type": "text/event-stream", "cache-control": "no-store", "x-accel-buffering": "no" } });
}
