/**
 * Which model a Bedrock model id runs, and so which API it speaks. Plain ids, inference profile ids and ARNs of
 * foundation models or system inference profiles name the model themselves. Application inference profiles
 * (`arn:aws:bedrock:REGION:ACCOUNT:application-inference-profile/ID`) and provisioned throughput
 * (`...:provisioned-model/ID`) do not: the provider's `inference_profiles` setting says which model each runs.
 * One the setting does not name goes through Converse, which every Bedrock model speaks (Claude included, without
 * the native Messages body's fidelity), so a guess never sends an Anthropic body to another family's model.
 */
import { bedrockBaseModelId } from "./bedrock-model-path.ts";

/** What the backend needs to know about a model id. */
export interface ResolvedBedrockModel {
  /** The model it runs, without region prefix or ARN, e.g. `anthropic.claude-sonnet-4-5-20250929-v1:0`. */
  baseModelId: string;
  /** True for Claude: InvokeModel with the native Anthropic Messages body. */
  anthropic: boolean;
  /** True for an ARN whose model the configuration does not name (it goes through Converse). */
  opaque: boolean;
}

const opaqueArn = /^arn:aws[a-z-]*:bedrock:[^:]*:[^:]*:(application-inference-profile|provisioned-model|custom-model-deployment)\/(.+)$/;

/**
 * `inferenceProfiles` maps an ARN (or the ID at its end) to the model id it runs, e.g.
 * `{"arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2": "us.anthropic.claude-sonnet-4-5-20250929-v1:0"}`.
 */
export function resolveBedrockModel(modelId: string, inferenceProfiles: Readonly<Record<string, string>> = {}): ResolvedBedrockModel {
  const opaque = opaqueArn.exec(modelId);
  const runs = inferenceProfiles[modelId] ?? (opaque ? inferenceProfiles[opaque[2]!] : undefined);
  if (runs !== undefined) return describe(bedrockBaseModelId(runs), false);
  if (opaque) return { baseModelId: opaque[2]!, anthropic: false, opaque: true };
  return describe(bedrockBaseModelId(modelId), false);
}

function describe(baseModelId: string, opaque: boolean): ResolvedBedrockModel {
  return { baseModelId, anthropic: baseModelId.startsWith("anthropic."), opaque };
}
