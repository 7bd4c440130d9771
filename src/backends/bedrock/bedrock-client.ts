/**
 * One Bedrock runtime call: builds the URL for the model and operation, authorises it (Bearer or SigV4),
 * sends it and turns every failure into a RelayError that names the provider: AWS errors by type, missing
 * credentials and unreachable endpoints as 502, a client disconnect as an abort of the upstream call.
 */
import { postToUpstream } from "../post-to-upstream.ts";
import { RelayError } from "../../core/relay-error.ts";
import { BedrockCredentialsError, type BedrockAuthorization } from "./bedrock-credentials.ts";
import { buildBedrockModelPath, type BedrockOperation } from "./bedrock-model-path.ts";
import { mapBedrockError } from "./map-bedrock-error.ts";
import { signBedrockRequest } from "./sign-bedrock-request.ts";

export interface BedrockEndpoint {
  /** The provider's name in the routing file, for error messages. */
  provider: string;
  region: string;
  /** `https://bedrock-runtime.REGION.amazonaws.com` unless overridden. */
  baseUrl: string;
  authorization: BedrockAuthorization;
  /** How long to wait for the response headers (a stream itself may take as long as it needs). */
  timeoutMs?: number;
}

export interface BedrockCall {
  endpoint: BedrockEndpoint;
  modelId: string;
  operation: BedrockOperation;
  body: string;
  signal: AbortSignal;
}

export function defaultBedrockBaseUrl(region: string): string {
  return `https://bedrock-runtime.${region}.amazonaws.com`;
}

/** Sends the call; resolves with a 2xx response, throws a RelayError otherwise. */
export async function callBedrock(call: BedrockCall): Promise<Response> {
  const { endpoint } = call;
  const url = new URL(endpoint.baseUrl.replace(/\/+$/, "") + buildBedrockModelPath(call.modelId, call.operation));
  const accept = call.operation.endsWith("stream") ? "application/vnd.amazon.eventstream" : "application/json";
  let headers: Record<string, string>;
  try {
    headers = await signBedrockRequest({ url, headers: { "content-type": "application/json", accept }, body: call.body }, endpoint.authorization, endpoint.region);
  } catch (error) {
    if (error instanceof BedrockCredentialsError) {
      throw new RelayError("backend_authentication", `No AWS credentials for Bedrock provider "${endpoint.provider}": ${error.message}`, {
        code: "provider_credentials_missing",
        detail: error.message,
      });
    }
    throw error;
  }
  const response = await postToUpstream({
    url,
    headers,
    body: call.body,
    signal: call.signal,
    timeoutMs: endpoint.timeoutMs ?? 600_000,
    label: `Bedrock provider "${endpoint.provider}"`,
    where: url.origin,
  });
  if (response.ok) return response;
  throw await bedrockResponseError(response, call);
}

async function bedrockResponseError(response: Response, call: BedrockCall): Promise<RelayError> {
  const text = await response.text().catch(() => "");
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // Some gateways answer with HTML or plain text; the text itself is the message then.
  }
  const message = String(parsed.message ?? parsed.Message ?? text.slice(0, 500)).trim();
  const retryAfter = Number(response.headers.get("retry-after"));
  return mapBedrockError({
    status: response.status,
    errorType: response.headers.get("x-amzn-errortype") ?? (parsed.__type as string | undefined),
    message,
    provider: call.endpoint.provider,
    modelId: call.modelId,
    region: call.endpoint.region,
    retryAfterSeconds: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
  });
}
