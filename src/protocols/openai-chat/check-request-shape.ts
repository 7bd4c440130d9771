/**
 * Checks of a Chat Completions request that its schema leaves open (content parts, tool calls, tool and
 * response-format shapes, the optional parameters the parser reads), each a 400 naming the parameter as the
 * OpenAI API answers them. Runs before parsing, so a type-confused field is the client's 400, never a
 * TypeError's 500 and never a value silently dropped.
 */
import {
  checkField,
  checkRange,
  checkStringOrList,
  checkStringRecord,
  checkToolSchema,
  checkTypedObjects,
  checkUniqueName,
  functionToolChoice,
  invalidParameter,
  type JsonObject,
} from "../check-request-fields.ts";

const nullable = { nullable: true } as const;
const required = { required: true } as const;

export function checkOpenAIChatRequestShape(body: JsonObject): void {
  checkMessages(body.messages);
  const toolNames = checkTools(body.tools);
  const functionNames = checkFunctions(body.functions);
  checkToolChoice(body.tool_choice, toolNames);
  checkFunctionCallChoice(body.function_call, functionNames);
  checkResponseFormat(body.response_format);
  checkField(body.seed, "seed", "integer", nullable);
  checkRange(body.frequency_penalty, "frequency_penalty", { minimum: -2, maximum: 2 });
  checkRange(body.presence_penalty, "presence_penalty", { minimum: -2, maximum: 2 });
  checkField(body.logprobs, "logprobs", "boolean", nullable);
  checkRange(body.top_logprobs, "top_logprobs", { minimum: 0, maximum: 20, integer: true });
  checkField(body.service_tier, "service_tier", "string", nullable);
  checkField(body.store, "store", "boolean", nullable);
  checkField(body.logit_bias, "logit_bias", "object", nullable);
  checkStringRecord(body.metadata, "metadata", nullable);
}

function checkMessages(messages: unknown): void {
  if (!checkField(messages, "messages", "list", required)) return;
  (messages as unknown[]).forEach((message, index) => {
    const param = `messages.${index}`;
    checkField(message, param, "object", required);
    checkMessage(message as JsonObject, param);
  });
}

function checkMessage(message: JsonObject, param: string): void {
  checkField(message.role, `${param}.role`, "string", required);
  checkField(message.name, `${param}.name`, "string");
  const content = `${param}.content`;
  switch (message.role) {
    case "system":
    case "developer":
      if (checkStringOrList(message.content, content, required)) checkTypedObjects(message.content, content, checkTextPart);
      return;
    case "user":
      if (checkStringOrList(message.content, content, required)) checkTypedObjects(message.content, content, checkUserPart);
      return;
    case "assistant":
      if (checkStringOrList(message.content, content, nullable)) checkTypedObjects(message.content, content, checkAssistantPart);
      checkToolCalls(message.tool_calls, `${param}.tool_calls`);
      if (checkField(message.function_call, `${param}.function_call`, "object", nullable)) checkFunctionCall(message.function_call as JsonObject, `${param}.function_call`);
      return;
    case "tool":
      checkField(message.tool_call_id, `${param}.tool_call_id`, "string", required);
      if (checkStringOrList(message.content, content, required)) checkTypedObjects(message.content, content, checkUserPart);
      return;
    case "function":
      checkField(message.content, content, "string", nullable);
      return;
    default:
      // The schema names the roles; an unknown one never gets here.
      return;
  }
}

function checkTextPart(part: JsonObject & { type: string }, at: string): void {
  if (part.type !== "text" && part.type !== "input_text") throw invalidParameter(`${at}.type`, `only text parts are allowed here, got "${part.type.slice(0, 64)}".`);
  checkField(part.text, `${at}.text`, "string", required);
}

function checkUserPart(part: JsonObject & { type: string }, at: string): void {
  switch (part.type) {
    case "text":
      checkField(part.text, `${at}.text`, "string", required);
      return;
    case "image_url":
      // A bare URL string is what some clients send; the API's own shape is {url, detail}.
      if (typeof part.image_url === "string") return;
      checkField(part.image_url, `${at}.image_url`, "object", required);
      checkField((part.image_url as JsonObject).url, `${at}.image_url.url`, "string", required);
      checkField((part.image_url as JsonObject).detail, `${at}.image_url.detail`, "string");
      return;
    case "file": {
      checkField(part.file, `${at}.file`, "object", required);
      const file = part.file as JsonObject;
      for (const key of ["file_data", "file_id", "filename"]) checkField(file[key], `${at}.file.${key}`, "string");
      return;
    }
    case "input_audio":
      checkField(part.input_audio, `${at}.input_audio`, "object", required);
      return;
    default:
      // Unknown part types are the parser's warning, not a type error.
      return;
  }
}

