/**
 * The inspector page in a real browser (the distribution's Chromium driven by playwright-core) for an
 * agent-mode request with the real claude CLI against the fake upstream: the request view says how it was
 * served and lists the tool the CLI ran itself (its Read of a file) with input and result, apart from the
 * conversation the client saw; the overview counts it among the top tools. A screenshot goes to a temporary folder (printed) for a person to look at.
 */
import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { startTestRelay, type TestRelay } from "../support/test-relay.ts";

const chromiumPath = "/usr/bin/chromium";
let relay: TestRelay;
let browser: Browser;
const workdir = mkdtempSync(join(tmpdir(), "inspector-agent-tools-"));
const screenshots = mkdtempSync(join(tmpdir(), "agent-relay-inspector-screens-"));

beforeAll(async () => {
  if (!existsSync(chromiumPath)) throw new Error("Chromium is not installed (apt-get install chromium; .ci/run does this)");
  relay = await startTestRelay({ args: ["--agent", "--workdir", workdir, "--warm-processes", "0"] });
  browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  console.log(`inspector screenshots: ${screenshots}`);
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await relay?.close();
  rmSync(workdir, { recursive: true, force: true });
});

test("the request view shows the served path and the CLI's own Read run with its input and result", async () => {
  const file = join(workdir, "plan.txt");
  writeFileSync(file, "Step one: BANANA-SPLIT-7.\n");
  relay.upstream.setDefault((body) =>
    JSON.stringify(body.messages).includes("toolu_page_read")
      ? { kind: "text", chunks: ["The plan starts with a banana split."] }
      : { kind: "tool-use", calls: [{ id: "toolu_page_read", name: "Read", input: { file_path: file } }] },
  );
  const anthropic = new Anthropic({ baseURL: relay.url, apiKey: "x", maxRetries: 0 });
  await anthropic.messages.create({ model: "sonnet", max_tokens: 200, messages: [{ role: "user", content: "What is the plan?" }] }, { headers: { "x-request-id": "req_agent_read" } });

  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(`${relay.url}/inspector`);
  await page.waitForSelector('tr.request-row[data-id="req_agent_read"]:not(.running)');
  expect(await page.locator('tr.request-row[data-id="req_agent_read"] .pill').allTextContents()).toContain("cold");
  await page.goto(`${relay.url}/inspector#/request/req_agent_read`);
  await page.waitForSelector("#agent-tool-runs");
  expect(await page.locator("#summary").textContent()).toMatch(/Servedcold \(pid \d+\)/);
  const run = page.locator('[data-agent-tool-run="toolu_page_read"]');
  expect(await run.locator(".tool-name").textContent()).toBe("Read");
  const shown = await run.textContent();
  expect(shown).toContain("plan.txt");
  expect(shown).toContain("BANANA-SPLIT-7");
  // The conversation is what the client saw: the CLI's own call is not in it.
  expect(await page.locator("#conversation").textContent()).not.toContain("toolu_page_read");
  expect(await page.locator("#timeline").textContent()).toContain("backend-tool-run");
  await page.screenshot({ path: join(screenshots, "agent-tool-runs.png"), fullPage: true });
  // The overview's top tools count the CLI's own Read, marked as run by the CLI (the client called no tool).
  await page.goto(`${relay.url}/inspector#/overview`);
  await page.waitForSelector("#overview-tools tbody tr");
  expect(await page.locator("#overview-tools tbody tr").allTextContents()).toEqual(["Readclaude CLI1"]);
  await page.screenshot({ path: join(screenshots, "overview-agent-tools.png"), fullPage: true });
  await page.close();
}, 180_000);
