/**
 * Turns `agent-relay service install [serve options...]` into what the service runs: validated with the same
 * parser and errors as `serve`, secrets moved out of the command line, paths made absolute, and the environment
 * the claude CLI needs (PATH, HOME) captured from the installing shell.
 */
import { existsSync, realpathSync } from "node:fs";
import { delimiter, dirname, isAbsolute, resolve } from "node:path";
import { ConfigError, environmentName, optionSpecs, parseCommand, type RelayConfig } from "../config.ts";

/** Options whose values are secrets: they go into the environment file, never onto the unit's command line. */
const secretFlags = new Set(["api-key"]);
/** Options holding paths, made absolute because the service does not start in the installing shell's directory. */
const pathFlags = new Set(["data-dir", "workdir", "claude-bin"]);

export interface ServiceDefinition {
  /** The executable and its arguments, e.g. ["/home/me/.local/bin/agent-relay", "serve", "--port", "18082"]. */
  programArguments: string[];
  /** Non-secret environment the service gets (PATH, HOME, CLAUDE_CONFIG_DIR). */
  environment: Record<string, string>;
  /** Secret environment (AGENT_RELAY_API_KEY, proxy settings), written to the user-only environment file. */
  secrets: Record<string, string>;
  /** The configuration the service will run with. */
  config: RelayConfig;
  /** Where the relay answers, e.g. http://127.0.0.1:18082. */
  url: string;
  /** The claude CLI the service will find, or undefined when it is on none of PATH's directories. */
  claudePath?: string;
}

export interface BuildServiceDefinitionOptions {
  /** The serve options given to `service install`. */
  serveArguments: string[];
  /** How to start the relay: the compiled binary, or bun plus src/cli.ts when running from source. */
  relayCommand: string[];
  /** The installing shell's environment. */
  env: Record<string, string | undefined>;
  /** The installing shell's directory (relative paths in options are resolved against it). */
  cwd: string;
}

/** Splits "--flag=value" / "--flag value" tokens into pairs, using the option table to tell booleans from values. */
function readOptionTokens(argv: string[]): Array<{ flag: string; value?: string }> {
  const tokens: Array<{ flag: string; value?: string }> = [];
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index]!;
    if (!argument.startsWith("--")) throw new ConfigError(`unexpected argument "${argument}" (see agent-relay service --help)`);
    const [flag, inline] = argument.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    const spec = optionSpecs.find((candidate) => candidate.flag === flag);
    if (!spec || spec.kind === "boolean" || inline !== undefined) tokens.push({ flag, value: inline });
    else tokens.push({ flag, value: argv[++index] });
  }
  return tokens;
}

