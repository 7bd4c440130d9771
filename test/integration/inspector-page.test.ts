/**
 * The inspector page in a real browser (the distribution's Chromium driven by playwright-core), against a real
 * relay with the real claude CLI and the fake upstream, the official SDKs as callers: requests appear live,
 * a request view shows the conversation with the tool call paired with its result and the usage, the session
 * view groups a two-turn conversation, and planted secrets reach neither the database file nor the page.
 * Screenshots go to a temporary folder (printed) for a person to look at.
 */
import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { chromium, type Browser, type Page } from "playwright-core";
import { startTestRelay, type TestRelay } from "../support/test-relay.ts";

const chromiumPath = "/usr/bin/chromium";
const apiKey = "relay-inspector-test-key";
const secrets = {
  openaiKey: "sk-proj-PLANTEDplantedPLANTED1234567890abcd",
  awsKey: "AKIAPLANTED123456789",
  githubToken: "ghp_PLANTEDplantedPLANTEDplanted12345678",
  jwt: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwbGFudGVkIn0.c2lnbmF0dXJlcGxhbnRlZA",
  headerToken: "planted-header-token-value-42",
  pem: "-----BEGIN RSA PRIVATE KEY-----\nMIIEplantedPLANTEDkeyMaterial\n-----END RSA PRIVATE KEY-----",
};

let relay: TestRelay;
let browser: Browser;
let page: Page;
const screenshots = mkdtempSync(join(tmpdir(), "agent-relay-inspector-screens-"));

const weatherTool: OpenAI.ChatCompletionTool = {
  type: "function",
  function: { name: "get_weather", description: "Weather for a city", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } },
};

beforeAll(async () => {
  if (!existsSync(chromiumPath)) throw new Error("Chromium is not installed (apt-get install chromium; .ci/run does this)");
  relay = await startTestRelay({ args: ["--api-key", apiKey] });
  browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  console.log(`inspector screenshots: ${screenshots}`);
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await relay?.close();
});

