/**
 * The systemd user unit for the relay (systemd.service(5), systemd.exec(5), systemd.kill(5)).
 */
import type { ServiceDefinition } from "./service-definition.ts";

/**
 * One ExecStart word: double-quoted, with specifiers (%) disabled and, in arguments, variable expansion ($);
 * systemd 252 expands no variables in the executable's path, so a "$$" there would stay two dollars.
 */
export function quoteSystemdWord(word: string, position: "executable" | "argument" = "argument"): string {
  const escaped = word.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("%", "%%");
  return `"${position === "argument" ? escaped.replaceAll("$", "$$$$") : escaped}"`;
}

/** One Environment= assignment: quoted as a whole, % escaped (systemd expands specifiers there, not $). */
function quoteSystemdAssignment(name: string, value: string): string {
  return `"${`${name}=${value}`.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("%", "%%")}"`;
}

export interface RenderSystemdUnitOptions {
  definition: ServiceDefinition;
  /** Set when the definition has secrets. */
  environmentFilePath?: string;
  /** Shown in the header comment. */
  version: string;
}

/** The unit text. */
export function renderSystemdUnit(options: RenderSystemdUnitOptions): string {
  const { definition, environmentFilePath, version } = options;
  const { config } = definition;
  // The relay needs shutdown-grace for running requests plus kill-grace for its CLIs; systemd's 90 s default SIGKILL must come later.
  const stopTimeoutSeconds = Math.ceil((config.shutdownGraceMs + config.killGraceMs) / 1000) + 10;
  const lines = [
    `# Written by \`agent-relay service install\` (agent-relay ${version}); \`agent-relay service uninstall\` removes it.`,
    "# Edit the options with `agent-relay service install [options]` again rather than by hand.",
    "[Unit]",
    "Description=agent-relay: OpenAI- and Anthropic-compatible API server backed by the Claude Code CLI",
    "",
    "[Service]",
    "Type=simple",
    `ExecStart=${definition.programArguments.map((word, index) => quoteSystemdWord(word, index === 0 ? "executable" : "argument")).join(" ")}`,
    ...Object.entries(definition.environment).map(([name, value]) => `Environment=${quoteSystemdAssignment(name, value)}`),
    // Both take a bare path (no quotes), with specifiers expanded.
    ...(environmentFilePath ? [`EnvironmentFile=${environmentFilePath.replaceAll("%", "%%")}`] : []),
    `WorkingDirectory=${(definition.environment.HOME ?? "/").replaceAll("%", "%%")}`,
    // The relay ends its own CLI process groups on SIGTERM after the grace period; control-group mode would SIGTERM them at once.
    "KillMode=mixed",
    `TimeoutStopSec=${stopTimeoutSeconds}`,
    "Restart=on-failure",
    "RestartSec=2",
    "",
    "[Install]",
    "WantedBy=default.target",
    "",
  ];
  return lines.join("\n");
}
