/**
 * Every option of the relay, from the command line or an AGENT_RELAY_* environment variable
 * (the command line wins). One table drives parsing, validation and --help.
 */
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";

export type PermissionMode = "default" | "acceptEdits" | "plan" | "dontAsk" | "bypassPermissions";
export type LogLevel = "debug" | "info" | "warn" | "error";
/** text: one readable line per event (a terminal); json: one JSON object per line (log collectors). */
export type LogFormat = "text" | "json";

export interface RelayConfig {
  host: string;
  port: number;
  /** Clients must present this key (Authorization: Bearer or x-api-key) when set. */
  apiKey?: string;
  /** A file holding the key (so it is not visible in `ps`); read once at start into apiKey. */
  apiKeyFile?: string;
  claudeBin: string;
  dataDir: string;
  /** The directory the CLI runs in. */
  workdir: string;
  /** The model used when a client names a model the CLI cannot serve (e.g. gpt-4o); undefined = the CLI's default. */
  defaultModel?: string;
  maxConcurrent: number;
  maxQueue: number;
  /** A request fails when the CLI prints nothing for this long. */
  idleTimeoutMs: number;
  /** How often quiet streams get a keepalive the client ignores. */
  keepaliveIntervalMs: number;
  /** CLAUDE_CODE_MAX_RETRIES for the CLI (its own default is 10 retries over about 3 minutes). */
  cliMaxRetries: number;
  /** How long a CLI process waits for the client's tool results before the round continues by replay instead. */
  toolHoldTimeoutMs: number;
  /** Conversations kept live at most: processes waiting for tool results or for the next turn. */
  maxLiveConversations: number;
  /** How long a process waits for its conversation's next turn (0: not kept). */
  conversationIdleTimeoutMs: number;
  /** Processes started ahead of time for new conversations (0: off). */
  warmProcesses: number;
  /** A warm process unused this long is ended. */
  warmIdleTimeoutMs: number;
  /** CLI processes at most, of every kind; idle ones are ended to stay below. */
  maxProcesses: number;
  /** A finished conversation's CLI is cleared and serves the same client's next new conversation (on by default; --no-recycle). */
  recycle: boolean;
  /** Conversations one CLI process serves at most before it is ended (0: no limit). */
  recycleMaxConversations: number;
  /** A CLI process older than this is ended instead of recycled (0: no limit). */
  recycleMaxAgeMs: number;
  /** A CLI process whose resident memory is above this is ended instead of recycled, in bytes (0: no limit). */
  recycleMaxRssBytes: number;
  /** A ready (cleared) CLI beyond the recent peak of demand, unused this long, is ended (0: off). */
  spareIdleTimeoutMs: number;
  /** Memory budget of all CLI processes together, in bytes; undefined: a quarter of the machine's memory. */
  maxMemoryBytes?: number;
  /** Stored Responses API responses kept at most (the oldest are removed first). */
  responsesMaxStored: number;
  /** Stored Responses API responses older than this are removed. */
  responsesMaxAgeMs: number;
  /** PostgreSQL URL for stored responses and the request log; undefined = SQLite in the data directory. */
  databaseUrl?: string;
  /** What the inspector keeps of each request: everything, bodies only for failed requests, or nothing. */
  inspectorCapture: "all" | "errors" | "none";
  /** Each body (request, answer, events) is cut at this many bytes, with a visible marker. */
  inspectorBodyMaxBytes: number;
  /** Request log rows older than this are removed (starred ones stay). */
  inspectorRetentionMs: number;
  /** Request and answer bodies older than this are removed; the row stays (starred ones keep theirs). */
  inspectorBodyRetentionMs: number;
  /** Above this database size, the oldest bodies and then the oldest rows are removed. */
  inspectorMaxBytes: number;
  /** Extra request header names never written to the log (Authorization, x-api-key, cookies and auth-like names always are removed). */
  inspectorRedactHeaders: string[];
  /** Agent mode: the CLI's own tools (Bash, Edit, Read, ...) are enabled. */
  agent: boolean;
  /** The CLI tools offered in agent mode; undefined = the CLI's default set. */
  agentTools?: string;
  permissionMode: PermissionMode;
  /** Allowed browser origins: "localhost" (any loopback origin), "*", "none", or exact origins. */
  corsOrigins: string[];
  shutdownGraceMs: number;
  /** How long an interrupted CLI gets to exit before its process group is killed. */
  killGraceMs: number;
  logLevel: LogLevel;
  /** undefined = text on a terminal, JSON otherwise. */
  logFormat?: LogFormat;
  /** Request bodies larger than this are refused with 413 before they are read. */
  maxBodyBytes: number;
  /** A streaming client that takes nothing for this long is cut off and its request cancelled. */
  writeTimeoutMs: number;
  /** The longest line the relay accepts from a CLI process. */
  maxLineBytes: number;
  /** The routing file (--config); undefined = the default location, used when it exists. */
  routingFile?: string;
  /** Without a routing file: "claude" serves everything, "openai" builds routes from the seed proxies' variables. */
  backend: "claude" | "openai";
}

