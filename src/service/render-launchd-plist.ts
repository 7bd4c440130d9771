/**
 * The LaunchAgent property list for the relay (launchd.plist(5)).
 */
import type { ServiceDefinition } from "./service-definition.ts";

function escapeXml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");
}

const string = (text: string) => `<string>${escapeXml(text)}</string>`;

export interface RenderLaunchdPlistOptions {
  definition: ServiceDefinition;
  label: string;
  /** Set when the definition has secrets: the relay is then started by /bin/sh after it reads this file. */
  environmentFilePath?: string;
  /** stdout and stderr (the relay's JSON log lines) go here. */
  logPath: string;
}

/**
 * The arguments launchd runs. launchd has no environment-file setting and a plist is readable by anyone who can
 * list the user's LaunchAgents, so with secrets /bin/sh reads the user-only file and then execs the relay.
 */
function launchdProgramArguments(definition: ServiceDefinition, environmentFilePath: string | undefined): string[] {
  if (!environmentFilePath) return definition.programArguments;
  return ["/bin/sh", "-c", 'set -a && . "$0" && exec "$@"', environmentFilePath, ...definition.programArguments];
}

/** The plist text. */
export function renderLaunchdPlist(options: RenderLaunchdPlistOptions): string {
  const { definition, label, environmentFilePath, logPath } = options;
  const { config } = definition;
  // launchd sends SIGKILL ExitTimeOut seconds after SIGTERM (20 by default); the relay needs its grace periods first.
  const exitTimeoutSeconds = Math.ceil((config.shutdownGraceMs + config.killGraceMs) / 1000) + 10;
  const environment = Object.entries(definition.environment).map(([name, value]) => `      <key>${escapeXml(name)}</key>${string(value)}`);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    "<!-- Written by `agent-relay service install`; `agent-relay service uninstall` removes it. -->",
    '<plist version="1.0">',
    "  <dict>",
    `    <key>Label</key>${string(label)}`,
    "    <key>ProgramArguments</key>",
    "    <array>",
    ...launchdProgramArguments(definition, environmentFilePath).map((argument) => `      ${string(argument)}`),
    "    </array>",
    "    <key>EnvironmentVariables</key>",
    "    <dict>",
    ...environment,
    "    </dict>",
    `    <key>WorkingDirectory</key>${string(definition.environment.HOME ?? "/")}`,
    "    <key>RunAtLoad</key><true/>",
    // Restarted when it crashes (a non-zero exit), not after `agent-relay service stop` (SIGTERM, exit 0).
    "    <key>KeepAlive</key>",
    "    <dict>",
    "      <key>SuccessfulExit</key><false/>",
    "    </dict>",
    `    <key>ExitTimeOut</key><integer>${exitTimeoutSeconds}</integer>`,
    `    <key>StandardOutPath</key>${string(logPath)}`,
    `    <key>StandardErrorPath</key>${string(logPath)}`,
    "  </dict>",
    "</plist>",
    "",
  ].join("\n");
}
