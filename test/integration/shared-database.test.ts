/**
 * Two relays sharing one PostgreSQL database, as behind a load balancer: a response stored through one is
 * continued with previous_response_id through the other, and both write one request log, where the two
 * turns form one session.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import OpenAI from "openai";
import { startFakeUpstream, type FakeUpstream } from "../support/fake-anthropic-upstream.ts";
import { findPostgresBin, startPostgresServer, type PostgresServer } from "../support/postgres-server.ts";
import { startTestRelay, type TestRelay } from "../support/test-relay.ts";

const available = findPostgresBin() !== undefined || process.env.CI === "true";
if (!available) console.warn("PostgreSQL is not installed: the shared-database test is skipped (CI installs it)");

let postgres: PostgresServer;
let upstream: FakeUpstream;
let first: TestRelay;
let second: TestRelay;

beforeAll(async () => {
  if (!available) return;
  postgres = await startPostgresServer();
  const url = await postgres.createDatabase();
  upstream = startFakeUpstream();
  // Started together: both migrate the empty database at once, under the advisory lock.
  [first, second] = await Promise.all([
    startTestRelay({ upstream, args: ["--database-url", url, "--warm-processes", "0"] }),
    startTestRelay({ upstream, args: ["--database-url", url, "--warm-processes", "0"] }),
  ]);
}, 120_000);
afterAll(async () => {
  await first?.close();
  await second?.close();
  await upstream?.stop();
  await postgres?.stop();
});

test.skipIf(!available)("a response stored through one relay continues through the other; one request log holds both turns as one session", async () => {
  upstream.enqueue({ kind: "text", chunks: ["The code word is PELICAN."] }, { kind: "text", chunks: ["You asked for the code word."] });
  const viaFirst = new OpenAI({ baseURL: `${first.url}/v1`, apiKey: "x", maxRetries: 0 });
  const viaSecond = new OpenAI({ baseURL: `${second.url}/v1`, apiKey: "x", maxRetries: 0 });
  const stored = await viaFirst.responses.create({ model: "sonnet", input: "Give me a code word." });
  expect(stored.output_text).toBe("The code word is PELICAN.");

  const continued = await viaSecond.responses.create({ model: "sonnet", input: "What did I ask?", previous_response_id: stored.id });
  expect(continued.output_text).toBe("You asked for the code word.");
  // The second relay's CLI saw the first turn, which only the shared database could have given it.
  const seen = JSON.stringify(upstream.messageRequests().at(-1)!.body.messages);
  expect(seen).toContain("Give me a code word.");
  expect(seen).toContain("The code word is PELICAN.");
  expect((await viaFirst.responses.retrieve(continued.id)).output_text).toBe("You asked for the code word.");

  // Each relay logged its own request into the shared log; the second joined the first's session.
  const waitForRows = async () => {
    for (let attempt = 0; attempt < 100; attempt++) {
      const page = (await (await fetch(`${first.url}/inspector/api/requests?limit=10`)).json()) as { items: Array<{ responseId: string; sessionId: string }> };
      if (page.items.length >= 2) return page.items;
      await Bun.sleep(100);
    }
    throw new Error("the request log did not get both rows");
  };
  const rows = await waitForRows();
  const byResponse = new Map(rows.map((row) => [row.responseId, row]));
  expect(byResponse.get(continued.id)!.sessionId).toBe(byResponse.get(stored.id)!.sessionId);
}, 120_000);