export type Command =
  | { kind: "serve"; config: RelayConfig }
  /** `config check [PATH]` validates a routing file; `config show` prints the effective routes. */
  | { kind: "config"; action: "check" | "show"; path?: string; config: RelayConfig }
  | { kind: "help" }
  | { kind: "version" };

export class ConfigError extends Error {}

type OptionKind = "string" | "integer" | "duration" | "size" | "boolean" | "list" | "bytes";

export interface OptionSpec {
  key: keyof RelayConfig;
  flag: string;
  kind: OptionKind;
  placeholder?: string;
  help: string;
  defaultText: string;
  choices?: readonly string[];
  min?: number;
  max?: number;
}

/** The option table: one row per `serve` option (also read by `service install` to tell flags from values). */
export const optionSpecs: readonly OptionSpec[] = [
  { key: "host", flag: "host", kind: "string", placeholder: "HOST", defaultText: "127.0.0.1", help: "Interface to listen on. Anything but loopback requires --api-key." },
  { key: "port", flag: "port", kind: "integer", placeholder: "PORT", defaultText: "18082", min: 0, max: 65535, help: "Port to listen on (0 picks a free one)." },
  { key: "apiKey", flag: "api-key", kind: "string", placeholder: "KEY", defaultText: "none", help: "Key clients must send as 'Authorization: Bearer KEY' or 'x-api-key: KEY'." },
  { key: "apiKeyFile", flag: "api-key-file", kind: "string", placeholder: "FILE", defaultText: "none", help: "Read the key from this file instead (keeps it out of `ps` and shell history)." },
  { key: "claudeBin", flag: "claude-bin", kind: "string", placeholder: "PATH", defaultText: "claude on PATH", help: "The Claude Code CLI to run." },
  { key: "dataDir", flag: "data-dir", kind: "string", placeholder: "DIR", defaultText: "platform data dir", help: "Where the relay keeps its files." },
  { key: "workdir", flag: "workdir", kind: "string", placeholder: "DIR", defaultText: "DATA_DIR/workspace", help: "Working directory of the CLI (what agent-mode tools can see)." },
  { key: "defaultModel", flag: "model", kind: "string", placeholder: "MODEL", defaultText: "the CLI's default", help: "Model used when a client asks for a non-Claude model such as gpt-4o." },
  { key: "maxConcurrent", flag: "max-concurrent", kind: "integer", placeholder: "N", defaultText: "8", min: 1, help: "CLI processes answering at once (a real CLI peaks at about 300 MB)." },
  { key: "maxQueue", flag: "max-queue", kind: "integer", placeholder: "N", defaultText: "64", min: 0, help: "Requests waiting for a free slot before new ones get 429." },
  { key: "idleTimeoutMs", flag: "idle-timeout", kind: "duration", placeholder: "DURATION", defaultText: "120s", min: 1, help: "Fail a request when the CLI prints nothing for this long." },
  { key: "keepaliveIntervalMs", flag: "keepalive-interval", kind: "duration", placeholder: "DURATION", defaultText: "15s", min: 1, help: "Keepalive interval on quiet streams." },
  { key: "cliMaxRetries", flag: "cli-max-retries", kind: "integer", placeholder: "N", defaultText: "1", min: 0, help: "Retries the CLI makes on upstream errors (its own default is 10 over ~3 min)." },
  { key: "warmProcesses", flag: "warm-processes", kind: "integer", placeholder: "N", defaultText: "2", min: 0, help: "CLI processes started ahead of time for new conversations (0: off)." },
  { key: "warmIdleTimeoutMs", flag: "warm-idle-timeout", kind: "duration", placeholder: "DURATION", defaultText: "10m", min: 1, help: "A warm process unused this long is ended." },
  { key: "maxLiveConversations", flag: "max-live-conversations", kind: "integer", placeholder: "N", defaultText: "8", min: 0, help: "Conversations whose CLI is kept for the next request (0: always replay)." },
  { key: "conversationIdleTimeoutMs", flag: "conversation-idle-timeout", kind: "duration", placeholder: "DURATION", defaultText: "5m", min: 0, help: "How long a CLI waits for its conversation's next turn (0: not kept)." },
  { key: "toolHoldTimeoutMs", flag: "tool-hold-timeout", kind: "duration", placeholder: "DURATION", defaultText: "10m", min: 1, help: "How long a CLI waits for a client's tool results before the round falls back to replay." },
  { key: "maxProcesses", flag: "max-processes", kind: "integer", placeholder: "N", defaultText: "16", min: 1, help: "CLI processes at most, answering, warm and live (about 200 MB each when idle)." },
  { key: "maxMemoryBytes", flag: "max-memory", kind: "size", placeholder: "SIZE", defaultText: "a quarter of the machine's memory, at least 1G", min: 1, help: "Memory budget of all CLI processes (PSS on Linux), e.g. 2G; idle ones are ended, least recently used first, to stay below." },
  { key: "recycle", flag: "recycle", kind: "boolean", defaultText: "on", help: "Clear a finished conversation's CLI (/clear) and reuse it for the same client's next new conversation; --no-recycle ends it instead (see the README)." },
  { key: "recycleMaxConversations", flag: "recycle-max-conversations", kind: "integer", placeholder: "N", defaultText: "100", min: 0, help: "Conversations one CLI serves at most before it is ended (0: no limit)." },
  { key: "recycleMaxAgeMs", flag: "recycle-max-age", kind: "duration", placeholder: "DURATION", defaultText: "1h", min: 0, help: "A CLI older than this is ended instead of recycled (0: no limit)." },
  { key: "recycleMaxRssBytes", flag: "recycle-max-rss", kind: "size", placeholder: "SIZE", defaultText: "600M", min: 0, help: "A CLI whose resident memory is above this is ended instead of recycled (0: no limit)." },
  { key: "spareIdleTimeoutMs", flag: "spare-idle-timeout", kind: "duration", placeholder: "DURATION", defaultText: "30s", min: 0, help: "A ready CLI beyond the recent peak of concurrent requests, unused this long, is ended (0: off), so a burst leaves no crowd of idle CLIs behind." },
  { key: "responsesMaxStored", flag: "responses-max-stored", kind: "integer", placeholder: "N", defaultText: "10000", min: 0, help: "Responses API responses kept for previous_response_id and GET (0: none)." },
  { key: "responsesMaxAgeMs", flag: "responses-max-age", kind: "duration", placeholder: "DURATION", defaultText: "720h (30 days)", min: 1, help: "Stored responses older than this are removed." },
  { key: "databaseUrl", flag: "database-url", kind: "string", placeholder: "URL", defaultText: "SQLite in DATA_DIR; env DATABASE_URL too", help: "postgres://... to keep stored responses and the request log in PostgreSQL (shared by several relays)." },
  { key: "inspectorCapture", flag: "inspector-capture", kind: "string", placeholder: "MODE", defaultText: "all", choices: ["all", "errors", "none"], help: "Request log at /inspector: 'all' bodies, bodies of failed requests only ('errors'), or no log ('none')." },
  { key: "inspectorBodyMaxBytes", flag: "inspector-body-max-bytes", kind: "integer", placeholder: "BYTES", defaultText: "1048576", min: 1024, help: "Each logged body is cut at this size, with a visible truncation marker." },
  { key: "inspectorRetentionMs", flag: "inspector-retention", kind: "duration", placeholder: "DURATION", defaultText: "720h (30 days)", min: 1, help: "Request log rows older than this are removed (starred requests stay)." },
  { key: "inspectorBodyRetentionMs", flag: "inspector-body-retention", kind: "duration", placeholder: "DURATION", defaultText: "168h (7 days)", min: 1, help: "Logged bodies older than this are removed; the metadata row stays." },
  { key: "inspectorMaxBytes", flag: "inspector-max-mb", kind: "integer", placeholder: "MB", defaultText: "2048", min: 1, help: "Above this database size the oldest bodies, then the oldest rows, are removed." },
  { key: "inspectorRedactHeaders", flag: "inspector-redact-headers", kind: "list", placeholder: "LIST", defaultText: "none", help: "More request header names never written to the log (auth-like names always are removed)." },
  { key: "agent", flag: "agent", kind: "boolean", defaultText: "off", help: "Agent mode: enable the CLI's own tools (Bash, Edit, Read, ...). See README: Security." },
  { key: "agentTools", flag: "agent-tools", kind: "string", placeholder: "LIST", defaultText: "the CLI's default set", help: "Comma-separated CLI tools offered in agent mode, e.g. 'Read,Grep,Glob'." },
  { key: "permissionMode", flag: "permission-mode", kind: "string", placeholder: "MODE", defaultText: "default", choices: ["default", "acceptEdits", "plan", "dontAsk", "bypassPermissions"], help: "CLI permission mode in agent mode." },
  { key: "corsOrigins", flag: "cors-origins", kind: "list", placeholder: "LIST", defaultText: "localhost", help: "Browser origins allowed: 'localhost', 'none', '*' or a comma-separated list of origins." },
  { key: "shutdownGraceMs", flag: "shutdown-grace", kind: "duration", placeholder: "DURATION", defaultText: "10s", min: 0, help: "On SIGTERM/SIGINT, how long running requests may finish." },
  { key: "killGraceMs", flag: "kill-grace", kind: "duration", placeholder: "DURATION", defaultText: "1500ms", min: 0, help: "How long an interrupted CLI gets before its process group is killed." },
  { key: "routingFile", flag: "config", kind: "string", placeholder: "PATH", defaultText: "~/.config/agent-relay/config.yaml if it exists", help: "The routing file: providers and which models go where (see README: Routing)." },
  { key: "backend", flag: "backend", kind: "string", placeholder: "NAME", defaultText: "claude", choices: ["claude", "openai"], help: "Without a routing file: 'openai' routes to OPENAI_BASE_URL using the seed proxies' variables." },
  { key: "logLevel", flag: "log-level", kind: "string", placeholder: "LEVEL", defaultText: "info", choices: ["debug", "info", "warn", "error"], help: "Log verbosity (on stderr)." },
  { key: "logFormat", flag: "log-format", kind: "string", placeholder: "FORMAT", defaultText: "text on a terminal, json otherwise", choices: ["text", "json"], help: "Log line format." },
  { key: "maxBodyBytes", flag: "max-body-size", kind: "bytes", placeholder: "SIZE", defaultText: "32MB", min: 1, help: "Largest request body accepted (413 beyond), e.g. 32MB, 512KB." },
  { key: "writeTimeoutMs", flag: "write-timeout", kind: "duration", placeholder: "DURATION", defaultText: "30s", min: 1, help: "Cancel a stream whose client reads nothing for this long." },
  { key: "maxLineBytes", flag: "max-line-size", kind: "bytes", placeholder: "SIZE", defaultText: "64MB", min: 1024, help: "Longest output line accepted from the CLI (the request fails beyond)." },
];

