/**
 * Assume-role and SSO profiles, resolved by the AWS SDK's own credential providers against fakes of STS and
 * the SSO portal (AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL_SSO point the SDK at them); the fake Bedrock, which
 * verifies SigV4 signatures, accepts only the temporary credentials those endpoints handed out.
 */
import { afterAll, afterEach, beforeEach, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { callBedrock } from "../../../src/backends/bedrock/bedrock-client.ts";
import { resolveBedrockAuthorization } from "../../../src/backends/bedrock/bedrock-credentials.ts";
import { startFakeAwsCredentialEndpoints } from "../../support/fake-aws-credential-endpoints.ts";
import { startFakeBedrock } from "../../support/fake-bedrock.ts";

const assumed = { accessKeyId: "ASIAASSUMEDROLE", secretAccessKey: "assumed-secret", sessionToken: "assumed-session-token" };
const sso = { accessKeyId: "ASIASSOROLE", secretAccessKey: "sso-secret", sessionToken: "sso-session-token" };
const ssoAccessToken = "sso-access-token-from-the-cache";
const endpoints = startFakeAwsCredentialEndpoints({ assumed, sso, ssoAccessToken });
// Only the temporary credentials are accepted: the source profile's own keys would be refused.
const fake = startFakeBedrock({
  credentials: {
    [assumed.accessKeyId]: { secretAccessKey: assumed.secretAccessKey, sessionToken: assumed.sessionToken },
    [sso.accessKeyId]: { secretAccessKey: sso.secretAccessKey, sessionToken: sso.sessionToken },
  },
});

const variables = ["HOME", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE", "AWS_EC2_METADATA_DISABLED", "AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_SSO", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN"];
const saved = Object.fromEntries(variables.map((name) => [name, process.env[name]]));
const directory = mkdtempSync(join(tmpdir(), "bedrock-profiles-"));
let testNumber = 0;
let home = "";

beforeEach(() => {
  for (const name of variables) delete process.env[name];
  // A fresh HOME and fresh shared files per test: the SDK caches what it read per path, and the developer's
  // own ~/.aws must never leak in.
  testNumber++;
  home = join(directory, `home-${testNumber}`);
  mkdirSync(join(home, ".aws"), { recursive: true });
  process.env.HOME = home;
  process.env.AWS_CONFIG_FILE = join(home, ".aws", "config");
  process.env.AWS_SHARED_CREDENTIALS_FILE = join(home, ".aws", "credentials");
  process.env.AWS_EC2_METADATA_DISABLED = "true";
  process.env.AWS_ENDPOINT_URL_STS = endpoints.url;
  process.env.AWS_ENDPOINT_URL_SSO = endpoints.url;
  fake.reset();
});
afterEach(() => {
  for (const name of variables) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
});
afterAll(async () => {
  await fake.stop();
  await endpoints.stop();
  rmSync(directory, { recursive: true, force: true });
});

async function invokeWithProfile(profile: string) {
  const endpoint = { provider: "aws", region: "us-east-1", baseUrl: fake.url, authorization: resolveBedrockAuthorization({ profile, environment: {} }) };
  const body = JSON.stringify({ anthropic_version: "bedrock-2023-05-31", max_tokens: 5, messages: [{ role: "user", content: "hi" }] });
  const response = await callBedrock({ endpoint, modelId: "us.anthropic.claude-sonnet-4-5-20250929-v1:0", operation: "invoke", body, signal: new AbortController().signal });
  return (await response.json()) as any;
}

describe("Bedrock credentials from profiles the SDK resolves", () => {
  test("an assume-role profile: STS is called with the source profile's keys, Bedrock signed with the assumed ones", async () => {
    writeFileSync(process.env.AWS_SHARED_CREDENTIALS_FILE!, "[base]\naws_access_key_id = AKIASOURCEKEYS\naws_secret_access_key = source-secret\n");
    writeFileSync(process.env.AWS_CONFIG_FILE!, "[profile bedrock-role]\nrole_arn = arn:aws:iam::123456789012:role/bedrock-invoker\nsource_profile = base\nrole_session_name = agent-relay\nregion = us-east-1\n");
    const message = await invokeWithProfile("bedrock-role");
    expect(message.type).toBe("message");
    expect(endpoints.assumeRoleCalls).toEqual([{ roleArn: "arn:aws:iam::123456789012:role/bedrock-invoker", roleSessionName: "agent-relay", signedBy: "AKIASOURCEKEYS" }]);
    expect(fake.rejected).toEqual([]);
    expect(fake.requests[0]!.auth).toEqual({ kind: "sigv4", accessKeyId: assumed.accessKeyId, sessionToken: assumed.sessionToken });
  });

  test("an SSO profile: the cached SSO token buys role credentials from the portal, and Bedrock is signed with them", async () => {
    const startUrl = "https://example.awsapps.com/start";
    writeFileSync(process.env.AWS_CONFIG_FILE!, `[profile bedrock-sso]\nsso_start_url = ${startUrl}\nsso_region = us-east-1\nsso_account_id = 123456789012\nsso_role_name = BedrockUser\nregion = us-east-1\n`);
    // What `aws sso login` leaves behind: the token cached under the SHA-1 of the start URL.
    const cache = join(home, ".aws", "sso", "cache");
    mkdirSync(cache, { recursive: true });
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d{3}Z$/, "Z");
    writeFileSync(join(cache, `${createHash("sha1").update(startUrl).digest("hex")}.json`), JSON.stringify({ startUrl, region: "us-east-1", accessToken: ssoAccessToken, expiresAt }));
    const message = await invokeWithProfile("bedrock-sso");
    expect(message.type).toBe("message");
    expect(endpoints.ssoCalls).toEqual([{ accountId: "123456789012", roleName: "BedrockUser", accessToken: ssoAccessToken }]);
    expect(fake.rejected).toEqual([]);
    expect(fake.requests[0]!.auth).toEqual({ kind: "sigv4", accessKeyId: sso.accessKeyId, sessionToken: sso.sessionToken });
  });

  test("an SSO profile in the sso-session form (what `aws configure sso` writes today)", async () => {
    writeFileSync(
      process.env.AWS_CONFIG_FILE!,
      "[profile bedrock-sso]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = BedrockUser\nregion = us-east-1\n\n[sso-session corp]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\n",
    );
    // The sso-session form caches its token under the SHA-1 of the session's name.
    const cache = join(home, ".aws", "sso", "cache");
    mkdirSync(cache, { recursive: true });
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d{3}Z$/, "Z");
    writeFileSync(join(cache, `${createHash("sha1").update("corp").digest("hex")}.json`), JSON.stringify({ startUrl: "https://example.awsapps.com/start", region: "us-east-1", accessToken: ssoAccessToken, expiresAt }));
    const callsBefore = endpoints.ssoCalls.length;
    const message = await invokeWithProfile("bedrock-sso");
    expect(message.type).toBe("message");
    expect(endpoints.ssoCalls).toHaveLength(callsBefore + 1);
    expect(endpoints.ssoCalls.at(-1)).toEqual({ accountId: "123456789012", roleName: "BedrockUser", accessToken: ssoAccessToken });
    expect(fake.requests[0]!.auth).toEqual({ kind: "sigv4", accessKeyId: sso.accessKeyId, sessionToken: sso.sessionToken });
  });
});
