/**
 * The project's fake Anthropic upstream as its own process for benchmarks (so the client's and the fake's
 * work do not share one event loop): prints its URL on stdout. A model name containing "long-N" gets an
 * answer of N text deltas; any other model a short answer.
 */
import { startFakeUpstream } from "../../test/support/fake-anthropic-upstream.ts";

const upstream = startFakeUpstream();
upstream.setDefault((body) => {
  const long = /long-(\d+)/.exec(String(body?.model ?? ""));
  if (long) return { kind: "text", chunks: Array.from({ length: Number(long[1]) }, (_, index) => `t${index % 10} `), usage: { input_tokens: 10, output_tokens: Number(long[1]) } };
  return { kind: "text", chunks: ["Hello from ", "the fake upstream!"] };
});
// Recording every request would grow without bound over a benchmark.
setInterval(() => upstream.reset(), 1000);
process.stdout.write(`${upstream.url}\n`);
