/**
 * POST /v1/responses, GET and DELETE /v1/responses/{id}, GET /v1/responses/{id}/input_items (also without /v1).
 * A stored response keeps the conversation so far, so `previous_response_id` continues it after a restart.
 */
import { Elysia } from "elysia";
import { newId } from "../../util/new-id.ts";
import { RelayError } from "../../core/relay-error.ts";
import type { AppDependencies } from "../../server/app-dependencies.ts";
import { hashClientCredential } from "../../server/client-credential.ts";
import { protocolErrorHandler } from "../../server/protocol-error-handler.ts";
import { getRequestContext } from "../../server/request-context.ts";
import { serveRelayRequest, type ProtocolRenderer } from "../../server/serve-relay-request.ts";
import type { ResponseOwner, ResponseStore } from "../../store/response-store.ts";
import type { Logger } from "../../util/logger.ts";
import { pageOpenAIResponsesInputItems } from "./page-input-items.ts";
import { parseOpenAIResponsesOutputItems, type OpenAIResponsesItem } from "./parse-input-items.ts";
import { parseOpenAIResponsesRequest, type ParsedOpenAIResponsesRequest } from "./parse-request.ts";
import { renderOpenAIResponsesError } from "./render-error.ts";
import { echoOpenAIResponsesParameters, renderOpenAIResponsesResponse, type OpenAIResponsesObject, type OpenAIResponsesRenderContext } from "./render-response.ts";
import { renderOpenAIResponsesStream } from "./render-stream.ts";
import {
  openAIResponsesInputItemsQuerySchema,
  openAIResponsesRequestSchema,
  type OpenAIResponsesInputItemsQuery,
  type OpenAIResponsesRequest,
} from "./schema.ts";

export interface OpenAIResponsesDependencies extends AppDependencies {
  /** The store, or why it cannot be used (every Responses API route then answers with that error). */
  responseStore: ResponseStore | RelayError;
}

export function openAIResponsesRoutes(dependencies: OpenAIResponsesDependencies) {
  const usableStore = () => {
    if (dependencies.responseStore instanceof RelayError) throw dependencies.responseStore;
    return dependencies.responseStore;
  };

  const handleCreate = async ({ body, request }: { body: OpenAIResponsesRequest; request: Request }) => {
    const context = getRequestContext(request, dependencies.log);
    const store = usableStore();
    const owner: ResponseOwner = { credentialHash: hashClientCredential(request), endUser: body.safety_identifier ?? body.user ?? "" };
    const previousId = body.previous_response_id ?? undefined;
    const previous = previousId === undefined ? undefined : await store.get(previousId, owner);
    if (previousId !== undefined && !previous) {
      throw new RelayError("invalid_request", `Previous response with id '${previousId}' not found.`, { param: "previous_response_id", code: "previous_response_not_found" });
    }
    const parsed = parseOpenAIResponsesRequest(body, previous?.conversation);
    const renderContext: OpenAIResponsesRenderContext = {
      id: newId("resp_", 32),
      createdAt: Math.floor(Date.now() / 1000),
      model: body.model,
      parameters: echoOpenAIResponsesParameters(body),
    };
    // A response that could not be stored fails (the client asked to store it); the failed object that follows is not stored again.
    let storeFailed = false;
    const persist = async (response: OpenAIResponsesObject) => {
      if (storeFailed) return;
      try {
        await storeResponse(store, parsed, response, owner);
      } catch (error) {
        storeFailed = true;
        context.log.error("could not store the response", { response_id: response.id, error: error instanceof RelayError ? error.detail : String(error) });
        throw error;
      }
    };
    const renderer: ProtocolRenderer = {
      renderResponse: async (response) => {
        const rendered = renderOpenAIResponsesResponse(response, renderContext);
        await persist(rendered);
        return rendered;
      },
      renderStream: (events) => renderOpenAIResponsesStream(events, { ...renderContext, onFinished: persist }),
      renderError: renderOpenAIResponsesError,
      keepaliveFrame: { comment: "keepalive" },
    };
    if (previous) context.log.debug("continuing a stored response", { previous_response_id: previous.id, turns: previous.conversation.messages.length });
    return serveRelayRequest({ ...context, request, route: "/v1/responses", responseId: renderContext.id }, parsed.relayRequest, renderer, {
      ...dependencies,
      keepaliveIntervalMs: dependencies.config.keepaliveIntervalMs,
    });
  };

  const storedOrNotFound = async (id: string, request: Request) => {
    const stored = await usableStore().get(id, { credentialHash: hashClientCredential(request) });
    if (!stored) throw responseNotFound(id);
    return stored;
  };

  const handleRetrieve = async ({ params, query, request }: { params: { id: string }; query: Record<string, string | undefined>; request: Request }) => {
    if (query.stream === "true") {
      throw new RelayError("invalid_request", "Streaming a stored response again is not supported; retrieve it without stream.", { param: "stream" });
    }
    return (await storedOrNotFound(params.id, request)).response;
  };

  const handleDelete = async ({ params, request }: { params: { id: string }; request: Request }) => {
    if (!(await usableStore().delete(params.id, { credentialHash: hashClientCredential(request) }))) throw responseNotFound(params.id);
    return { id: params.id, object: "response.deleted", deleted: true };
  };

  const handleInputItems = async ({ params, query, request }: { params: { id: string }; query: OpenAIResponsesInputItemsQuery; request: Request }) =>
    pageOpenAIResponsesInputItems((await storedOrNotFound(params.id, request)).inputItems as OpenAIResponsesItem[], query);

  return new Elysia({ name: "openai-responses" })
    .onError(protocolErrorHandler(() => renderOpenAIResponsesError, dependencies.log))
    .post("/v1/responses", handleCreate, { body: openAIResponsesRequestSchema })
    .post("/responses", handleCreate, { body: openAIResponsesRequestSchema })
    .get("/v1/responses/:id", handleRetrieve)
    .get("/responses/:id", handleRetrieve)
    .delete("/v1/responses/:id", handleDelete)
    .delete("/responses/:id", handleDelete)
    .get("/v1/responses/:id/input_items", handleInputItems, { query: openAIResponsesInputItemsQuerySchema })
    .get("/responses/:id/input_items", handleInputItems, { query: openAIResponsesInputItemsQuerySchema });
}

function responseNotFound(id: string): RelayError {
  return new RelayError("not_found", `Response with id '${id}' not found.`, { param: "response_id" });
}

/**
 * Stores a finished response with the conversation through its output, for the client that created it.
 * Called before the client sees the response end, so a request that names it as previous_response_id right
 * away finds it. Throws when the store fails: the client asked for a stored response and must learn it has none.
 */
async function storeResponse(store: ResponseStore, parsed: ParsedOpenAIResponsesRequest, response: OpenAIResponsesObject, owner: ResponseOwner): Promise<void> {
  if (!parsed.store) return;
  await store.save({
    id: response.id,
    owner,
    createdAt: Date.now(),
    response,
    inputItems: parsed.inputItems,
    conversation: {
      systemTexts: parsed.conversation.systemTexts,
      messages: [...parsed.conversation.messages, ...parseOpenAIResponsesOutputItems(response.output)],
    },
  });
}
