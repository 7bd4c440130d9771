/** The environment child processes inherit, without the relay's own settings. */

/**
 * A copy of `env` without AGENT_RELAY_* variables: the relay's API key and options are for the relay, and a
 * CLI running tools (Bash in agent mode) could otherwise print them to whoever drives it.
 */
export function withoutRelayVariables(env: Record<string, string | undefined>): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !name.toUpperCase().startsWith("AGENT_RELAY_")));
}
