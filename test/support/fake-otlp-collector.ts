/**
 * A fake OTLP/HTTP collector: records every export with its path and content type, decoding protobuf bodies
 * (the default encoding) with the decoder written from the .proto field numbers, and JSON bodies when
 * http/json is asked for; both decode to the same shape, so one set of assertions reads either.
 */
import { decodeMetricsRequest, decodeTraceRequest } from "./decode-otlp-protobuf.ts";

export interface ReceivedExport {
  path: string;
  contentType: string | null;
  body: any;
}

async function decodeBody(request: Request, path: string): Promise<any> {
  if (request.headers.get("content-type") !== "application/x-protobuf") return request.json();
  const bytes = new Uint8Array(await request.arrayBuffer());
  return path === "/v1/metrics" ? decodeMetricsRequest(bytes) : decodeTraceRequest(bytes);
}

export function startOtlpCollector() {
  const received: ReceivedExport[] = [];
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(request) {
      const path = new URL(request.url).pathname;
      received.push({ path, contentType: request.headers.get("content-type"), body: await decodeBody(request, path) });
      return Response.json({});
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, received, stop: () => server.stop(true) };
}

/** Every span of the trace exports received so far. */
export const spansOf = (received: ReceivedExport[]) =>
  received.filter((item) => item.path === "/v1/traces").flatMap((item) => item.body.resourceSpans.flatMap((resource: any) => resource.scopeSpans.flatMap((scope: any) => scope.spans)));

/** A span's attributes as a plain object (the value of whichever typed field is set). */
export const attributesOf = (span: any) => Object.fromEntries(span.attributes.map((item: any) => [item.key, Object.values(item.value)[0]]));
