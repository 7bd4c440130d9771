/** The environment child processes inherit, without the relay's own settings. */

/**
 * A copy of `env` without AGENT_RELAY_* variables: the relay's API key and options are for the relay, and a
 * CLI running tools (Bash in agent mode) could otherwise print them to whoever drives it.
 */
export function withoutRelayVariables(env: Record<string, string | undefined>): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !name.toUpperCase().startsWith("AGENT_RELAY_")));
}

/**
 * The environment without the node_modules/.bin folders npm puts first on PATH for `npm start`: there it
 * would find the project's pinned test copy of `claude` before the user's own CLI (and its login).
 * Only when running under npm (npm_lifecycle_event is set), so an explicit PATH is left alone.
 */
export function withoutNpmBinDirectories(env: Record<string, string | undefined>): Record<string, string | undefined> {
  if (!env.npm_lifecycle_event || !env.PATH) return env;
  const separator = process.platform === "win32" ? ";" : ":";
  const kept = env.PATH.split(separator).filter((directory) => !/[\\/]node_modules[\\/]\.bin[\\/]?$/.test(directory));
  return { ...env, PATH: kept.join(separator) };
}