function checkAssistantPart(part: JsonObject & { type: string }, at: string): void {
  if (part.type === "text") checkField(part.text, `${at}.text`, "string", required);
  else if (part.type === "refusal") checkField(part.refusal, `${at}.refusal`, "string", required);
}

function checkToolCalls(calls: unknown, param: string): void {
  if (!checkField(calls, param, "list", nullable)) return;
  (calls as unknown[]).forEach((call, index) => {
    const at = `${param}.${index}`;
    checkField(call, at, "object", required);
    const object = call as JsonObject;
    checkField(object.id, `${at}.id`, "string", required);
    checkField(object.type, `${at}.type`, "string");
    checkField(object.function, `${at}.function`, "object", required);
    checkFunctionCall(object.function as JsonObject, `${at}.function`);
  });
}

function checkFunctionCall(call: JsonObject, param: string): void {
  checkField(call.name, `${param}.name`, "string", required);
  checkField(call.arguments, `${param}.arguments`, "string", required);
}

function checkTools(tools: unknown): Set<string> {
  const names = new Set<string>();
  if (!checkField(tools, "tools", "list", nullable)) return names;
  checkTypedObjects(tools as unknown[], "tools", (tool, at) => {
    if (tool.type !== "function") return;
    checkField(tool.function, `${at}.function`, "object", required);
    const name = checkFunctionDefinition(tool.function as JsonObject, `${at}.function`);
    checkUniqueName(names, name, `${at}.function.name`);
  });
  return names;
}

function checkFunctions(functions: unknown): Set<string> {
  const names = new Set<string>();
  if (!checkField(functions, "functions", "list", nullable)) return names;
  (functions as unknown[]).forEach((definition, index) => {
    const at = `functions.${index}`;
    checkField(definition, at, "object", required);
    checkUniqueName(names, checkFunctionDefinition(definition as JsonObject, at), `${at}.name`);
  });
  return names;
}

function checkFunctionDefinition(definition: JsonObject, param: string): string {
  checkField(definition.name, `${param}.name`, "string", required);
  checkField(definition.description, `${param}.description`, "string", nullable);
  checkToolSchema(definition.parameters, `${param}.parameters`, nullable);
  checkField(definition.strict, `${param}.strict`, "boolean", nullable);
  return definition.name as string;
}

function checkToolChoice(choice: unknown, names: Set<string>): void {
  const object = functionToolChoice(choice);
  if (!object) return;
  checkField(object.function, "tool_choice.function", "object", required);
  const name = (object.function as JsonObject).name;
  checkField(name, "tool_choice.function.name", "string", required);
  if (!names.has(name as string)) throw invalidParameter("tool_choice.function.name", `names no function in tools: "${(name as string).slice(0, 64)}".`);
}

function checkFunctionCallChoice(choice: unknown, names: Set<string>): void {
  if (choice === undefined || choice === null || choice === "auto" || choice === "none") return;
  if (typeof choice === "string") throw invalidParameter("function_call", `must be "auto", "none" or {"name": ...}, got "${choice.slice(0, 64)}".`);
  checkField(choice, "function_call", "object", required);
  const name = (choice as JsonObject).name;
  checkField(name, "function_call.name", "string", required);
  if (!names.has(name as string)) throw invalidParameter("function_call.name", `names no function in functions: "${(name as string).slice(0, 64)}".`);
}

function checkResponseFormat(format: unknown): void {
  if (!checkField(format, "response_format", "object", nullable)) return;
  const object = format as JsonObject;
  checkField(object.type, "response_format.type", "string", required);
  if (object.type !== "json_schema") return;
  checkField(object.json_schema, "response_format.json_schema", "object", required);
  const schema = object.json_schema as JsonObject;
  checkField(schema.name, "response_format.json_schema.name", "string", required);
  checkField(schema.description, "response_format.json_schema.description", "string", nullable);
  checkField(schema.schema, "response_format.json_schema.schema", "object", required);
  checkField(schema.strict, "response_format.json_schema.strict", "boolean", nullable);
}
