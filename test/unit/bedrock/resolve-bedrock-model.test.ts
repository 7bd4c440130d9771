/**
 * The four forms of Bedrock model ids a route may name: which model each runs (so which API it speaks) and the
 * path it goes to. Application inference profile ARNs name no model: the provider's inference_profiles does.
 */
import { describe, expect, test } from "bun:test";
import { buildBedrockModelPath } from "../../../src/backends/bedrock/bedrock-model-path.ts";
import { resolveBedrockModel } from "../../../src/backends/bedrock/resolve-bedrock-model.ts";
import { parseRoutingFile } from "../../../src/config/load-routing-file.ts";

const sonnet = "anthropic.claude-sonnet-4-5-20250929-v1:0";
const applicationProfile = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6";
const profiles = { [applicationProfile]: `us.${sonnet}`, "llama-team-profile": "us.meta.llama3-3-70b-instruct-v1:0" };

describe("the four forms of model id", () => {
  const cases: Array<{ form: string; id: string; path: string; base: string; anthropic: boolean }> = [
    { form: "plain model id", id: sonnet, path: "/model/anthropic.claude-sonnet-4-5-20250929-v1%3A0/invoke", base: sonnet, anthropic: true },
    { form: "inference profile id", id: `eu.${sonnet}`, path: "/model/eu.anthropic.claude-sonnet-4-5-20250929-v1%3A0/invoke", base: sonnet, anthropic: true },
    {
      form: "foundation-model ARN",
      id: `arn:aws:bedrock:us-west-2::foundation-model/${sonnet}`,
      path: "/model/arn%3Aaws%3Abedrock%3Aus-west-2%3A%3Afoundation-model%2Fanthropic.claude-sonnet-4-5-20250929-v1%3A0/invoke",
      base: sonnet,
      anthropic: true,
    },
    {
      form: "application inference profile ARN, named in inference_profiles",
      id: applicationProfile,
      path: "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Aapplication-inference-profile%2Fa1b2c3d4e5f6/invoke",
      base: sonnet,
      anthropic: true,
    },
  ];
  for (const { form, id, path, base, anthropic } of cases) {
    test(form, () => {
      expect(buildBedrockModelPath(id, "invoke")).toBe(path);
      expect(resolveBedrockModel(id, profiles)).toEqual({ baseModelId: base, anthropic, opaque: false });
    });
  }

  test("an application inference profile may be named by the ID at the end of its ARN", () => {
    const arn = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/llama-team-profile";
    expect(resolveBedrockModel(arn, profiles)).toEqual({ baseModelId: "meta.llama3-3-70b-instruct-v1:0", anthropic: false, opaque: false });
  });

  test("one that is not named goes through Converse, never a guessed Anthropic body", () => {
    const unknown = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/zzz";
    expect(resolveBedrockModel(unknown, profiles)).toEqual({ baseModelId: "zzz", anthropic: false, opaque: true });
    expect(resolveBedrockModel("arn:aws:bedrock:us-east-1:123456789012:provisioned-model/pt-1")).toMatchObject({ anthropic: false, opaque: true });
    expect(resolveBedrockModel("arn:aws-us-gov:bedrock:us-gov-west-1:123456789012:application-inference-profile/g1")).toMatchObject({ anthropic: false, opaque: true });
  });
});

describe("inference_profiles in the routing file", () => {
  test("a mapping of ARNs to the model each runs", () => {
    const routing = parseRoutingFile(`providers:\n  aws:\n    type: bedrock\n    region: us-east-1\n    inference_profiles:\n      "${applicationProfile}": us.${sonnet}\ndefault: aws\n`, { path: "/etc/relay.yaml", env: {} });
    const aws = routing.providers.get("aws");
    expect(aws?.type === "bedrock" && aws.inferenceProfiles).toEqual({ [applicationProfile]: `us.${sonnet}` });
  });

  test("anything else names the key and the line", () => {
    expect(() => parseRoutingFile(`providers:\n  aws:\n    type: bedrock\n    region: us-east-1\n    inference_profiles: [a, b]\ndefault: aws\n`, { path: "/etc/relay.yaml", env: {} })).toThrow(
      "/etc/relay.yaml:5: providers.aws.inference_profiles: must be a mapping of ARNs (or IDs) to the model id each runs",
    );
  });
});
