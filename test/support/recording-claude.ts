/**
 * A wrapper around the fake CLI that records every start (pid and arguments) and the AGENT_RELAY_* variables
 * it was given, so a test can tell whether a request reached a CLI at all and what the CLI could see.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fakeClaudeBin } from "./test-relay.ts";

export interface RecordingClaude {
  /** The executable to pass as --claude-bin. */
  bin: string;
  /** One entry per CLI start, version probes included. */
  starts(): string[];
  /** Starts that answer requests (stream-json sessions), model listing included. */
  sessions(): string[];
  /** AGENT_RELAY_* lines seen in any CLI's environment. */
  relayVariablesSeen(): string[];
}

export function createRecordingClaude(directory: string): RecordingClaude {
  const bin = join(directory, "recording-claude.sh");
  const startsFile = join(directory, "claude-starts.log");
  const environmentFile = join(directory, "claude-env.log");
  writeFileSync(
    bin,
    [
      "#!/bin/sh",
      `echo "$$ $*" >> '${startsFile}'`,
      `env | grep '^AGENT_RELAY_' >> '${environmentFile}'`,
      `exec '${fakeClaudeBin}' "$@"`,
      "",
    ].join("\n"),
  );
  chmodSync(bin, 0o755);
  const lines = (path: string) => (existsSync(path) ? readFileSync(path, "utf8").split("\n").filter(Boolean) : []);
  return {
    bin,
    starts: () => lines(startsFile),
    sessions: () => lines(startsFile).filter((line) => line.includes("stream-json")),
    relayVariablesSeen: () => lines(environmentFile),
  };
}
