/** What a person who just started the relay in a terminal needs to see: where it is and how to use it. */

export interface StartupBannerFacts {
  url: string;
  version: string;
  /** The CLI the relay runs, as probed at start. */
  claude: { path: string | null; version: string | null; problem?: string };
  requiresKey: boolean;
  agent: boolean;
  dataDir: string;
  logFormat: "text" | "json";
}

export function renderStartupBanner(facts: StartupBannerFacts): string {
  const key = facts.requiresKey ? "<your --api-key>" : "anything";
  const claude = facts.claude.path
    ? `${facts.claude.path} (${facts.claude.version ?? "version unknown"})`
    : `not usable: ${facts.claude.problem ?? "not found"}`;
  return [
    "",
    `  agent-relay ${facts.version} is listening on ${facts.url}`,
    "",
    `  Claude Code CLI  ${claude}`,
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
