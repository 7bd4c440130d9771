/**
 * Client tools reach the model as tools of an in-process MCP server, which the CLI names
 * `mcp__<server>__<tool>`. This maps between the client's names and the names the model sees,
 * keeping the upstream name within the API's 64-character limit.
 */
import { createHash } from "node:crypto";
import type { RelayToolDefinition } from "../../core/relay-request.ts";

/** The in-process MCP server that carries the client's tools. */
export const clientToolServerName = "relay";
const upstreamPrefix = `mcp__${clientToolServerName}__`;
const maxUpstreamName = 64;

export class ClientToolNames {
  private readonly mcpByClient = new Map<string, string>();
  private readonly clientByUpstream = new Map<string, string>();

  constructor(tools: RelayToolDefinition[]) {
    for (const tool of tools) {
      const mcpName = mcpToolName(tool.name);
      this.mcpByClient.set(tool.name, mcpName);
      this.clientByUpstream.set(upstreamPrefix + mcpName, tool.name);
    }
  }

  /** The name in the MCP server's tools/list. */
  mcpName(clientName: string): string {
    return this.mcpByClient.get(clientName) ?? mcpToolName(clientName);
  }

  /** The name the model sees. */
  upstreamName(clientName: string): string {
    return upstreamPrefix + this.mcpName(clientName);
  }

  /** The name the model sees for a declared client tool; other names (tools the client no longer declares) unchanged. */
  upstreamNameIfDeclared(name: string): string {
    return this.mcpByClient.has(name) ? this.upstreamName(name) : name;
  }

  /** The client's name for a tool the model called, or undefined when it is not a client tool. */
  clientName(upstreamName: string): string | undefined {
    return this.clientByUpstream.get(upstreamName);
  }

  /** The client's name for a name in an MCP tools/call. */
  clientNameForMcp(mcpName: string): string | undefined {
    return this.clientByUpstream.get(upstreamPrefix + mcpName);
  }
}

function mcpToolName(clientName: string): string {
  if (upstreamPrefix.length + clientName.length <= maxUpstreamName) return clientName;
  const hash = createHash("sha256").update(clientName).digest("hex").slice(0, 8);
  return `${clientName.slice(0, maxUpstreamName - upstreamPrefix.length - hash.length - 1)}_${hash}`;
}
