/**
 * OpenAI Responses input items -> neutral conversation turns. The same function reads a request's input and a
 * stored response's output, so a conversation continued with previous_response_id is exactly the one a client
 * would send back item by item.
 */
import { RelayError } from "../../core/relay-error.ts";
import type { RelayContentPart, RelayImagePart, RelayDocumentPart, RelayMessage, RelayTextPart, RelayWarning } from "../../core/relay-request.ts";
import { decodeReasoningEncryptedContent } from "./reasoning-encrypted-content.ts";
import { newOpenAIResponsesItemId } from "./render-response.ts";
import { parseOpenAIFileData, parseOpenAIImageUrl } from "../openai-chat/parse-openai-media.ts";

/** One input item, as loosely typed as clients send them. */
export type OpenAIResponsesItem = { type?: string; [field: string]: unknown };

export interface ParsedInputItems {
  /** Text of system and developer messages, in order. */
  systemTexts: string[];
  /** User and assistant turns, tool calls and results included. */
  messages: RelayMessage[];
  /** The items with an id each (kept when the client gave one), as GET /input_items lists them. */
  items: OpenAIResponsesItem[];
}

type Part = { type?: string; [field: string]: unknown };

/** The id prefix the API gives each kind of item. */
const idPrefixes: Record<string, string> = { message: "msg", function_call: "fc", function_call_output: "fco", reasoning: "rs" };

export function parseOpenAIResponsesInputItems(input: string | OpenAIResponsesItem[], warnings: RelayWarning[]): ParsedInputItems {
  const items = typeof input === "string" ? [{ type: "message", role: "user", content: input }] : input;
  const parsed: ParsedInputItems = { systemTexts: [], messages: [], items: [] };
  items.forEach((item, index) => {
    const param = `input.${index}`;
    const type = item.type ?? (typeof item.role === "string" ? "message" : undefined);
    parsed.items.push(withId(item, type));
    switch (type) {
      case "message":
        acceptMessage(item, param, parsed, warnings);
        break;
      case "function_call":
        parsed.messages.push({ role: "assistant", content: [functionCall(item, param)] });
        break;
      case "function_call_output":
        parsed.messages.push({ role: "user", content: [functionCallOutput(item, param, warnings)] });
        break;
      case "reasoning": {
        const reasoning = reasoningPart(item);
        if (reasoning) parsed.messages.push({ role: "assistant", content: [reasoning] });
        else warnings.push({ parameter: param, message: "a reasoning item the relay did not issue was dropped: Claude only accepts its own signed thinking" });
        break;
      }
      case "item_reference":
        throw new RelayError("invalid_request", `${param}: item_reference is not supported; send the items themselves, or continue with previous_response_id.`, {
          param: `${param}.type`,
        });
      default:
        warnings.push({ parameter: `${param}.type`, message: `input item type "${String(type)}" is not supported and was dropped` });
    }
  });
  return parsed;
}

/**
 * The assistant turn a stored response's output adds to its conversation. Function calls the model did not
 * finish (a failed response) are left out: no client can have answered them.
 */
export function parseOpenAIResponsesOutputItems(output: OpenAIResponsesItem[]): RelayMessage[] {
  const finished = output.filter((item) => item.type !== "function_call" || item.status === "completed");
  return parseOpenAIResponsesInputItems(finished, []).messages;
}

function withId(item: OpenAIResponsesItem, type: string | undefined): OpenAIResponsesItem {
  const normalized: OpenAIResponsesItem = { ...item, ...(type ? { type } : {}) };
  if (type === "message" && typeof item.content === "string") {
    normalized.content = [{ type: item.role === "assistant" ? "output_text" : "input_text", text: item.content }];
  }
  if (typeof normalized.id !== "string" || normalized.id === "") normalized.id = newOpenAIResponsesItemId(idPrefixes[type ?? ""] ?? "item");
  return normalized;
}

function acceptMessage(item: OpenAIResponsesItem, param: string, parsed: ParsedInputItems, warnings: RelayWarning[]): void {
  switch (item.role) {
    case "system":
    case "developer":
      parsed.systemTexts.push(instructionText(item.content, `${param}.content`));
      return;
    case "user":
      parsed.messages.push({ role: "user", content: userContent(item.content, `${param}.content`, warnings) });
      return;
    case "assistant":
      parsed.messages.push({ role: "assistant", content: assistantContent(item.content, `${param}.content`, warnings) });
      return;
    default:
      throw new RelayError("invalid_request", `${param}.role must be one of user, assistant, system, developer.`, { param: `${param}.role` });
  }
}

function contentParts(content: unknown, param: string): Part[] {
  if (typeof content === "string") return [{ type: "input_text", text: content }];
  if (Array.isArray(content) && content.every((part) => part && typeof part === "object")) return content as Part[];
  throw new RelayError("invalid_request", `${param} must be a string or an array of content parts.`, { param });
}

function instructionText(content: unknown, param: string): string {
  return contentParts(content, param)
    .map((part, index) => {
      if (part.type === "input_text" || part.type === "text") return String(part.text ?? "");
      throw new RelayError("invalid_request", `${param}.${index}: system and developer messages may only hold text, got "${part.type}".`, { param: `${param}.${index}.type` });
    })
    .join("");
}

