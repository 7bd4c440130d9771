import { describe, expect, test } from "bun:test";
import { capJson } from "../../src/inspector/request-recording.ts";
import { maskSecrets, maskSecretsInJson, mayHoldSecret, scrubHeaders } from "../../src/inspector/scrub-secrets.ts";

describe("maskSecrets", () => {
  const cases: Array<[kind: string, secret: string]> = [
    ["api-key", "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"],
    ["api-key", "sk-proj-abcdefghijklmnopqrstuvwxyz123456"],
    ["aws-access-key", "AKIAIOSFODNN7EXAMPLE"],
    ["aws-access-key", "ASIAIOSFODNN7EXAMPLE"],
    ["github-token", "ghp_abcdefghijklmnopqrstuvwxyz0123456789"],
    ["github-token", "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789"],
    ["slack-token", "xoxb-123456789012-abcdefghijkl"],
    ["google-api-key", "AIzaSyA1234567890abcdefghijklmnopqrstuv"],
    ["jwt", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"],
    ["private-key", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----"],
  ];
  for (const [kind, secret] of cases) {
    test(`masks a ${kind}: ${secret.slice(0, 12)}...`, () => {
      const masked = maskSecrets(`before ${secret} after`);
      expect(masked).toBe(`before [redacted:${kind}] after`);
    });
  }

  // The recorder skips masking a body whose JSON text mayHoldSecret rejects: no key may slip through that check.
  test("every key is seen in the JSON text of a value that holds it deep inside, in a string or as a key", () => {
    for (const [, secret] of [...cases, ["bearer-token", "Bearer abcdefghijklmnopqrstuvwxyz012345"]]) {
      expect(mayHoldSecret(JSON.stringify({ messages: [{ content: [{ text: `see "${secret}"\n` }] }] }))).toBe(true);
      expect(mayHoldSecret(JSON.stringify({ [secret]: 1 }))).toBe(true);
    }
    expect(mayHoldSecret(JSON.stringify({ messages: [{ role: "user", content: "Say hello. ".repeat(50) }] }))).toBe(false);
  });

  test("a bearer token in text is masked, the word Bearer kept", () => {
    expect(maskSecrets("curl -H 'Authorization: Bearer abcdefghijklmnopqrstuvwxyz012345'")).toBe("curl -H 'Authorization: Bearer [redacted:bearer-token]'");
  });

  test("ordinary text that only looks a little like a key is left alone", () => {
    const text = "risk-assessment-framework-for-projects, task-1, AKIA short, eyJ alone, sk-short";
    expect(maskSecrets(text)).toBe(text);
  });

  test("in JSON, strings and keys are masked but base64 media is not touched", () => {
    const image = `data:image/png;base64,${"A".repeat(10)}AKIAIOSFODNN7EXAMPLE${"B".repeat(10)}`;
    const value = { text: "key sk-abcdefghijklmnopqrstuvwx12", image, source: { type: "base64", media_type: "image/png", data: "AKIAIOSFODNN7EXAMPLE" }, ["AKIAIOSFODNN7EXAMPLE"]: 1 };
    expect(maskSecretsInJson(value) as unknown).toEqual({
      text: "key [redacted:api-key]",
      image,
      source: { type: "base64", media_type: "image/png", data: "AKIAIOSFODNN7EXAMPLE" },
      ["[redacted:aws-access-key]"]: 1,
    });
  });
});

describe("scrubHeaders", () => {
  test("credentials, cookies, configured names and any auth-like name are removed; the rest is kept", () => {
    const headers = new Headers({
      authorization: "Bearer sk-abcdefghijklmnopqrstuvwxyz",
      "x-api-key": "secret",
      cookie: "session=1",
      "x-custom-auth": "a",
      "x-amz-security-token": "b",
      "x-my-secret": "c",
      "x-internal-tenant": "tenant-7",
      "user-agent": "claude-cli/2.1.197",
      "x-claude-code-session-id": "930c787f",
      "x-note": "my key is sk-abcdefghijklmnopqrstuvwx12",
    });
    expect(scrubHeaders(headers, ["X-Internal-Tenant"])).toEqual({
      authorization: "[removed]",
      "x-api-key": "[removed]",
      cookie: "[removed]",
      "x-custom-auth": "[removed]",
      "x-amz-security-token": "[removed]",
      "x-my-secret": "[removed]",
      "x-internal-tenant": "[removed]",
      "user-agent": "claude-cli/2.1.197",
      "x-claude-code-session-id": "930c787f",
      "x-note": "my key is [redacted:api-key]",
    });
  });
});

describe("capJson", () => {
  test("a body under the cap is kept as is; over it, long strings are cut with a marker and the result fits", () => {
    const small = { text: "short" };
    expect(capJson(small, 1000)).toBe(small);
    const big = { messages: [{ content: "x".repeat(50_000) }, { content: "short" }] };
    const capped = capJson(big, 4096) as typeof big;
    expect(JSON.stringify(capped).length).toBeLessThanOrEqual(4096);
    expect(capped.messages[0].content).toContain("…[truncated ");
    expect(capped.messages[1].content).toBe("short");
  });
});
