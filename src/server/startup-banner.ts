/** What a person who just started the relay in a terminal needs to see: where it is and how to use it. */
import type { BackendHealth } from "../core/relay-backend.ts";

/** One provider as the banner shows it: what it runs or calls, or why it cannot. */
export interface BannerBackend {
  name: string;
  type: string;
  /** e.g. "/usr/local/bin/claude (2.1.197)" or a base URL. */
  description: string;
}

export interface StartupBannerFacts {
  url: string;
  version: string;
  /** The providers, as probed at start. */
  backends: BannerBackend[];
  requiresKey: boolean;
  agent: boolean;
  dataDir: string;
  logFormat: "text" | "json";
}

export function renderStartupBanner(facts: StartupBannerFacts): string {
  const key = facts.requiresKey ? "<your --api-key>" : "anything";
  const backends = facts.backends.map((backend) => `  ${backendLabel(backend).padEnd(17)}${backend.description}`);
  return [
    "",
    `  agent-relay ${facts.version} is listening on ${facts.url}`,
    "",
    ...backends,
    `  Clients          ${facts.requiresKey ? "must send the relay's API key" : "no key needed (this machine only)"}`,
    `  Agent mode       ${facts.agent ? "ON: the CLI's own tools (Bash, Edit, ...) are enabled" : "off"}`,
    `  Data             ${facts.dataDir}`,
    `  Log              below, on stderr (${facts.logFormat}; change with --log-format)`,
    "",
    "  Point your clients at it:",
    `    export OPENAI_BASE_URL=${facts.url}/v1 OPENAI_API_KEY=${key}`,
    `    export ANTHROPIC_BASE_URL=${facts.url} ANTHROPIC_API_KEY=${key}`,
    "",
  ].join("\n");
}

function backendLabel(backend: BannerBackend): string {
  return backend.type === "claude-cli" ? "Claude Code CLI" : `${backend.name} (${backend.type})`;
}

/** The providers of the router's health (details.providers), or the one backend's own health. */
export function describeBackendsForBanner(health: BackendHealth): BannerBackend[] {
  const providers = (health.details.providers ?? { backend: { ok: health.ok, reason: health.reason, ...health.details } }) as Record<string, Record<string, unknown>>;
  return Object.entries(providers).map(([name, provider]) => {
    const type = String(provider.type ?? name);
    if (provider.ok === false) return { name, type, description: `not usable: ${String(provider.reason ?? "unavailable")}` };
    if (typeof provider.path === "string") return { name, type, description: `${provider.path} (${String(provider.version ?? "version unknown")})` };
    const address = provider.base_url ?? provider.baseUrl ?? provider.url;
    return { name, type, description: typeof address === "string" ? address : "ready" };
  });
}
