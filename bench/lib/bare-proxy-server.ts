/**
 * The floor for any proxy written on Bun: Bun.serve forwarding each request to UPSTREAM_URL with fetch and
 * answering with the upstream's status, headers and body stream, nothing else (no parsing, no logging, no
 * capture). bench/upstreams.ts measures it beside the relay, so the relay's own added latency can be told
 * apart from what Bun's HTTP server and client cost on this machine. Prints its base URL on the first line.
 */
const upstream = process.env.UPSTREAM_URL;
if (!upstream) throw new Error("UPSTREAM_URL is required");
const hopByHop = new Set(["connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding"]);

const server = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  async fetch(request) {
    const url = new URL(request.url);
    const answer = await fetch(upstream + url.pathname + url.search, {
      method: request.method,
      headers: request.headers,
      body: request.method === "GET" || request.method === "HEAD" ? undefined : await request.arrayBuffer(),
    });
    const headers = new Headers();
    for (const [name, value] of answer.headers) if (!hopByHop.has(name)) headers.set(name, value);
    return new Response(answer.body, { status: answer.status, headers });
  },
});
console.log(`http://127.0.0.1:${server.port}`);
