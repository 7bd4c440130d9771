import packageJson from "../package.json" with { type: "json" };

declare const AGENT_RELAY_VERSION: string | undefined;
declare const AGENT_RELAY_COMMIT: string | undefined;
declare const AGENT_RELAY_BUILD_DATE: string | undefined;

/** The release version, injected by `bun build --define`; package.json's version when running from source. */
export const version: string = typeof AGENT_RELAY_VERSION === "string" ? AGENT_RELAY_VERSION : packageJson.version;

/** The git commit the binary was built from; undefined when running from source. */
export const commit: string | undefined = typeof AGENT_RELAY_COMMIT === "string" ? AGENT_RELAY_COMMIT : undefined;

/** When the binary was built (ISO 8601, UTC); undefined when running from source. */
export const buildDate: string | undefined = typeof AGENT_RELAY_BUILD_DATE === "string" ? AGENT_RELAY_BUILD_DATE : undefined;

/** The `--version` line: "agent-relay 1.2.3 (commit 0123abc, built 2026-12-02T13:45:00Z)". */
export function versionLine(): string {
  if (commit === undefined && buildDate === undefined) return `agent-relay ${version} (from source)`;
  return `agent-relay ${version} (commit ${commit ?? "unknown"}, built ${buildDate ?? "unknown"})`;
}