test("requests appear live, a request shows its tool call with the result and usage, a session groups its turns; no planted secret is stored or shown", async () => {
  // The page asks for the key; the key is kept in session storage, not a cookie.
  await page.goto(`${relay.url}/inspector`);
  await page.waitForSelector("#login-form");
  await page.fill("#login-key", apiKey);
  await page.click("#login-form button[type=submit]");
  await page.waitForSelector("#request-table");
  await page.waitForFunction("document.getElementById('live-state')?.textContent === 'live'");
  expect(await page.context().cookies()).toEqual([]);

  const openai = new OpenAI({ baseURL: `${relay.url}/v1`, apiKey, maxRetries: 0 });
  relay.upstream.enqueue(
    { kind: "tool-use", text: "Let me check.", calls: [{ id: "toolu_paris_1", name: "mcp__relay__get_weather", input: { city: "Paris" } }], usage: { input_tokens: 50, output_tokens: 9 } },
    { kind: "text", chunks: ["It is sunny ", "in Paris."], usage: { input_tokens: 80, output_tokens: 6, cache_read_input_tokens: 400, cache_creation_input_tokens: 20 } },
  );
  const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: "user", content: `Weather in Paris? My key is ${secrets.openaiKey} and ${secrets.awsKey}` }];
  const first = await openai.chat.completions.create({ model: "sonnet", messages, tools: [weatherTool] }, { headers: { "x-request-id": "req_tool_turn_1", "x-custom-auth-token": secrets.headerToken } });
  await page.waitForSelector('tr.request-row[data-id="req_tool_turn_1"]');
  messages.push(first.choices[0].message, { role: "tool", tool_call_id: "toolu_paris_1", content: `sunny, 24C ${secrets.githubToken}` });
  const stream = await openai.chat.completions.create({ model: "sonnet", messages, tools: [weatherTool], stream: true, stream_options: { include_usage: true } }, { headers: { "x-request-id": "req_tool_turn_2" } });
  for await (const _chunk of stream);

  const anthropic = new Anthropic({ baseURL: relay.url, apiKey, maxRetries: 0 });
  relay.upstream.enqueue({ kind: "text", chunks: ["Noted."] });
  await anthropic.messages.create(
    { model: "haiku", max_tokens: 100, system: `Never reveal ${secrets.jwt}`, messages: [{ role: "user", content: `Store this: ${secrets.pem}` }] },
    { headers: { "x-request-id": "req_anthropic_secret" } },
  );
  // Each request appears in the open list without a reload, finished.
  await page.waitForSelector('tr.request-row[data-id="req_tool_turn_2"]:not(.running)');
  await page.waitForSelector('tr.request-row[data-id="req_anthropic_secret"]:not(.running)');
  await page.screenshot({ path: join(screenshots, "1-list.png"), fullPage: true });
  expect(await page.locator('tr.request-row[data-id="req_tool_turn_1"] td.status').textContent()).toBe("200");

  // Keyboard: the newest row is selected; j moves down to the second turn, Enter opens it.
  await page.keyboard.press("j");
  await page.keyboard.press("Enter");
  await page.waitForSelector("#conversation");
  expect(page.url()).toContain("#/request/req_tool_turn_2");
  // The tool call is paired with its result, inside the call's block.
  const call = page.locator('[data-tool-call="toolu_paris_1"]');
  expect(await call.locator(".tool-name").textContent()).toBe("get_weather");
  expect(await call.locator('[data-tool-result="toolu_paris_1"]').textContent()).toContain("sunny, 24C");
  expect(await page.locator(".turn.answer").textContent()).toContain("It is sunny in Paris.");
  const usage = await page.locator("#usage").textContent();
  expect(usage).toContain("Input (total)500");
  expect(usage).toContain("Output6");
  expect(usage).toContain("Cache hit ratio80.0%");
  expect(await page.locator("#timeline").textContent()).toContain("finish");
  await page.screenshot({ path: join(screenshots, "2-request.png"), fullPage: true });

  // The session view groups the two turns of the conversation, in order.
  await page.click("#session-link");
  await page.waitForSelector(".lanes");
  const turns = await page.locator(".turn-card").evaluateAll((cards) => cards.map((card) => card.getAttribute("data-request")));
  expect(turns).toEqual(["req_tool_turn_1", "req_tool_turn_2"]);
  await page.screenshot({ path: join(screenshots, "3-session.png"), fullPage: true });

  await page.goto(`${relay.url}/inspector#/request/req_anthropic_secret`);
  await page.waitForSelector("#conversation");
  const shown = await page.content();
  await page.goto(`${relay.url}/inspector#/request/req_tool_turn_1`);
  await page.waitForSelector("#conversation");
  const shownFirst = await page.content();
  await page.goto(`${relay.url}/inspector#/overview`);
  await page.waitForSelector("#overview-cards");
  expect(await page.locator("#overview-cards").textContent()).toContain("requests");
  await page.screenshot({ path: join(screenshots, "4-overview.png"), fullPage: true });

  // Secrets: masked on the page, absent from every database file.
  expect(shown).toContain("[redacted:private-key]");
  expect(shown).toContain("[redacted:jwt]");
  expect(shownFirst).toContain("[redacted:api-key]");
  const dataDir = join(relay.home, "relay-data");
  const files = readdirSync(dataDir).filter((name) => name.startsWith("agent-relay.sqlite"));
  expect(files.length).toBeGreaterThan(0);
  const stored = files.map((name) => readFileSync(join(dataDir, name)).toString("latin1")).join("\n");
  expect(stored).toContain("req_tool_turn_1");
  for (const [name, secret] of Object.entries({ ...secrets, pem: "MIIEplantedPLANTEDkeyMaterial", apiKey })) {
    expect({ name, inDatabase: stored.includes(secret) }).toEqual({ name, inDatabase: false });
    expect({ name, onPage: shown.includes(secret) || shownFirst.includes(secret) }).toEqual({ name, onPage: false });
  }
}, 180_000);

test("the API refuses other origins and requests without the key; the page itself holds no data", async () => {
  const unauthenticated = await fetch(`${relay.url}/inspector/api/requests`);
  expect(unauthenticated.status).toBe(401);
  const crossSite = await fetch(`${relay.url}/inspector/api/requests`, { headers: { authorization: `Bearer ${apiKey}`, origin: "https://evil.example" } });
  expect(crossSite.status).toBe(403);
  const pageResponse = await fetch(`${relay.url}/inspector`);
  expect(pageResponse.status).toBe(200);
  expect(pageResponse.headers.get("content-security-policy")).toContain("default-src 'none'");
  const list = await fetch(`${relay.url}/inspector/api/requests?limit=abc`, { headers: { authorization: `Bearer ${apiKey}` } });
  expect(list.status).toBe(400);
  expect(((await list.json()) as any).error.message).toContain("limit");

  // A request the relay refused (wrong key) is in the log too, without the key it presented.
  const refused = await fetch(`${relay.url}/v1/chat/completions`, { method: "POST", headers: { authorization: "Bearer wrong-key-planted-123", "x-request-id": "req_refused" }, body: "{}" });
  expect(refused.status).toBe(401);
  let row: any;
  for (let attempt = 0; attempt < 100 && !row; attempt++) {
    const page = (await (await fetch(`${relay.url}/inspector/api/requests?q=req_refused`, { headers: { authorization: `Bearer ${apiKey}` } })).json()) as any;
    row = page.items[0];
    if (!row) await Bun.sleep(50);
  }
  expect(row).toMatchObject({ id: "req_refused", status: 401, path: "/v1/chat/completions" });
  const detail = await (await fetch(`${relay.url}/inspector/api/requests/req_refused`, { headers: { authorization: `Bearer ${apiKey}` } })).text();
  expect(detail).not.toContain("wrong-key-planted-123");
});
