/**
 * Checks of an Anthropic Messages request that its schema leaves open, each a 400 naming the parameter, as
 * the Anthropic API answers them: tools that are not a list of named tools with an object JSON Schema,
 * duplicate tool names, a tool_choice naming no tool, a thinking budget below 1024 or not below max_tokens,
 * content and system blocks of the wrong shape, and inline images that are not base64 or not an image of a
 * supported type. Runs before parsing, so a type-confused field is the client's 400 and never a TypeError's 500.
 */
import { imageSize } from "../../util/image-size.ts";
import { checkField, checkStringOrList, checkTypedObjects, invalidParameter as invalid, isJsonObject as isObject } from "../check-request-fields.ts";

const required = { required: true } as const;
const nullable = { nullable: true } as const;
const minimumThinkingBudget = 1024;

export function checkAnthropicRequestShape(body: Record<string, unknown>): void {
  checkTools(body.tools, body.tool_choice);
  checkThinking(body.thinking, body.max_tokens);
  if (checkStringOrList(body.system, "system")) checkTypedObjects(body.system, "system", (block, at) => checkBlock(block, at));
  checkMessages(body.messages);
  if (checkField(body.metadata, "metadata", "object")) checkField((body.metadata as Record<string, unknown>).user_id, "metadata.user_id", "string", nullable);
}

function checkTools(tools: unknown, toolChoice: unknown): void {
  const names = new Set<string>();
  if (tools !== undefined && tools !== null && !Array.isArray(tools)) throw invalid("tools", "must be a list of tools.");
  (Array.isArray(tools) ? tools : []).forEach((tool, index) => {
    const param = `tools.${index}`;
    if (!isObject(tool)) throw invalid(param, "must be a tool object.");
    checkField(tool.type, `${param}.type`, "string");
    // Server tools (web_search_20250305, ...) carry a type and no input_schema.
    if (typeof tool.type === "string" && tool.type !== "custom" && tool.input_schema === undefined) return;
    if (typeof tool.name !== "string" || tool.name === "") throw invalid(`${param}.name`, "must be a non-empty string.");
    checkField(tool.description, `${param}.description`, "string");
    if (!isObject(tool.input_schema)) throw invalid(`${param}.input_schema`, "must be a JSON Schema object.");
    if (tool.input_schema.type !== undefined && tool.input_schema.type !== "object") throw invalid(`${param}.input_schema.type`, 'must be "object".');
    if (names.has(tool.name)) throw invalid(`${param}.name`, `tool names must be unique; "${tool.name.slice(0, 64)}" is used twice.`);
    names.add(tool.name);
  });
  if (!checkField(toolChoice, "tool_choice", "object") || !isObject(toolChoice)) return;
  checkField(toolChoice.type, "tool_choice.type", "string", required);
  checkField(toolChoice.disable_parallel_tool_use, "tool_choice.disable_parallel_tool_use", "boolean");
  if (toolChoice.type === "tool") {
    if (typeof toolChoice.name !== "string" || !names.has(toolChoice.name)) {
      throw invalid("tool_choice.name", `names no tool in tools: "${String(toolChoice.name).slice(0, 64)}".`);
    }
  }
}

/** The API's rules: at least 1024 tokens, and fewer than max_tokens, which must leave room for the answer. */
function checkThinking(thinking: unknown, maxTokens: unknown): void {
  if (!isObject(thinking) || thinking.type !== "enabled") return;
  const budget = thinking.budget_tokens;
  if (typeof budget !== "number" || !Number.isInteger(budget) || budget < minimumThinkingBudget) {
    throw invalid("thinking.budget_tokens", `must be a whole number of at least ${minimumThinkingBudget}.`);
  }
  if (typeof maxTokens === "number" && budget >= maxTokens) throw invalid("thinking.budget_tokens", `must be less than max_tokens (${maxTokens}).`);
}

function checkMessages(messages: unknown): void {
  if (!Array.isArray(messages)) return;
  messages.forEach((message, index) => {
    if (!isObject(message)) throw invalid(`messages.${index}`, "must be a message object.");
    if (!Array.isArray(message.content)) return;
    message.content.forEach((block, blockIndex) => checkBlock(block, `messages.${index}.content.${blockIndex}`));
  });
}

function checkBlock(block: unknown, param: string): void {
  if (!isObject(block)) throw invalid(param, "must be a content block object.");
  checkField(block.type, `${param}.type`, "string", required);
  switch (block.type) {
    case "text":
      checkField(block.text, `${param}.text`, "string", required);
      return;
    case "thinking":
      checkField(block.thinking, `${param}.thinking`, "string", required);
      checkField(block.signature, `${param}.signature`, "string");
      return;
    case "redacted_thinking":
      checkField(block.data, `${param}.data`, "string", required);
      return;
    case "tool_use":
    case "server_tool_use":
      checkField(block.id, `${param}.id`, "string", required);
      checkField(block.name, `${param}.name`, "string", required);
      checkField(block.input, `${param}.input`, "object", required);
      return;
    case "image": {
      const source = block.source;
      if (!isObject(source)) throw invalid(`${param}.source`, "must be an object.");
      checkField(source.type, `${param}.source.type`, "string", required);
      if (source.type === "base64") checkBase64Image(source, `${param}.source`);
      if (source.type === "url") checkField(source.url, `${param}.source.url`, "string", required);
      return;
    }
    case "document": {
      const source = block.source;
      if (!isObject(source)) throw invalid(`${param}.source`, "must be an object.");
      checkField(source.type, `${param}.source.type`, "string", required);
      if (source.type === "text" || source.type === "base64") checkField(source.data, `${param}.source.data`, "string", required);
      if (source.type === "url") checkField(source.url, `${param}.source.url`, "string", required);
      if (source.type === "content" && typeof source.content !== "string" && !Array.isArray(source.content)) {
        throw invalid(`${param}.source.content`, "must be a string or a list of content blocks.");
      }
      if (Array.isArray(source.content)) source.content.forEach((inner, index) => checkBlock(inner, `${param}.source.content.${index}`));
      return;
    }
    case "tool_result": {
      checkField(block.tool_use_id, `${param}.tool_use_id`, "string", required);
      checkField(block.is_error, `${param}.is_error`, "boolean");
      const content = block.content;
      if (content === undefined || typeof content === "string") return;
      if (!Array.isArray(content)) throw invalid(`${param}.content`, "must be a string or a list of content blocks.");
      content.forEach((inner, index) => checkBlock(inner, `${param}.content.${index}`));
      return;
    }
    default:
      return;
  }
}

const imageMediaTypes = new Set(["image/jpeg", "image/png", "image/gif", "image/webp"]);

/** What the Anthropic API checks of an inline image: a supported media type, and data that decodes to such an image. */
function checkBase64Image(source: Record<string, unknown>, param: string): void {
  if (typeof source.media_type !== "string" || !imageMediaTypes.has(source.media_type)) {
    throw invalid(`${param}.media_type`, `must be one of ${[...imageMediaTypes].join(", ")}.`);
  }
  const data = source.data;
  if (typeof data !== "string" || data.length === 0 || !/^[A-Za-z0-9+/\r\n]*={0,2}$/.test(data)) throw invalid(`${param}.data`, "must be base64-encoded image data.");
  const bytes = Buffer.from(data, "base64");
  if (!imageSize(bytes)) throw invalid(`${param}.data`, `could not be decoded as an image (${source.media_type}).`);
}
