/**
 * The fake OpenAI-compatible upstream as its own process for the benchmark, so its work does not share an
 * event loop with the load generator. Model "bench-long" streams a 20,000-token answer; any other model
 * gets a short two-chunk answer. Prints its base URL on the first line of stdout.
 *
 * BENCH_LATENCY_MS makes every answer start that long after the request (a model's time to first token);
 * BENCH_TOKENS_PER_SECOND paces the long answer at a model's generation speed. Unset, the fake answers at
 * once and at line speed, which measures the relay's own cost.
 */
import { startFakeOpenAIUpstream } from "../../test/support/fake-openai-upstream.ts";

const longTokens = Number(process.env.BENCH_LONG_TOKENS ?? 20_000);
const latencyMs = Number(process.env.BENCH_LATENCY_MS ?? 0);
const tokensPerSecond = Number(process.env.BENCH_TOKENS_PER_SECOND ?? 0) || undefined;
const upstream = startFakeOpenAIUpstream({ record: false, latencyMs });
upstream.setDefault((body) => (body?.model === "bench-long" ? { kind: "long", tokens: longTokens, tokensPerSecond } : { kind: "text", chunks: ["Hello from ", "the fake OpenAI upstream!"] }));
process.stdout.write(`${upstream.url}\n`);
process.on("SIGTERM", () => void upstream.stop().then(() => process.exit(0)));
