/** The neutral conversation -> Chat Completions messages: content parts, tool calls and results, documents. */
import { RelayError } from "../../core/relay-error.ts";
import type { RelayDocumentPart, RelayImagePart, RelayMessage, RelayTextPart, RelayToolResultPart, RelayWarning } from "../../core/relay-request.ts";
import type { OpenAIChatContentPart, OpenAIChatMessage, OpenAIChatToolCall } from "./openai-chat-wire.ts";

export interface OpenAIMessageOptions {
  /** The provider's name, for errors. */
  providerName: string;
  /** "text": the provider takes no file parts, so a PDF is refused rather than dropped. */
  pdf: "file" | "text";
  /** Send the reasoning of tool-calling turns back as reasoning_content (DeepSeek). */
  sendsReasoningContent: boolean;
  warnings: RelayWarning[];
}

export function toOpenAIChatMessages(messages: RelayMessage[], options: OpenAIMessageOptions): OpenAIChatMessage[] {
  const result: OpenAIChatMessage[] = [];
  messages.forEach((message, index) => {
    if (message.role === "assistant") result.push(toAssistantMessage(message, index, options));
    else result.push(...toUserMessages(message, index, options));
  });
  return result;
}

function toAssistantMessage(message: RelayMessage, index: number, options: OpenAIMessageOptions): OpenAIChatMessage {
  const texts: string[] = [];
  const reasoning: string[] = [];
  const toolCalls: OpenAIChatToolCall[] = [];
  for (const part of message.content) {
    switch (part.type) {
      case "text":
        texts.push(part.text);
        break;
      case "tool-call":
        toolCalls.push({ id: part.id, type: "function", function: { name: part.name, arguments: toolArguments(part.input) } });
        break;
      case "reasoning":
        // Providers other than DeepSeek reject or ignore earlier reasoning; it is not theirs to verify anyway.
        if (part.text) reasoning.push(part.text);
        break;
      case "image":
      case "document":
      case "tool-result":
        options.warnings.push({ parameter: `messages.${index}.content`, message: `a ${part.type} in an assistant turn cannot be sent to an OpenAI-compatible provider and was left out` });
        break;
      default: {
        const unreachable: never = part;
        throw new Error(`unhandled content part ${JSON.stringify(unreachable)}`);
      }
    }
  }
  const assistant: Extract<OpenAIChatMessage, { role: "assistant" }> = { role: "assistant", content: texts.length > 0 ? texts.join("") : null };
  if (toolCalls.length > 0) assistant.tool_calls = toolCalls;
  if (toolCalls.length > 0 && options.sendsReasoningContent && reasoning.length > 0) assistant.reasoning_content = reasoning.join("");
  if (assistant.content === null && toolCalls.length === 0) assistant.content = "";
  return assistant;
}

function toolArguments(input: unknown): string {
  if (typeof input === "string") return input;
  return JSON.stringify(input ?? {});
}

/**
 * One neutral user turn becomes the tool messages for its tool results (which must directly follow the
 * assistant's tool calls), then one user message with everything else, including the images and documents
 * the tools returned: Chat Completions tool messages carry text only.
 */
function toUserMessages(message: RelayMessage, index: number, options: OpenAIMessageOptions): OpenAIChatMessage[] {
  const toolMessages: OpenAIChatMessage[] = [];
  const toolMedia: OpenAIChatContentPart[] = [];
  const userParts: OpenAIChatContentPart[] = [];
  message.content.forEach((part, partIndex) => {
    const param = `messages.${index}.content.${partIndex}`;
    switch (part.type) {
      case "text":
        userParts.push({ type: "text", text: part.text });
        break;
      case "image":
        userParts.push(toImagePart(part));
        break;
      case "document":
        userParts.push(toDocumentPart(part, param, options));
        break;
      case "tool-result": {
        const { text, media } = splitToolResult(part, param, options);
        toolMessages.push({ role: "tool", tool_call_id: part.toolCallId, content: text });
        if (media.length > 0) toolMedia.push({ type: "text", text: `Attachments returned by tool call ${part.toolCallId}:` }, ...media);
        break;
      }
      case "tool-call":
      case "reasoning":
        options.warnings.push({ parameter: `${param}.type`, message: `a ${part.type} in a user turn cannot be sent to an OpenAI-compatible provider and was left out` });
        break;
      default: {
        const unreachable: never = part;
        throw new Error(`unhandled content part ${JSON.stringify(unreachable)}`);
      }
    }
  });
  const parts = [...toolMedia, ...userParts];
  if (parts.length === 0) return toolMessages;
  // Text-only turns go as a string: several providers (DeepSeek, older Ollama) accept nothing else.
  const textOnly = parts.every((part) => part.type === "text");
  const content = textOnly ? parts.map((part) => (part as { text: string }).text).join("\n") : parts;
  return [...toolMessages, { role: "user", content }];
}

function splitToolResult(part: RelayToolResultPart, param: string, options: OpenAIMessageOptions): { text: string; media: OpenAIChatContentPart[] } {
  const texts: string[] = [];
  const media: OpenAIChatContentPart[] = [];
  part.content.forEach((item, itemIndex) => {
    if (item.type === "text") texts.push(item.text);
    else if (item.type === "image") media.push(toImagePart(item));
    else {
      const document = toDocumentPart(item, `${param}.content.${itemIndex}`, options);
      if (document.type === "text") texts.push(document.text);
      else media.push(document);
    }
  });
  const text = texts.join("\n");
  // Chat Completions has no error flag on tool results; the model still has to know the call failed.
  return { text: part.isError ? `Error: ${text}` : text, media };
}

function toImagePart(part: RelayImagePart): OpenAIChatContentPart {
  const url = part.source.kind === "base64" ? `data:${part.source.mediaType};base64,${part.source.data}` : part.source.url;
  return { type: "image_url", image_url: { url } };
}

function toDocumentPart(part: RelayDocumentPart, param: string, options: OpenAIMessageOptions): OpenAIChatContentPart | RelayTextPart {
  const heading = [part.title, part.context].filter(Boolean).join("\n");
  const withHeading = (text: string) => ({ type: "text" as const, text: heading ? `${heading}\n\n${text}` : text });
  const source = part.source;
  if (source.kind === "text") return withHeading(source.data);
  if (source.kind === "base64" && source.mediaType.startsWith("text/")) return withHeading(Buffer.from(source.data, "base64").toString("utf8"));
  if (options.pdf === "text") {
    throw new RelayError(
      "invalid_request",
      `Provider "${options.providerName}" accepts documents as text only (pdf: text), and this ${source.kind === "url" ? "document URL" : source.mediaType} document cannot be sent as text. Send its text instead.`,
      { param },
    );
  }
  const filename = part.title ?? (source.kind === "url" ? (source.url.split("/").at(-1) || "document.pdf") : "document.pdf");
  // OpenRouter accepts a URL in file_data; OpenAI itself wants base64 and answers 400, which reaches the client.
  const fileData = source.kind === "base64" ? `data:${source.mediaType};base64,${source.data}` : source.url;
  return { type: "file", file: { filename, file_data: fileData } };
}
