/** A `type: anthropic` provider in the routing file: the Anthropic API or an Anthropic-compatible gateway. */

export interface AnthropicProviderConfig {
  type: "anthropic";
  /** Defaults to the Anthropic API. */
  base_url?: string;
  /** Sent as x-api-key. */
  api_key?: string;
  /** Sent as `Authorization: Bearer` (gateways, OAuth tokens). */
  auth_token?: string;
  /** Extra headers on every upstream request. */
  headers?: Record<string, string>;
  /** The anthropic-version header when the client sends none (hub-path requests always). */
  anthropic_version?: string;
  /** Forward the client's own x-api-key / Authorization instead of the provider's credentials. */
  forward_client_key?: boolean;
  /** Seconds to wait for the upstream's response headers. */
  timeout?: number;
  /** max_tokens for hub-path requests that set none. */
  default_max_tokens?: number;
}

export const defaultAnthropicBaseUrl = "https://api.anthropic.com";
export const defaultAnthropicVersion = "2023-06-01";
