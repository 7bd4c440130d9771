/**
 * Credential order and request signing, checked by the fake Bedrock, which recomputes SigV4 signatures
 * independently and accepts only the keys and tokens it was given.
 */
import { afterAll, afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { callBedrock, type BedrockEndpoint } from "../../../src/backends/bedrock/bedrock-client.ts";
import { resolveBedrockAuthorization, type BedrockCredentialOptions } from "../../../src/backends/bedrock/bedrock-credentials.ts";
import { RelayError } from "../../../src/core/relay-error.ts";
import { startFakeBedrock } from "../../support/fake-bedrock.ts";

const fake = startFakeBedrock({
  bearerTokens: ["bedrock-api-key-file", "bedrock-api-key-env"],
  credentials: {
    AKIAENVIRONMENT: { secretAccessKey: "env-secret", sessionToken: "env-session-token" },
    AKIAPROFILE: { secretAccessKey: "profile-secret" },
  },
});
const awsVariables = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE", "AWS_EC2_METADATA_DISABLED", "AWS_EC2_METADATA_SERVICE_ENDPOINT", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN"];
const saved = Object.fromEntries(awsVariables.map((name) => [name, process.env[name]]));
const directory = mkdtempSync(join(tmpdir(), "bedrock-credentials-"));

let testNumber = 0;
let credentialsFile = "";

beforeEach(() => {
  for (const name of awsVariables) delete process.env[name];
  // Fresh empty shared files per test (the SDK caches what it read per path), so the developer's own
  // ~/.aws never leaks into a test.
  testNumber++;
  credentialsFile = join(directory, `credentials-${testNumber}`);
  writeFileSync(credentialsFile, "");
  writeFileSync(join(directory, `config-${testNumber}`), "");
  process.env.AWS_SHARED_CREDENTIALS_FILE = credentialsFile;
  process.env.AWS_CONFIG_FILE = join(directory, `config-${testNumber}`);
  process.env.AWS_EC2_METADATA_DISABLED = "true";
  fake.reset();
});
afterEach(() => {
  for (const name of awsVariables) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
});
afterAll(async () => {
  await fake.stop();
  rmSync(directory, { recursive: true, force: true });
});

async function invoke(options: Partial<BedrockCredentialOptions>, modelId = "us.anthropic.claude-sonnet-4-5-20250929-v1:0") {
  const endpoint: BedrockEndpoint = {
    provider: "aws",
    region: "us-east-1",
    baseUrl: fake.url,
    authorization: resolveBedrockAuthorization({ environment: {}, ...options }),
  };
  const body = JSON.stringify({ anthropic_version: "bedrock-2023-05-31", max_tokens: 5, messages: [{ role: "user", content: "hi" }] });
  const response = await callBedrock({ endpoint, modelId, operation: "invoke", body, signal: new AbortController().signal });
  return (await response.json()) as any;
}

describe("Bedrock credentials, in AWS order", () => {
  test("1. the provider's api_key is a Bearer token, ahead of everything else", async () => {
    process.env.AWS_ACCESS_KEY_ID = "AKIAENVIRONMENT";
    process.env.AWS_SECRET_ACCESS_KEY = "env-secret";
    await invoke({ apiKey: "bedrock-api-key-file", environment: { AWS_BEARER_TOKEN_BEDROCK: "bedrock-api-key-env" } });
    expect(fake.requests[0]!.auth).toEqual({ kind: "bearer", token: "bedrock-api-key-file" });
  });

  test("2. AWS_BEARER_TOKEN_BEDROCK when the file has no key, ahead of environment keys", async () => {
    process.env.AWS_ACCESS_KEY_ID = "AKIAENVIRONMENT";
    process.env.AWS_SECRET_ACCESS_KEY = "env-secret";
    await invoke({ environment: { AWS_BEARER_TOKEN_BEDROCK: "bedrock-api-key-env" } });
    expect(fake.requests[0]!.auth).toEqual({ kind: "bearer", token: "bedrock-api-key-env" });
  });

  test("3. static environment keys with a session token, SigV4-signed, ARN model id encoded in the path", async () => {
    process.env.AWS_ACCESS_KEY_ID = "AKIAENVIRONMENT";
    process.env.AWS_SECRET_ACCESS_KEY = "env-secret";
    process.env.AWS_SESSION_TOKEN = "env-session-token";
    const arn = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-haiku-4-5-20251001-v1:0";
    const message = await invoke({}, arn);
    expect(message.type).toBe("message");
    expect(fake.rejected).toEqual([]);
    expect(fake.requests[0]!.auth).toEqual({ kind: "sigv4", accessKeyId: "AKIAENVIRONMENT", sessionToken: "env-session-token" });
    expect(fake.requests[0]!.modelId).toBe(arn);
    expect(fake.requests[0]!.rawPath).toContain("arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.anthropic");
  });

  test("4. a named profile from the shared credentials file", async () => {
    writeFileSync(credentialsFile, "[default]\naws_access_key_id = AKIAWRONG\naws_secret_access_key = nope\n\n[team]\naws_access_key_id = AKIAPROFILE\naws_secret_access_key = profile-secret\n");
    await invoke({ profile: "team" });
    expect(fake.requests[0]!.auth).toEqual({ kind: "sigv4", accessKeyId: "AKIAPROFILE", sessionToken: undefined });
  });

  test("a wrong secret is refused by the signature check and becomes a 502 naming the provider", async () => {
    process.env.AWS_ACCESS_KEY_ID = "AKIAPROFILE";
    process.env.AWS_SECRET_ACCESS_KEY = "not-the-secret";
    const error = await invoke({}).catch((caught) => caught);
    expect(error).toBeInstanceOf(RelayError);
    expect(error.status).toBe(502);
    expect(error.message).toContain('provider "aws"');
    expect(fake.rejected[0]!.reason).toContain("signature we calculated does not match");
  });

  test("no credentials anywhere: a prompt 502 naming the provider", async () => {
    const started = Date.now();
    const error = await invoke({}).catch((caught) => caught);
    expect(error.status).toBe(502);
    expect(error.message).toContain('No AWS credentials for Bedrock provider "aws"');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  test("an instance-metadata address that never answers does not hold the request past the lookup bound", async () => {
    delete process.env.AWS_EC2_METADATA_DISABLED;
    // A non-routable address: connections neither succeed nor fail, like a blackholed metadata service.
    process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT = "http://10.255.255.1";
    const started = Date.now();
    const error = await invoke({ lookupTimeoutMs: 1500 }).catch((caught) => caught);
    expect(error.status).toBe(502);
    expect(Date.now() - started).toBeLessThan(4000);
  });
});