function userContent(content: unknown, param: string, warnings: RelayWarning[]): RelayContentPart[] {
  const parts: RelayContentPart[] = [];
  contentParts(content, param).forEach((part, index) => {
    const at = `${param}.${index}`;
    switch (part.type) {
      case "input_text":
      case "output_text":
      case "text":
        parts.push(textPart(part));
        break;
      case "input_image":
        parts.push(imagePart(part, at));
        break;
      case "input_file":
        parts.push(filePart(part, at));
        break;
      case "input_audio":
        throw new RelayError("invalid_request", `${at}: audio input is not supported by the Claude Code backend.`, { param: `${at}.type` });
      default:
        warnings.push({ parameter: `${at}.type`, message: `content part type "${String(part.type)}" is not supported and was dropped` });
    }
  });
  return parts;
}

function assistantContent(content: unknown, param: string, warnings: RelayWarning[]): RelayContentPart[] {
  const parts: RelayContentPart[] = [];
  contentParts(content, param).forEach((part, index) => {
    if (part.type === "output_text" || part.type === "input_text" || part.type === "text") parts.push(textPart(part));
    else if (part.type === "refusal") parts.push({ type: "text", text: String(part.refusal ?? "") });
    else warnings.push({ parameter: `${param}.${index}.type`, message: `assistant content part type "${String(part.type)}" is not supported and was dropped` });
  });
  return parts;
}

function textPart(part: Part): RelayTextPart {
  return { type: "text", text: typeof part.text === "string" ? part.text : "" };
}

function imagePart(part: Part, at: string): RelayImagePart {
  if (part.file_id) throw unsupportedFileId(at);
  const url = part.image_url;
  if (typeof url !== "string") throw new RelayError("invalid_request", `${at}.image_url must be a data URL or an http(s) URL.`, { param: `${at}.image_url` });
  return parseOpenAIImageUrl(url, `${at}.image_url`);
}

function filePart(part: Part, at: string): RelayImagePart | RelayDocumentPart {
  if (part.file_id) throw unsupportedFileId(at);
  const title = typeof part.filename === "string" ? part.filename : undefined;
  if (typeof part.file_url === "string") {
    if (!/^https?:\/\//i.test(part.file_url)) throw new RelayError("invalid_request", `${at}.file_url must be an http(s) URL.`, { param: `${at}.file_url` });
    return { type: "document", source: { kind: "url", url: part.file_url }, title };
  }
  if (typeof part.file_data !== "string") {
    throw new RelayError("invalid_request", `${at}: input_file needs file_data (a base64 data URL) or file_url.`, { param: `${at}.file_data` });
  }
  return parseOpenAIFileData(part.file_data, title, `${at}.file_data`);
}

function unsupportedFileId(at: string): RelayError {
  return new RelayError("invalid_request", `${at}: file_id references are not supported (the relay has no Files API); send the content inline.`, {
    param: `${at}.file_id`,
  });
}

function functionCall(item: OpenAIResponsesItem, param: string): RelayContentPart {
  if (typeof item.call_id !== "string" || item.call_id === "") throw new RelayError("invalid_request", `${param}.call_id is required.`, { param: `${param}.call_id` });
  if (typeof item.name !== "string") throw new RelayError("invalid_request", `${param}.name is required.`, { param: `${param}.name` });
  const text = typeof item.arguments === "string" ? item.arguments : "";
  let input: unknown = {};
  if (text.trim() !== "") {
    try {
      input = JSON.parse(text);
    } catch {
      throw new RelayError("invalid_request", `${param}.arguments must be a JSON string.`, { param: `${param}.arguments` });
    }
  }
  return { type: "tool-call", id: item.call_id, name: item.name, input };
}

function functionCallOutput(item: OpenAIResponsesItem, param: string, warnings: RelayWarning[]): RelayContentPart {
  if (typeof item.call_id !== "string" || item.call_id === "") throw new RelayError("invalid_request", `${param}.call_id is required.`, { param: `${param}.call_id` });
  const content: Array<RelayTextPart | RelayImagePart | RelayDocumentPart> = [];
  if (typeof item.output === "string") content.push({ type: "text", text: item.output });
  else if (Array.isArray(item.output)) {
    (item.output as Part[]).forEach((part, index) => {
      const at = `${param}.output.${index}`;
      if (part.type === "input_text" || part.type === "output_text") content.push(textPart(part));
      else if (part.type === "input_image") content.push(imagePart(part, at));
      else if (part.type === "input_file") content.push(filePart(part, at));
      else warnings.push({ parameter: `${at}.type`, message: `function_call_output part type "${String(part.type)}" is not supported and was dropped` });
    });
  } else {
    throw new RelayError("invalid_request", `${param}.output must be a string or an array of content parts.`, { param: `${param}.output` });
  }
  return { type: "tool-result", toolCallId: item.call_id, content, isError: false };
}

/** A reasoning item the relay issued becomes thinking that can be sent back; any other carries nothing Claude accepts. */
function reasoningPart(item: OpenAIResponsesItem): RelayContentPart | undefined {
  const proof = typeof item.encrypted_content === "string" ? decodeReasoningEncryptedContent(item.encrypted_content) : undefined;
  if (!proof) return undefined;
  const texts = (Array.isArray(item.content) ? item.content : Array.isArray(item.summary) ? item.summary : []) as Part[];
  return { type: "reasoning", text: texts.map((part) => String(part.text ?? "")).join(""), providerMetadata: { anthropic: proof } };
}
