/**
 * Checks of a Responses API request that its schema leaves open (input items of every kind, their content
 * parts, tools, tool_choice, text.format, reasoning), each a 400 naming the parameter as the OpenAI API
 * answers them. Runs before parsing, so a type-confused field is the client's 400, never a TypeError's 500
 * and never an input item silently dropped.
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
  describeJsonType,
  invalidParameter,
  isJsonObject,
  type JsonObject,
} from "../check-request-fields.ts";

const nullable = { nullable: true } as const;
const required = { required: true } as const;

export function checkOpenAIResponsesRequestShape(body: JsonObject): void {
  checkInput(body.input);
  const names = checkTools(body.tools);
  checkToolChoice(body.tool_choice, names);
  checkText(body.text);
  if (checkField(body.reasoning, "reasoning", "object", nullable)) {
    const reasoning = body.reasoning as JsonObject;
    checkField(reasoning.effort, "reasoning.effort", "string", nullable);
    checkField(reasoning.summary, "reasoning.summary", "string", nullable);
  }
  checkField(body.instructions, "instructions", "string", nullable);
  checkRange(body.max_tool_calls, "max_tool_calls", { minimum: 1, maximum: Number.MAX_SAFE_INTEGER, integer: true });
  checkRange(body.top_logprobs, "top_logprobs", { minimum: 0, maximum: 20, integer: true });
  checkField(body.service_tier, "service_tier", "string", nullable);
  checkField(body.prompt_cache_key, "prompt_cache_key", "string", nullable);
  checkStringRecord(body.metadata, "metadata", nullable);
  if (checkField(body.include, "include", "list", nullable)) (body.include as unknown[]).forEach((entry, index) => checkField(entry, `include.${index}`, "string", required));
}

function checkInput(input: unknown): void {
  if (!checkStringOrList(input, "input")) return;
  input.forEach((item, index) => {
    const param = `input.${index}`;
    if (!isJsonObject(item)) throw invalidParameter(param, `must be an input item object, got ${describeJsonType(item)}.`);
    checkField(item.type, `${param}.type`, "string");
    checkField(item.id, `${param}.id`, "string", nullable);
    // A message may leave out its type ({role, content}); any other item must say what it is.
    const type = item.type ?? (item.role !== undefined ? "message" : undefined);
    if (type === undefined) throw invalidParameter(`${param}.type`, "is required (a string such as \"message\" or \"function_call\").");
    checkItem(item, type as string, param);
  });
}

function checkItem(item: JsonObject, type: string, param: string): void {
  switch (type) {
    case "message": {
      checkField(item.role, `${param}.role`, "string", required);
      const content = `${param}.content`;
      if (checkStringOrList(item.content, content, required)) checkTypedObjects(item.content, content, checkContentPart);
      return;
    }
    case "function_call":
      checkField(item.call_id, `${param}.call_id`, "string", required);
      checkField(item.name, `${param}.name`, "string", required);
      checkField(item.arguments, `${param}.arguments`, "string", required);
      return;
    case "function_call_output":
      checkField(item.call_id, `${param}.call_id`, "string", required);
      if (checkStringOrList(item.output, `${param}.output`, required)) checkTypedObjects(item.output, `${param}.output`, checkContentPart);
      return;
    case "reasoning":
      checkField(item.encrypted_content, `${param}.encrypted_content`, "string", nullable);
      for (const key of ["summary", "content"]) {
        if (checkField(item[key], `${param}.${key}`, "list", nullable)) checkTypedObjects(item[key] as unknown[], `${param}.${key}`, checkContentPart);
      }
      return;
    default:
      // Other item types are the parser's: refused (item_reference) or dropped with a warning.
      return;
  }
}

function checkContentPart(part: JsonObject & { type: string }, at: string): void {
  switch (part.type) {
    case "input_text":
    case "output_text":
    case "text":
    case "summary_text":
    case "reasoning_text":
      checkField(part.text, `${at}.text`, "string", required);
      return;
    case "refusal":
      checkField(part.refusal, `${at}.refusal`, "string", required);
      return;
    case "input_image":
      for (const key of ["image_url", "file_id", "detail"]) checkField(part[key], `${at}.${key}`, "string", nullable);
      return;
    case "input_file":
      for (const key of ["file_data", "file_url", "file_id", "filename"]) checkField(part[key], `${at}.${key}`, "string", nullable);
      return;
    default:
      return;
  }
}

function checkTools(tools: unknown): Set<string> {
  const names = new Set<string>();
  if (!checkField(tools, "tools", "list", nullable)) return names;
  checkTypedObjects(tools as unknown[], "tools", (tool, at) => {
    if (tool.type !== "function") return;
    checkField(tool.name, `${at}.name`, "string", required);
    checkField(tool.description, `${at}.description`, "string", nullable);
    checkToolSchema(tool.parameters, `${at}.parameters`, nullable);
    checkField(tool.strict, `${at}.strict`, "boolean", nullable);
    checkUniqueName(names, tool.name as string, `${at}.name`);
  });
  return names;
}

function checkToolChoice(choice: unknown, names: Set<string>): void {
  const object = functionToolChoice(choice);
  if (!object) return;
  checkField(object.name, "tool_choice.name", "string", required);
  if (!names.has(object.name as string)) throw invalidParameter("tool_choice.name", `names no function in tools: "${(object.name as string).slice(0, 64)}".`);
}

function checkText(text: unknown): void {
  if (!checkField(text, "text", "object", nullable)) return;
  const object = text as JsonObject;
  checkField(object.verbosity, "text.verbosity", "string", nullable);
  if (!checkField(object.format, "text.format", "object", nullable)) return;
  const format = object.format as JsonObject;
  checkField(format.type, "text.format.type", "string", required);
  if (format.type !== "json_schema") return;
  checkField(format.name, "text.format.name", "string", required);
  checkField(format.description, "text.format.description", "string", nullable);
  checkField(format.schema, "text.format.schema", "object", required);
  checkField(format.strict, "text.format.strict", "boolean", nullable);
}