/** AGENT_RELAY_* name of an option, e.g. claude-bin -> AGENT_RELAY_CLAUDE_BIN. */
export function environmentName(flag: string): string {
  return `AGENT_RELAY_${flag.toUpperCase().replaceAll("-", "_")}`;
}

/** Parses "90", "90s", "1500ms", "2m" or "1h" into milliseconds; a bare number means seconds. */
export function parseDuration(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text);
  if (!match) return undefined;
  const value = Number(match[1]);
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] ?? "s"] ?? 1000;
  return Math.round(value * factor);
}

/**
 * Parses a size into bytes, in binary multiples: "1048576", "512K", "32MB", "1.5G", "800MiB", "1T". With
 * `unitRequired` a bare number other than 0 is refused (a memory budget of "512" is surely not 512 bytes).
 */
export function parseSize(text: string, options: { unitRequired?: boolean } = {}): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(b|[kmgt](?:i?b)?)?\s*$/i.exec(text);
  if (!match) return undefined;
  const value = Number(match[1]);
  if (!match[2]) return options.unitRequired && value !== 0 ? undefined : value;
  return Math.round(value * 1024 ** "bkmgt".indexOf(match[2][0]!.toLowerCase()));
}

/** The platform's conventional per-user data directory for agent-relay. */
export function defaultDataDir(env: Record<string, string | undefined>, platform: string = process.platform): string {
  const home = env.HOME || env.USERPROFILE || homedir();
  if (platform === "darwin") return join(home, "Library", "Application Support", "agent-relay");
  if (platform === "win32") return join(env.LOCALAPPDATA || join(home, "AppData", "Local"), "agent-relay");
  return join(env.XDG_DATA_HOME || join(home, ".local", "share"), "agent-relay");
}

