/**
 * Stand-ins for systemctl/journalctl/loginctl and launchctl, for machines without a user service manager: shell scripts
 * on PATH that record every call and keep a little state (loaded, running) the way the real ones report it.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface FakeServiceManagers {
  /** Put first on PATH. */
  binDirectory: string;
  /** Every call, one "program arg arg..." line each. */
  calls(): string[];
  clearCalls(): void;
}

const systemctlScript = `#!/bin/sh
state_dir="$FAKE_MANAGER_STATE"
echo "systemctl $*" >> "$state_dir/calls"
shift # --user
case "$1" in
  show)
    if [ -e "$state_dir/running" ]; then
      printf 'LoadState=loaded\\nActiveState=active\\nSubState=running\\nMainPID=%s\\nUnitFileState=enabled\\n' "\${FAKE_MAIN_PID:-4242}"
    elif [ -e "$state_dir/enabled" ]; then
      printf 'LoadState=loaded\\nActiveState=inactive\\nSubState=dead\\nMainPID=0\\nUnitFileState=enabled\\n'
    else
      printf 'LoadState=not-found\\nActiveState=inactive\\nSubState=dead\\nMainPID=0\\nUnitFileState=\\n'
    fi ;;
  enable) touch "$state_dir/enabled" ;;
  start|restart) touch "$state_dir/running" ;;
  stop) rm -f "$state_dir/running" ;;
  disable) rm -f "$state_dir/enabled" "$state_dir/running" ;;
esac
exit 0
`;

const journalctlScript = `#!/bin/sh
echo "journalctl $*" >> "$FAKE_MANAGER_STATE/calls"
echo "a journal line"
`;

const loginctlScript = `#!/bin/sh
echo "loginctl $*" >> "$FAKE_MANAGER_STATE/calls"
echo no
`;

const launchctlScript = `#!/bin/sh
state_dir="$FAKE_MANAGER_STATE"
echo "launchctl $*" >> "$state_dir/calls"
case "$1" in
  print)
    if [ -e "$state_dir/loaded" ]; then
      printf '%s = {\\n\\tstate = running\\n\\tpid = 4242\\n}\\n' "$2"
    else
      echo "Could not find service in domain" >&2; exit 113
    fi ;;
  bootstrap) touch "$state_dir/loaded" ;;
  bootout) rm -f "$state_dir/loaded" ;;
esac
exit 0
`;

/** Writes the stand-ins into directory/bin and their state into directory/state (FAKE_MANAGER_STATE). */
export function createFakeServiceManagers(directory: string): FakeServiceManagers & { env: Record<string, string> } {
  const binDirectory = join(directory, "bin");
  const stateDirectory = join(directory, "state");
  mkdirSync(binDirectory, { recursive: true });
  mkdirSync(stateDirectory, { recursive: true });
  for (const [name, script] of [["systemctl", systemctlScript], ["journalctl", journalctlScript], ["loginctl", loginctlScript], ["launchctl", launchctlScript]] as const) {
    writeFileSync(join(binDirectory, name), script);
    chmodSync(join(binDirectory, name), 0o755);
  }
  const callsFile = join(stateDirectory, "calls");
  return {
    binDirectory,
    env: { FAKE_MANAGER_STATE: stateDirectory },
    calls: () => (existsSync(callsFile) ? readFileSync(callsFile, "utf8").split("\n").filter(Boolean) : []),
    clearCalls: () => writeFileSync(callsFile, ""),
  };
}
