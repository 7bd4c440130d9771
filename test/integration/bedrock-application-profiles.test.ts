/**
 * Application inference profile ARNs as route targets, against the fake Bedrock: the ARN goes into the path
 * URL-encoded; one the provider's inference_profiles names as Claude gets the native Anthropic Messages body
 * (and Anthropic clients the passthrough, betas filtered for the model it runs); one it does not name goes
 * through Converse.
 */
import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import { startRoutedRelay } from "../support/backend-relay.ts";
import { startFakeBedrock } from "../support/fake-bedrock.ts";

const claudeProfile = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/claude-team";
const unnamedProfile = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/unnamed";
const fake = startFakeBedrock({ bearerTokens: ["bedrock-key"] });
const relay = startRoutedRelay(`
providers:
  aws:
    type: bedrock
    region: us-east-1
    base_url: ${fake.url}
    api_key: bedrock-key
    inference_profiles:
      "${claudeProfile}": us.anthropic.claude-sonnet-4-5-20250929-v1:0
models:
  sonnet: aws/${claudeProfile}
  other: aws/${unnamedProfile}
default: aws/${claudeProfile}
`);

afterAll(async () => {
  await relay.stop();
  await fake.stop();
});
beforeEach(() => fake.reset());

const client = new Anthropic({ baseURL: relay.url, apiKey: "anything", maxRetries: 0 });

describe("application inference profile ARNs", () => {
  test("named as Claude: InvokeModel with the Messages body at the encoded ARN, betas filtered for the model it runs", async () => {
    fake.enqueue({ kind: "text", chunks: ["Hi from the profile"] });
    const message = await client.messages
      .stream({ model: "sonnet", max_tokens: 256, messages: [{ role: "user", content: "hi" }] }, { headers: { "anthropic-beta": "claude-code-20250219,interleaved-thinking-2025-05-14" } })
      .finalMessage();
    expect(message.content).toEqual([{ type: "text", text: "Hi from the profile" }] as any);
    const [seen] = fake.requests;
    expect(seen!.operation).toBe("invoke-with-response-stream");
    expect(seen!.modelId).toBe(claudeProfile);
    expect(seen!.rawPath).toBe(`/model/${encodeURIComponent(claudeProfile)}/invoke-with-response-stream`);
    expect(seen!.body).toMatchObject({ anthropic_version: "bedrock-2023-05-31", anthropic_beta: ["interleaved-thinking-2025-05-14"], max_tokens: 256 });
  });

  test("not named: Converse, which every model family speaks", async () => {
    fake.enqueue({ kind: "text", chunks: ["Hi via Converse"] });
    const message = await client.messages.create({ model: "other", max_tokens: 64, messages: [{ role: "user", content: "hi" }] });
    expect(message.content).toMatchObject([{ type: "text", text: "Hi via Converse" }]);
    const [seen] = fake.requests;
    expect(seen!.operation).toBe("converse");
    expect(seen!.modelId).toBe(unnamedProfile);
    expect(seen!.body.anthropic_version).toBeUndefined();
  });
});
