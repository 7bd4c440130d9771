/**
 * How a Bedrock provider proves who it is, in the order AWS users expect: a Bedrock API key (the provider's
 * `api_key`, else AWS_BEARER_TOKEN_BEDROCK) sent as a Bearer token; otherwise SigV4 with credentials from the
 * AWS SDK's own default chain: static environment keys, SSO, the shared config and credentials files with the
 * named profile (assume-role included), credential_process, web identity, then container and instance roles.
 * A provider that names a profile uses it even when environment keys are set, as the AWS CLI does.
 */
import { defaultProvider } from "@aws-sdk/credential-provider-node";
import type { AwsCredentialIdentity } from "@smithy/types";

/** A resolved way to authorise requests. */
export type BedrockAuthorization =
  | { kind: "bearer"; token: string; source: "api_key" | "AWS_BEARER_TOKEN_BEDROCK" }
  | { kind: "sigv4"; credentials: () => Promise<AwsCredentialIdentity> };

export interface BedrockCredentialOptions {
  /** The provider's `api_key` from the routing file. */
  apiKey?: string;
  /** The named profile in the shared AWS files. */
  profile?: string;
  environment: Record<string, string | undefined>;
  /** Upper bound for one credential lookup, so a blackholed metadata address never holds a request. */
  lookupTimeoutMs?: number;
}

/** The credentials could not be found or refreshed. */
export class BedrockCredentialsError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "BedrockCredentialsError";
  }
}

const defaultLookupTimeoutMs = 5000;

export function resolveBedrockAuthorization(options: BedrockCredentialOptions): BedrockAuthorization {
  if (options.apiKey) return { kind: "bearer", token: options.apiKey, source: "api_key" };
  const environmentToken = options.environment.AWS_BEARER_TOKEN_BEDROCK;
  if (environmentToken) return { kind: "bearer", token: environmentToken, source: "AWS_BEARER_TOKEN_BEDROCK" };
  const lookupTimeoutMs = options.lookupTimeoutMs ?? defaultLookupTimeoutMs;
  // The SDK memoizes and refreshes expiring credentials itself; one second per metadata call, no retries.
  const chain = defaultProvider({ profile: options.profile, timeout: Math.min(1000, lookupTimeoutMs), maxRetries: 0 });
  return { kind: "sigv4", credentials: () => withTimeout(chain(), lookupTimeoutMs) };
}

async function withTimeout(lookup: Promise<AwsCredentialIdentity>, timeoutMs: number): Promise<AwsCredentialIdentity> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new BedrockCredentialsError(`no AWS credentials after ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([lookup, timeout]);
  } catch (error) {
    if (error instanceof BedrockCredentialsError) throw error;
    throw new BedrockCredentialsError(error instanceof Error ? error.message : String(error), { cause: error });
  } finally {
    clearTimeout(timer);
  }
}

/** A one-line description of where credentials come from, for /health (never the secret itself). */
export function describeBedrockAuthorization(authorization: BedrockAuthorization, profile?: string): string {
  switch (authorization.kind) {
    case "bearer":
      return `bearer token from ${authorization.source}`;
    case "sigv4":
      return profile ? `SigV4, AWS profile ${profile}` : "SigV4, AWS default credential chain";
    default: {
      const unreachable: never = authorization;
      return unreachable;
    }
  }
}
