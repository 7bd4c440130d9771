/**
 * The project's fake Anthropic upstream as its own process for benchmarks (so the client's and the fake's
 * work do not share one event loop): prints its URL on stdout. A model name containing "long-N" gets an
 * answer of N text deltas; any other model a short answer.
 *
 * BENCH_LATENCY_MS makes every answer start that long after the request (a model's time to first token);
 * BENCH_TOKENS_PER_SECOND paces long answers at a model's generation speed. Unset, the fake answers at once
 * and at line speed, which measures the relay's own cost.
 */
import { startFakeUpstream } from "../../test/support/fake-anthropic-upstream.ts";

const latencyMs = Number(process.env.BENCH_LATENCY_MS ?? 0);
const tokensPerSecond = Number(process.env.BENCH_TOKENS_PER_SECOND ?? 0) || undefined;
const upstream = startFakeUpstream({ latencyMs });
upstream.setDefault((body) => {
  const long = /long-(\d+)/.exec(String(body?.model ?? ""));
  if (long) return { kind: "text", chunks: Array.from({ length: Number(long[1]) }, (_, index) => `t${index % 10} `), usage: { input_tokens: 10, output_tokens: Number(long[1]) }, tokensPerSecond };
  return { kind: "text", chunks: ["Hello from ", "the fake upstream!"] };
});
// Recording every request would grow without bound over a benchmark.
setInterval(() => upstream.reset(), 1000);
process.stdout.write(`${upstream.url}\n`);
