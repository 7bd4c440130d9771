/**
 * The `agent-relay service` entry: builds the context from this process (argv, environment, terminal) and turns
 * errors into messages and exit statuses like `serve` does (2 for bad options, 1 for failures).
 */
import { ConfigError } from "../config.ts";
import { version } from "../version.ts";
import { ManagerCommandError } from "./run-manager-command.ts";
import { runServiceCommand } from "./service-command.ts";
import { createServiceManager, type ServiceContext } from "./service-context.ts";
import { currentRelayCommand } from "./service-definition.ts";
import { resolveServiceLayout, UnsupportedPlatformError } from "./service-layout.ts";

/** Seconds install waits for /health; AGENT_RELAY_SERVICE_WAIT overrides (slow machines, first start of a CLI). */
const defaultHealthTimeoutSeconds = 30;

function contextFromProcess(env: Record<string, string | undefined>): ServiceContext {
  const layout = resolveServiceLayout(env);
  const waitSeconds = Number(env.AGENT_RELAY_SERVICE_WAIT);
  return {
    env,
    platform: process.platform,
    cwd: process.cwd(),
    layout,
    manager: createServiceManager(layout, env, process.getuid?.() ?? 0),
    relayCommand: currentRelayCommand(),
    version,
    write: (text) => process.stdout.write(text),
    writeError: (text) => process.stderr.write(text),
    isTerminal: Boolean(process.stdin.isTTY && process.stdout.isTTY),
    ask: async (question) => /^y(es)?$/i.test((prompt(`${question} [y/N]`) ?? "").trim()),
    healthTimeoutMs: (waitSeconds > 0 ? waitSeconds : defaultHealthTimeoutSeconds) * 1000,
  };
}

/** Runs `agent-relay service ...` (argv after "service"); resolves with the exit status. */
export async function runServiceCli(argv: string[], env: Record<string, string | undefined> = process.env): Promise<number> {
  try {
    return await runServiceCommand(contextFromProcess(env), argv);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`agent-relay: ${error.message}\n`);
      return 2;
    }
    if (error instanceof UnsupportedPlatformError || error instanceof ManagerCommandError) {
      process.stderr.write(`agent-relay: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}
