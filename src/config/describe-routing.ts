/** `agent-relay config show`: the effective providers and routes, secrets masked. */
import type { RouteTarget } from "../router/route-table.ts";
import type { ProviderConfig, RoutingConfig } from "./routing-config.ts";

/** Shows that a secret is set without showing it: the first 3 and last 2 characters of long ones. */
export function maskSecret(secret: string): string {
  return secret.length >= 16 ? `${secret.slice(0, 3)}…${secret.slice(-2)}` : "***";
}

/** Header names whose values are credentials. */
const secretHeader = /authorization|api[-_]?key|token|secret|cookie|password/i;

function formatTargets(targets: RouteTarget[]): string {
  return targets.map((target) => (target.model === undefined ? `${target.provider} (the client's model)` : `${target.provider}/${target.model}`)).join(" -> ");
}

function describeProvider(provider: ProviderConfig): string[] {
  switch (provider.type) {
    case "claude-cli":
      return [`  ${provider.name}: claude-cli (configured by the command-line options)`];
    case "openai": {
      const lines = [`  ${provider.name}: openai ${provider.baseUrl}${provider.apiVersion ? ` (Azure, api-version ${provider.apiVersion})` : ""}`];
      lines.push(`    api_key: ${provider.apiKey ? maskSecret(provider.apiKey) : "none"}`);
      for (const [name, value] of Object.entries(provider.headers)) lines.push(`    header ${name}: ${secretHeader.test(name) ? maskSecret(value) : value}`);
      for (const [model, settings] of Object.entries(provider.models)) {
        const parts = [settings.maxOutputTokens ? `max_output_tokens ${settings.maxOutputTokens}` : "", settings.contextWindow ? `context_window ${settings.contextWindow}` : ""];
        lines.push(`    model ${model}: ${parts.filter(Boolean).join(", ")}`);
      }
      if (provider.pdf === "text") lines.push("    pdf: text (PDFs are refused)");
      if (provider.systemPrompt?.compact || provider.systemPrompt?.maxTokens) {
        lines.push(`    system_prompt: ${provider.systemPrompt.compact ? "compact" : "as sent"}${provider.systemPrompt.maxTokens ? `, at most ${provider.systemPrompt.maxTokens} tokens` : ""}`);
      }
      lines.push(`    timeout: ${provider.timeoutMs / 1000}s`);
      return lines;
    }
    case "anthropic": {
      const lines = [`  ${provider.name}: anthropic ${provider.baseUrl}`];
      lines.push(`    api_key: ${provider.apiKey ? maskSecret(provider.apiKey) : "none"}`);
      if (provider.authToken) lines.push(`    auth_token: ${maskSecret(provider.authToken)}`);
      if (provider.forwardClientKey) lines.push("    forward_client_key: true (each client's own key goes upstream)");
      for (const [name, value] of Object.entries(provider.headers)) lines.push(`    header ${name}: ${secretHeader.test(name) ? maskSecret(value) : value}`);
      lines.push(`    timeout: ${provider.timeoutMs / 1000}s`);
      return lines;
    }
    case "bedrock": {
      const lines = [`  ${provider.name}: bedrock ${provider.baseUrl ?? `region ${provider.region ?? "from AWS_REGION"}`}`];
      lines.push(`    credentials: ${provider.apiKey ? `api_key ${maskSecret(provider.apiKey)}` : provider.profile ? `profile ${provider.profile}` : "AWS_BEARER_TOKEN_BEDROCK or the AWS default chain"}`);
      if (provider.betas) lines.push(`    betas: ${provider.betas.join(", ") || "(none)"}`);
      if (provider.models.length > 0) lines.push(`    models: ${provider.models.join(", ")}`);
      for (const [profile, model] of Object.entries(provider.inferenceProfiles)) lines.push(`    ${profile} runs ${model}`);
      lines.push(`    timeout: ${provider.timeoutMs / 1000}s`);
      return lines;
    }
    default: {
      const unreachable: never = provider;
      return unreachable;
    }
  }
}

/** The text `config show` prints. */
export function describeRouting(routing: RoutingConfig): string {
  const lines = [`Routing from ${routing.source}`, "", "Providers:"];
  for (const provider of routing.providers.values()) lines.push(...describeProvider(provider));
  lines.push("", "Models (an exact name first, then PROVIDER/MODEL, then the first matching pattern):");
  if (routing.routes.routes.length === 0) lines.push("  (none)");
  const width = Math.max(0, ...routing.routes.routes.map((route) => route.pattern.length));
  for (const route of routing.routes.routes) lines.push(`  ${route.pattern.padEnd(width)}  -> ${formatTargets(route.targets)}`);
  lines.push("", `Anything else -> ${formatTargets(routing.routes.defaultTargets)}`);
  const named = routing.routes.providers.filter((name) => name !== "claude" || routing.providers.size > 1);
  if (named.length > 0) lines.push(`Clients may also send PROVIDER/MODEL for: ${named.join(", ")}`);
  return lines.join("\n");
}