export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, "").toLowerCase();
  return bare === "localhost" || bare === "::1" || /^127(\.\d{1,3}){3}$/.test(bare);
}

function convert(spec: OptionSpec, raw: string, source: string): unknown {
  const fail = (expected: string) => new ConfigError(`${source}: expected ${expected}, got "${raw}"`);
  switch (spec.kind) {
    case "string":
      if (raw === "") throw fail("a value");
      if (spec.choices && !spec.choices.includes(raw)) throw fail(`one of ${spec.choices.join(", ")}`);
      return raw;
    case "integer": {
      if (!/^\d+$/.test(raw.trim())) throw fail("a whole number");
      const value = Number(raw);
      if (spec.min !== undefined && value < spec.min) throw fail(`a number >= ${spec.min}`);
      if (spec.max !== undefined && value > spec.max) throw fail(`a number <= ${spec.max}`);
      return value;
    }
    case "duration": {
      const value = parseDuration(raw);
      if (value === undefined) throw fail("a duration such as 30s, 1500ms or 2m");
      if (spec.min !== undefined && value < spec.min) throw fail("a positive duration");
      return value;
    }
    case "size": {
      const value = parseSize(raw, { unitRequired: true });
      if (value === undefined) throw fail("a size such as 512M, 2G or 1.5G");
      if (spec.min !== undefined && value < spec.min) throw fail("a positive size");
      return value;
    }
    case "boolean":
      if (/^(1|true|yes|on)$/i.test(raw)) return true;
      if (/^(0|false|no|off)$/i.test(raw)) return false;
      throw fail("true or false");
    case "list":
      return raw.split(",").map((item) => item.trim()).filter(Boolean);
    case "bytes": {
      const value = parseSize(raw);
      if (value === undefined) throw fail("a size such as 32MB, 512KB or 1048576");
      if (spec.min !== undefined && value < spec.min) throw fail(`at least ${spec.min} bytes`);
      return value;
    }
    default: {
      const unreachable: never = spec.kind;
      throw new Error(`unknown option kind ${unreachable}`);
    }
  }
}

