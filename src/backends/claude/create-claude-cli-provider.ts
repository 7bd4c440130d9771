/** The claude-cli provider: a ClaudeBackend configured by the relay's command-line options. */
import type { RelayBackend } from "../../core/relay-backend.ts";
import type { ProviderFactoryContext } from "../provider-factories.ts";
import type { ClaudeCliProviderConfig } from "../../config/routing-config.ts";
import { join } from "node:path";
import { ClaudeBackend } from "./claude-backend.ts";

export function createClaudeCliProvider(_provider: ClaudeCliProviderConfig, context: ProviderFactoryContext): RelayBackend {
  const { config } = context;
  return new ClaudeBackend({
    claudeBin: config.claudeBin,
    workdir: config.workdir,
    idleTimeoutMs: config.idleTimeoutMs,
    killGraceMs: config.killGraceMs,
    maxConcurrent: config.maxConcurrent,
    maxQueue: config.maxQueue,
    maxProcesses: config.maxProcesses,
    warmProcesses: config.warmProcesses,
    warmIdleTimeoutMs: config.warmIdleTimeoutMs,
    maxLiveConversations: config.maxLiveConversations,
    toolHoldTimeoutMs: config.toolHoldTimeoutMs,
    conversationIdleTimeoutMs: config.conversationIdleTimeoutMs,
    recycle: config.recycle,
    recycleMaxConversations: config.recycleMaxConversations,
    recycleMaxAgeMs: config.recycleMaxAgeMs,
    recycleMaxResidentBytes: config.recycleMaxRssBytes,
    spareIdleTimeoutMs: config.spareIdleTimeoutMs,
    maxMemoryBytes: config.maxMemoryBytes,
    warmSettingsFile: join(config.dataDir, "claude-warm-settings.json"),
    observer: context.metrics.processBackendObserver(),
    defaultModel: config.defaultModel,
    cliMaxRetries: config.cliMaxRetries,
    agent: config.agent,
    agentTools: config.agentTools,
    permissionMode: config.permissionMode,
    relayAddress: { host: config.host, port: config.port },
    maxLineBytes: config.maxLineBytes,
    env: context.env,
    log: context.log,
  });
}
