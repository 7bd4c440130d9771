/**
 * A Bedrock provider without credentials, in the real relay started from a routing file: the relay starts,
 * /health names the provider and the problem, and a request routed there is a prompt 502 naming it.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestRelay, type TestRelay } from "../support/test-relay.ts";

let relay: TestRelay;
const directory = mkdtempSync(join(tmpdir(), "bedrock-health-"));
const awsVariables = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE", "AWS_EC2_METADATA_DISABLED", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_BEARER_TOKEN_BEDROCK"];
const saved = Object.fromEntries(awsVariables.map((name) => [name, process.env[name]]));

beforeAll(async () => {
  // The AWS SDK reads the process environment: point it at empty files and switch instance metadata off.
  for (const name of awsVariables) delete process.env[name];
  writeFileSync(join(directory, "credentials"), "");
  writeFileSync(join(directory, "config"), "");
  process.env.AWS_SHARED_CREDENTIALS_FILE = join(directory, "credentials");
  process.env.AWS_CONFIG_FILE = join(directory, "config");
  process.env.AWS_EC2_METADATA_DISABLED = "true";
  const routingFile = join(directory, "config.yaml");
  writeFileSync(routingFile, "providers:\n  aws:\n    type: bedrock\n    region: eu-west-1\nmodels:\n  sonnet: aws/eu.anthropic.claude-sonnet-4-5-20250929-v1:0\n");
  relay = await startTestRelay({ args: ["--config", routingFile] });
});
afterAll(async () => {
  await relay.close();
  for (const name of awsVariables) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
  rmSync(directory, { recursive: true, force: true });
});

test("missing AWS credentials: a start-up warning in /health, and a prompt 502 naming the provider", async () => {
  let health: any;
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    health = await (await fetch(`${relay.url}/health`)).json();
    if (health.status === "degraded") break;
    await Bun.sleep(50);
  }
  expect(health.status).toBe("degraded");
  expect(health.reason).toContain("aws: no AWS credentials found");
  expect(JSON.stringify(health)).toContain("eu-west-1");

  const started = Date.now();
  const response = await fetch(`${relay.url}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", "anthropic-version": "2023-06-01" },
    body: JSON.stringify({ model: "sonnet", max_tokens: 10, messages: [{ role: "user", content: "hi" }] }),
  });
  expect(response.status).toBe(502);
  const body = (await response.json()) as any;
  expect(body.error.message).toContain('No AWS credentials for Bedrock provider "aws"');
  expect(Date.now() - started).toBeLessThan(8000);
});