/** Turns argv (without the executable) and the environment into a command. */
export function parseCommand(argv: string[], env: Record<string, string | undefined>): Command {
  // --help and --version work whatever the environment holds.
  for (const arg of argv) {
    if (arg === "--help" || arg === "-h" || arg === "help") return { kind: "help" };
    if (arg === "--version" || arg === "-v" || arg === "version") return { kind: "version" };
  }
  const values: Partial<Record<keyof RelayConfig, unknown>> = {};
  for (const spec of optionSpecs) {
    const raw = env[environmentName(spec.flag)];
    if (raw !== undefined && raw !== "") values[spec.key] = convert(spec, raw, environmentName(spec.flag));
  }
  const args = [...argv];
  if (args[0] === "serve") args.shift();
  let configAction: { action: "check" | "show"; path?: string } | undefined;
  if (args[0] === "config") {
    args.shift();
    const action = args.shift();
    if (action !== "check" && action !== "show") throw new ConfigError("usage: agent-relay config check [PATH] | agent-relay config show [--config PATH]");
    const path = action === "check" && args[0] !== undefined && !args[0].startsWith("--") ? args.shift() : undefined;
    configAction = { action, path };
  }
  while (args.length > 0) {
    const arg = args.shift()!;
    if (arg === "--help" || arg === "-h" || arg === "help") return { kind: "help" };
    if (arg === "--version" || arg === "-v" || arg === "version") return { kind: "version" };
    if (!arg.startsWith("--")) throw new ConfigError(`unexpected argument "${arg}" (see --help)`);
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    const negated = name.startsWith("no-") ? optionSpecs.find((s) => s.flag === name.slice(3) && s.kind === "boolean") : undefined;
    if (negated) {
      values[negated.key] = false;
      continue;
    }
    const spec = optionSpecs.find((s) => s.flag === name);
    if (!spec) throw new ConfigError(`unknown option --${name} (see --help)`);
    if (spec.kind === "boolean" && inline === undefined) {
      values[spec.key] = true;
      continue;
    }
    const raw = inline ?? args.shift();
    if (raw === undefined) throw new ConfigError(`--${name} needs a value`);
    values[spec.key] = convert(spec, raw, `--${name}`);
  }
  const config = resolveConfig(values, env);
  return configAction ? { kind: "config", ...configAction, config } : { kind: "serve", config };
}

