declare const AGENT_RELAY_VERSION: string | undefined;

/** The release version, injected by `bun build --define`; "dev" when running from source. */
export const version: string = typeof AGENT_RELAY_VERSION === "string" ? AGENT_RELAY_VERSION : "0.1.0-dev";
