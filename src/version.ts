import packageJson from "../package.json" with { type: "json" };

declare const AGENT_RELAY_VERSION: string | undefined;

/** The release version, injected by `bun build --define`; package.json's version when running from source. */
export const version: string = typeof AGENT_RELAY_VERSION === "string" ? AGENT_RELAY_VERSION : packageJson.version;