function resolveConfig(values: Partial<Record<keyof RelayConfig, unknown>>, env: Record<string, string | undefined>): RelayConfig {
  const dataDir = resolve((values.dataDir as string | undefined) ?? defaultDataDir(env));
  const config: RelayConfig = {
    host: "127.0.0.1",
    port: 18082,
    claudeBin: "claude",
    maxConcurrent: 8,
    maxQueue: 64,
    idleTimeoutMs: 120_000,
    keepaliveIntervalMs: 15_000,
    cliMaxRetries: 1,
    toolHoldTimeoutMs: 600_000,
    maxLiveConversations: 8,
    conversationIdleTimeoutMs: 300_000,
    warmProcesses: 2,
    warmIdleTimeoutMs: 600_000,
    maxProcesses: 16,
    recycle: true,
    recycleMaxConversations: 100,
    recycleMaxAgeMs: 3_600_000,
    recycleMaxRssBytes: 600 * 1024 ** 2,
    spareIdleTimeoutMs: 30_000,
    responsesMaxStored: 10_000,
    responsesMaxAgeMs: 30 * 24 * 3_600_000,
    inspectorCapture: "all",
    inspectorBodyMaxBytes: 1_048_576,
    inspectorRetentionMs: 30 * 24 * 3_600_000,
    inspectorBodyRetentionMs: 7 * 24 * 3_600_000,
    inspectorMaxBytes: 2048,
    inspectorRedactHeaders: [],
    agent: false,
    permissionMode: "default",
    corsOrigins: ["localhost"],
    shutdownGraceMs: 10_000,
    killGraceMs: 1500,
    logLevel: "info",
    maxBodyBytes: 32 * 1024 * 1024,
    writeTimeoutMs: 30_000,
    maxLineBytes: 64 * 1024 * 1024,
    backend: "claude",
    ...(values as Partial<RelayConfig>),
    databaseUrl: (values.databaseUrl as string | undefined) ?? (env.DATABASE_URL || undefined),
    dataDir,
    workdir: resolve((values.workdir as string | undefined) ?? join(dataDir, "workspace")),
  };
  if (config.apiKeyFile !== undefined) {
    if (values.apiKey !== undefined) throw new ConfigError("give the key either with --api-key or with --api-key-file, not both");
    config.apiKey = readApiKeyFile(config.apiKeyFile);
  }
  if (!isLoopbackHost(config.host) && !config.apiKey) {
    throw new ConfigError(
      `refusing to listen on ${config.host} without a key: the relay drives an agent with your Claude login. ` +
        `Set --api-key (or ${environmentName("api-key")}), or listen on 127.0.0.1.`,
    );
  }
  // Given in megabytes, kept in bytes.
  config.inspectorMaxBytes = (values.inspectorMaxBytes as number | undefined ?? 2048) * 1_048_576;
  if (config.databaseUrl && !/^postgres(ql)?:\/\//i.test(config.databaseUrl)) {
    throw new ConfigError("--database-url must be a postgres:// or postgresql:// URL");
  }
  if (config.maxProcesses < config.maxConcurrent) {
    throw new ConfigError(`--max-processes (${config.maxProcesses}) must be at least --max-concurrent (${config.maxConcurrent})`);
  }
  if (config.permissionMode !== "default" && !config.agent) {
    throw new ConfigError("--permission-mode only applies in agent mode (--agent)");
  }
  return config;
}

function readApiKeyFile(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new ConfigError(`--api-key-file: cannot read "${path}" (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  const key = text.trim();
  if (key === "" || /\s/.test(key)) throw new ConfigError(`--api-key-file: "${path}" must hold the key alone, on one line`);
  return key;
}

/** The --help text, generated from the option table. */
export function helpText(version: string): string {
  const rows = optionSpecs.map((spec) => {
    const left = `  --${spec.flag}${spec.placeholder ? ` ${spec.placeholder}` : ""}`;
    return `${left.padEnd(34)}${spec.help}\n${"".padEnd(34)}[default: ${spec.defaultText}; env ${environmentName(spec.flag)}]`;
  });
  return [
    `agent-relay ${version}: OpenAI- and Anthropic-compatible API server backed by your Claude Code CLI.`,
    "",
    "Usage: agent-relay [serve] [options]",
    "       agent-relay config check [PATH]    validate a routing file without starting",
    "       agent-relay config show            print the effective routes (secrets masked)",
    "       agent-relay service install [options] | uninstall | start | stop | restart | status | logs [-f] | print",
    "       agent-relay --version | --help",
    "",
    "Options:",
    ...rows,
    "",
    "Example: agent-relay --port 18082, then point an OpenAI client at http://127.0.0.1:18082/v1",
  ].join("\n");
}