/** systemd and sh both read KEY='value' literally; only a quote or a line break cannot be written that way. */
function checkSecretValue(flag: string, value: string): void {
  if (/['\n\r\0]/.test(value)) throw new ConfigError(`--${flag} for a service must not contain a single quote or a line break`);
}

/** Where the claude CLI keeps its login and settings when not in ~/.claude: the service must look there too. */
const claudeEnvironmentNames = ["CLAUDE_CONFIG_DIR"];
/** The CLI reaches its API through these; they may hold a proxy password, so they go to the user-only file. */
const proxyEnvironmentNames = ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"];

/**
 * The environment a service starts with: PATH (plus the claude CLI's directory), HOME and CLAUDE_CONFIG_DIR;
 * nothing else of the shell's (proxy settings go with the secrets).
 */
function captureEnvironment(env: Record<string, string | undefined>, claudePath: string | undefined): Record<string, string> {
  const directories = (env.PATH ?? "/usr/local/bin:/usr/bin:/bin").split(delimiter).filter(Boolean);
  if (claudePath && !directories.includes(dirname(claudePath))) directories.unshift(dirname(claudePath));
  const environment: Record<string, string> = { PATH: [...new Set(directories)].join(delimiter) };
  if (env.HOME) environment.HOME = env.HOME;
  for (const name of claudeEnvironmentNames) if (env[name]) environment[name] = env[name]!;
  return environment;
}

/** The installing shell's proxy settings that can be written to the environment file. */
function captureProxySettings(env: Record<string, string | undefined>): Record<string, string> {
  const settings: Record<string, string> = {};
  for (const name of proxyEnvironmentNames) {
    const value = env[name];
    if (value && !/['\n\r\0]/.test(value)) settings[name] = value;
  }
  return settings;
}

function locateClaude(claudeBin: string, env: Record<string, string | undefined>): string | undefined {
  const found = claudeBin.includes("/") ? (existsSync(claudeBin) ? claudeBin : undefined) : (Bun.which(claudeBin, { PATH: env.PATH ?? "" }) ?? undefined);
  return found;
}

/** The address a local client reaches the relay at (a wildcard host is reached through loopback). */
export function relayUrl(config: Pick<RelayConfig, "host" | "port">): string {
  const bare = config.host.replace(/^\[|\]$/g, "");
  const host = bare === "0.0.0.0" ? "127.0.0.1" : bare === "::" ? "::1" : bare;
  return `http://${host.includes(":") ? `[${host}]` : host}:${config.port}`;
}

/** Validates the serve options exactly as `serve` would and builds what the service runs; throws ConfigError. */
export function buildServiceDefinition(options: BuildServiceDefinitionOptions): ServiceDefinition {
  const { serveArguments, env, cwd } = options;
  const tokens = readOptionTokens(serveArguments);
  // Validated with only HOME and PATH of the shell's environment: the service will not see the shell's AGENT_RELAY_* variables.
  const serviceEnv = { HOME: env.HOME, PATH: env.PATH, XDG_DATA_HOME: env.XDG_DATA_HOME };
  const absoluteTokens = tokens.map(({ flag, value }) =>
    pathFlags.has(flag) && value !== undefined && value !== "" && (flag !== "claude-bin" || value.includes("/")) && !isAbsolute(value)
      ? { flag, value: resolve(cwd, value) }
      : { flag, value },
  );
  const argv = absoluteTokens.flatMap(({ flag, value }) => (value === undefined ? [`--${flag}`] : [`--${flag}`, value]));
  const command = parseCommand(argv, serviceEnv);
  if (command.kind !== "serve") throw new ConfigError("--help and --version are not serve options (see agent-relay service --help)");
  const { config } = command;
  if (config.port === 0) throw new ConfigError("--port 0 picks a new port at every start; a service needs a fixed one (the default is 18082)");

  const secrets: Record<string, string> = captureProxySettings(env);
  const commandLine: string[] = [];
  for (const { flag, value } of absoluteTokens) {
    if (secretFlags.has(flag) && value !== undefined) {
      checkSecretValue(flag, value);
      secrets[environmentName(flag)] = value;
      continue;
    }
    commandLine.push(value === undefined ? `--${flag}` : `--${flag}=${value}`);
  }
  const claudeFound = locateClaude(config.claudeBin, env);
  const claudePath = claudeFound ? safeRealpath(claudeFound) : undefined;
  return {
    programArguments: [...options.relayCommand, "serve", ...commandLine],
    environment: captureEnvironment(env, claudeFound),
    secrets,
    config,
    url: relayUrl(config),
    claudePath,
  };
}

function safeRealpath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** How the service starts this very relay: the compiled binary (its stable path when installed by Homebrew) or bun + cli.ts. */
export function currentRelayCommand(): string[] {
  const compiled = Bun.main.startsWith("/$bunfs/") || /^[A-Z]:[\\/]~BUN[\\/]/i.test(Bun.main);
  if (!compiled) return [process.execPath, "--no-env-file", Bun.main];
  // Homebrew runs a binary from Cellar/agent-relay/<version>/bin, which the next upgrade deletes; its prefix/bin link stays.
  const cellar = /^(.*)\/Cellar\/agent-relay\/[^/]+\/bin\/agent-relay$/.exec(process.execPath);
  if (cellar && existsSync(`${cellar[1]}/bin/agent-relay`)) return [`${cellar[1]}/bin/agent-relay`];
  return [process.execPath];
}
