/**
 * Structured logs on stderr: JSON lines for launchd/journald/docker and log collectors, or one readable line
 * per event on a terminal. Long values are cut, so a client's 140 KB model name cannot flood the log.
 */
import type { LogFormat, LogLevel } from "../config.ts";

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger that adds these fields (e.g. the request id) to every line. */
  child(fields: LogFields): Logger;
}

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Characters a string value keeps in the log; the rest is replaced by a note of how much was cut. */
export const maxLoggedValueLength = 2000;

export interface LoggerOptions {
  level: LogLevel;
  /** JSON lines by default. */
  format?: LogFormat;
  write?: (line: string) => void;
  fields?: LogFields;
}

export function createLogger(options: LoggerOptions): Logger {
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const threshold = rank[options.level];
  const base = options.fields ?? {};
  const format = options.format ?? "json";
  const emit = (level: LogLevel, message: string, fields?: LogFields) => {
    if (rank[level] < threshold) return;
    const time = new Date().toISOString();
    const all = boundValues({ ...base, ...fields });
    write(format === "text" ? formatTextLine(time, level, message, all) : JSON.stringify({ time, level, msg: message, ...all }) + "\n");
  };
  return {
    debug: (message, fields) => emit("debug", message, fields),
    info: (message, fields) => emit("info", message, fields),
    warn: (message, fields) => emit("warn", message, fields),
    error: (message, fields) => emit("error", message, fields),
    child: (fields) => createLogger({ ...options, write, fields: { ...base, ...fields } }),
  };
}

/** Cuts long strings, also inside objects and arrays (a CLI's JSON detail, a client's value). */
function boundValues(fields: LogFields): LogFields {
  const bound = (value: unknown, depth: number): unknown => {
    if (typeof value === "string") return value.length > maxLoggedValueLength ? `${value.slice(0, maxLoggedValueLength)}… (${value.length - maxLoggedValueLength} more characters)` : value;
    if (depth > 4 || value === null || typeof value !== "object") return value;
    if (Array.isArray(value)) return value.slice(0, 100).map((item) => bound(item, depth + 1));
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, bound(item, depth + 1)]));
  };
  return bound(fields, 0) as LogFields;
}

/** `14:03:07.512 INFO  request completed method=POST path=/v1/messages status=200` (local time of day). */
function formatTextLine(time: string, level: LogLevel, message: string, fields: LogFields): string {
  const clock = new Date(time).toTimeString().slice(0, 8) + time.slice(19, 23);
  const pairs = flattenFields(fields)
    .filter(([, value]) => value !== undefined && value !== null)
    .map(([key, value]) => `${key}=${formatTextValue(value)}`);
  return `${clock} ${level.toUpperCase().padEnd(5)} ${message}${pairs.length > 0 ? " " + pairs.join(" ") : ""}\n`;
}

/** Nested objects as dotted keys (providers.claude.version=2.1.197), readable without a JSON viewer. */
function flattenFields(fields: LogFields, prefix = ""): Array<[string, unknown]> {
  return Object.entries(fields).flatMap(([key, value]): Array<[string, unknown]> => {
    const name = prefix ? `${prefix}.${key}` : key;
    if (value !== null && typeof value === "object" && !Array.isArray(value) && prefix.split(".").length < 4) return flattenFields(value as LogFields, name);
    return [[name, value]];
  });
}

function formatTextValue(value: unknown): string {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return /^[^\s"=]+$/.test(text) ? text : JSON.stringify(text);
}

/** A logger that drops everything (tests, benchmarks). */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child: () => silentLogger,
};
