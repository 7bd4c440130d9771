/**
 * Bedrock model ids as route targets: plain model ids (`anthropic.claude-sonnet-4-5-20250929-v1:0`),
 * inference profile ids (`us.anthropic.claude-sonnet-4-5-20250929-v1:0`, `global.anthropic...`) and ARNs of
 * foundation models, inference profiles or provisioned throughput. Each goes into the path URL-encoded.
 */

/** The four Bedrock runtime operations the relay calls. */
export type BedrockOperation = "invoke" | "invoke-with-response-stream" | "converse" | "converse-stream";

/** The request path for an operation on a model id (colons and slashes of ARNs encoded). */
export function buildBedrockModelPath(modelId: string, operation: BedrockOperation): string {
  return `/model/${encodeURIComponent(modelId)}/${operation}`;
}

const inferenceProfilePrefixes = ["us", "eu", "apac", "global", "us-gov", "jp", "au", "ca"];

/** The model part of an id or ARN, without region prefix or ARN: `anthropic.claude-sonnet-4-5-20250929-v1:0`. */
export function bedrockBaseModelId(modelId: string): string {
  let id = modelId;
  if (id.startsWith("arn:")) id = id.slice(id.lastIndexOf("/") + 1);
  const firstDot = id.indexOf(".");
  if (firstDot > 0 && inferenceProfilePrefixes.includes(id.slice(0, firstDot))) id = id.slice(firstDot + 1);
  return id;
}

/** Whether the model speaks the native Anthropic Messages body (InvokeModel) rather than Converse. */
export function isAnthropicBedrockModel(modelId: string): boolean {
  return bedrockBaseModelId(modelId).startsWith("anthropic.");
}

/** The inference profile id to suggest when a plain model id cannot be invoked on demand. */
export function suggestInferenceProfileId(modelId: string, region: string): string | undefined {
  if (modelId.startsWith("arn:") || bedrockBaseModelId(modelId) !== modelId) return undefined;
  const geography = region.startsWith("us-gov") ? "us-gov" : region.startsWith("eu-") ? "eu" : region.startsWith("ap-") ? "apac" : "us";
  return `${geography}.${modelId}`;
}
