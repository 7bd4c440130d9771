/**
 * The fake OpenAI-compatible upstream as its own process for the benchmark, so its work does not share an
 * event loop with the load generator. Model "bench-long" streams a 20,000-token answer; any other model
 * gets a short two-chunk answer. Prints its base URL on the first line of stdout.
 */
import { startFakeOpenAIUpstream } from "../../test/support/fake-openai-upstream.ts";

const longTokens = Number(process.env.BENCH_LONG_TOKENS ?? 20_000);
const upstream = startFakeOpenAIUpstream({ record: false });
upstream.setDefault((body) => (body?.model === "bench-long" ? { kind: "long", tokens: longTokens } : { kind: "text", chunks: ["Hello from ", "the fake OpenAI upstream!"] }));
process.stdout.write(`${upstream.url}\n`);
process.on("SIGTERM", () => void upstream.stop().then(() => process.exit(0)));
