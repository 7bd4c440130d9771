/** The provider factory for `type: openai`: the routing file's settings -> an OpenAI-compatible backend. */
import type { OpenAIProviderConfig } from "../../config/routing-config.ts";
import type { RelayBackend } from "../../core/relay-backend.ts";
import type { ProviderFactoryContext } from "../provider-factories.ts";
import { OpenAICompatibleBackend } from "./openai-compatible-backend.ts";

export function createOpenAICompatibleProvider(provider: OpenAIProviderConfig, context: ProviderFactoryContext): RelayBackend {
  return new OpenAICompatibleBackend(
    {
      name: provider.name,
      baseUrl: provider.baseUrl,
      apiKey: provider.apiKey,
      headers: provider.headers,
      apiVersion: provider.apiVersion,
      models: provider.models,
      pdf: provider.pdf,
      systemPrompt: provider.systemPrompt,
      timeoutMs: provider.timeoutMs,
      topK: provider.topK,
      reasoningContent: provider.reasoningContent,
      passthrough: provider.passthrough,
    },
    context.log,
  );
}
