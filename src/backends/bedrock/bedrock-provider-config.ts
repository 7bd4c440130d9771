/** A `type: bedrock` provider in the routing file. */

export interface BedrockProviderConfig {
  type: "bedrock";
  /** The AWS region; defaults to AWS_REGION / AWS_DEFAULT_REGION. */
  region?: string;
  /** A named profile in the shared AWS config and credentials files (SSO and assume-role included). */
  profile?: string;
  /** A Bedrock API key, sent as Bearer (else AWS_BEARER_TOKEN_BEDROCK, else SigV4). */
  api_key?: string;
  /** Endpoint override (VPC endpoints, tests); defaults to https://bedrock-runtime.REGION.amazonaws.com. */
  base_url?: string;
  /** Replaces the built-in list of anthropic_beta flags Bedrock accepts. */
  betas?: string[];
  /** The anthropic_version sent in the body; defaults to bedrock-2023-05-31. */
  anthropic_version?: string;
  /** Model ids this provider lists in /v1/models. */
  models?: string[];
  /** max_tokens for requests that set none (Claude requires one; Converse models have their own default). */
  default_max_tokens?: number;
  /** Seconds to wait for the response headers. */
  timeout?: number;
}
