/**
 * The in-process MCP server that carries the client's tools (claude 2.1.197 control protocol, `mcp_message`):
 * it answers the MCP handshake and tools/list, and holds each tools/call until the client sends its result.
 * The CLI names the upstream tool_use id in `params._meta["claudecode/toolUseId"]`; that id is the one the
 * client sees, so results are matched by it.
 */
import type { RelayToolDefinition, RelayToolResultPart } from "../../core/relay-request.ts";
import type { ClientToolNames } from "./client-tool-names.ts";

/** An MCP tools/call result. */
export interface McpToolResult {
  content: Array<{ type: "text"; text: string } | { type: "image"; data: string; mimeType: string }>;
  isError?: boolean;
}

interface JsonRpcMessage {
  jsonrpc?: string;
  id?: number | string;
  method?: string;
  params?: { name?: string; arguments?: unknown; _meta?: Record<string, unknown> };
}

/** A control_response line for the CLI. */
export type ControlResponse = { type: "control_response"; response: Record<string, unknown> };

const protocolVersion = "2025-11-25";

export class ClientToolBridge {
  /** tools/call requests waiting for the client, by tool_use id. */
  private readonly heldCalls = new Map<string, { requestId: string; rpcId: number | string }>();
  /** Results that arrived before the CLI asked for them. */
  private readonly earlyResults = new Map<string, McpToolResult>();

  constructor(private readonly tools: RelayToolDefinition[], private readonly names: ClientToolNames) {}

  /** Handles one mcp_message control request; returns what to send back now (nothing for a held call). */
  handle(requestId: string, message: JsonRpcMessage): ControlResponse[] {
    switch (message.method) {
      case "initialize":
        return [this.reply(requestId, message.id, { protocolVersion, capabilities: { tools: {} }, serverInfo: { name: "agent-relay", version: "1" } })];
      case "tools/list":
        return [
          this.reply(requestId, message.id, {
            tools: this.tools.map((tool) => ({
              name: this.names.mcpName(tool.name),
              description: tool.description ?? "",
              inputSchema: tool.inputSchema,
              // Read-only tools are called concurrently, so every call of a turn reaches us at once.
              annotations: { readOnlyHint: true },
            })),
          }),
        ];
      case "tools/call": {
        const toolUseId = String(message.params?._meta?.["claudecode/toolUseId"] ?? "");
        const early = this.earlyResults.get(toolUseId);
        if (early) {
          this.earlyResults.delete(toolUseId);
          return [this.reply(requestId, message.id, early)];
        }
        this.heldCalls.set(toolUseId, { requestId, rpcId: message.id ?? 0 });
        return [];
      }
      default:
        // Notifications (initialized, cancelled) are acknowledged as the official SDK does.
        if (message.method?.startsWith("notifications/")) {
          if (message.method === "notifications/cancelled") this.forgetCancelled(message);
          return [this.reply(requestId, 0, {})];
        }
        return [this.error(requestId, message.id, -32601, `Method not found: ${message.method}`)];
    }
  }

  /** Answers held calls with the client's results; results for calls not asked yet are kept for later. */
  answer(results: Map<string, McpToolResult>): ControlResponse[] {
    const responses: ControlResponse[] = [];
    for (const [toolUseId, result] of results) {
      const held = this.heldCalls.get(toolUseId);
      if (held) {
        this.heldCalls.delete(toolUseId);
        responses.push(this.reply(held.requestId, held.rpcId, result));
      } else {
        this.earlyResults.set(toolUseId, result);
      }
    }
    return responses;
  }

  private forgetCancelled(message: JsonRpcMessage): void {
    const cancelled = (message.params as { requestId?: number | string } | undefined)?.requestId;
    for (const [toolUseId, held] of this.heldCalls) if (held.rpcId === cancelled) this.heldCalls.delete(toolUseId);
  }

  private reply(requestId: string, rpcId: number | string | undefined, result: unknown): ControlResponse {
    return { type: "control_response", response: { subtype: "success", request_id: requestId, response: { mcp_response: { jsonrpc: "2.0", id: rpcId ?? 0, result } } } };
  }

  private error(requestId: string, rpcId: number | string | undefined, code: number, text: string): ControlResponse {
    return {
      type: "control_response",
      response: { subtype: "success", request_id: requestId, response: { mcp_response: { jsonrpc: "2.0", id: rpcId ?? 0, error: { code, message: text } } } },
    };
  }
}

/**
 * A client's tool result as an MCP result, or undefined when MCP cannot carry it faithfully
 * (image URLs and documents: the CLI would save a PDF to a file and send the model a note instead).
 */
export function toMcpToolResult(part: RelayToolResultPart): McpToolResult | undefined {
  const content: McpToolResult["content"] = [];
  for (const item of part.content) {
    if (item.type === "text") content.push({ type: "text", text: item.text });
    else if (item.type === "image" && item.source.kind === "base64") content.push({ type: "image", data: item.source.data, mimeType: item.source.mediaType });
    else return undefined;
  }
  return { content, ...(part.isError ? { isError: true } : {}) };
}
