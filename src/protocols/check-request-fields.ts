/**
 * Field checks the request-shape checks of every protocol share: each failure is a 400 whose message starts
 * with the parameter path ("messages.0.content.1.text: must be a string."), as the OpenAI and Anthropic APIs
 * word it, and whose `param` names the same path. They run before parsing, so a field of the wrong JSON type
 * is the client's 400 and never a TypeError's 500 further on.
 */
import { RelayError } from "../core/relay-error.ts";

export type JsonObject = Record<string, unknown>;

export const isJsonObject = (value: unknown): value is JsonObject => typeof value === "object" && value !== null && !Array.isArray(value);

export function invalidParameter(param: string, message: string): RelayError {
  return new RelayError("invalid_request", `${param}: ${message}`, { param });
}

/** The JSON types a field can be required to have. */
export type FieldType = "string" | "number" | "integer" | "boolean" | "object" | "list";

export interface FieldRule {
  /** The field must be present (null counts as absent). */
  required?: boolean;
  /** null is accepted as "not given" (most optional OpenAI parameters). */
  nullable?: boolean;
}

const typeNames: Record<FieldType, string> = {
  string: "a string",
  number: "a number",
  integer: "an integer",
  boolean: "a boolean",
  object: "an object",
  list: "a list",
};

function hasType(value: unknown, type: FieldType): boolean {
  switch (type) {
    case "string":
      return typeof value === "string";
    case "number":
      return typeof value === "number" && Number.isFinite(value);
    case "integer":
      return typeof value === "number" && Number.isInteger(value);
    case "boolean":
      return typeof value === "boolean";
    case "object":
      return isJsonObject(value);
    case "list":
      return Array.isArray(value);
    default: {
      const unreachable: never = type;
      return unreachable;
    }
  }
}

/**
 * Checks one field's JSON type; true when a value is present to look into further. Absent (undefined, or null
 * where nullable) is fine unless required.
 */
export function checkField(value: unknown, param: string, type: FieldType, rule: FieldRule = {}): boolean {
  if (value === undefined || (value === null && rule.nullable)) {
    if (rule.required) throw invalidParameter(param, `is required (${typeNames[type]}).`);
    return false;
  }
  if (!hasType(value, type)) throw invalidParameter(param, `must be ${typeNames[type]}${rule.nullable ? " or null" : ""}, got ${describeJsonType(value)}.`);
  return true;
}

/** A number within [minimum, maximum], when given. */
export function checkRange(value: unknown, param: string, range: { minimum: number; maximum: number; integer?: boolean }): void {
  if (!checkField(value, param, range.integer ? "integer" : "number", { nullable: true })) return;
  const number = value as number;
  if (number < range.minimum || number > range.maximum) throw invalidParameter(param, `must be between ${range.minimum} and ${range.maximum}, got ${number}.`);
}

/** A string or a list (content that may be either); true for a list, false for a string or nothing. */
export function checkStringOrList(value: unknown, param: string, rule: FieldRule = {}): value is unknown[] {
  if (value === undefined || (value === null && rule.nullable)) {
    if (rule.required) throw invalidParameter(param, "is required (a string or a list).");
    return false;
  }
  if (typeof value === "string") return false;
  if (!Array.isArray(value)) throw invalidParameter(param, `must be a string or a list, got ${describeJsonType(value)}.`);
  return true;
}

/** Each element of a list must be an object with a string `type`; calls `each` with it and its path. */
export function checkTypedObjects(list: unknown[], param: string, each: (item: JsonObject & { type: string }, at: string) => void): void {
  list.forEach((item, index) => {
    const at = `${param}.${index}`;
    if (!isJsonObject(item)) throw invalidParameter(at, `must be an object, got ${describeJsonType(item)}.`);
    checkField(item.type, `${at}.type`, "string", { required: true });
    each(item as JsonObject & { type: string }, at);
  });
}

/** An object whose values are all strings (OpenAI's `metadata`). */
export function checkStringRecord(value: unknown, param: string, rule: FieldRule = {}): void {
  if (!checkField(value, param, "object", rule)) return;
  for (const [key, entry] of Object.entries(value as JsonObject)) checkField(entry, `${param}.${key}`, "string", { required: true });
}

/** Tool names must be unique: a model told of two tools of one name cannot say which it calls. */
export function checkUniqueName(names: Set<string>, name: string, param: string): void {
  if (names.has(name)) throw invalidParameter(param, `tool names must be unique; "${name.slice(0, 64)}" is used twice.`);
  names.add(name);
}

/** A tool's parameters: a JSON Schema object, of type "object" when it says. */
export function checkToolSchema(value: unknown, param: string, rule: FieldRule = {}): void {
  if (!checkField(value, param, "object", rule)) return;
  const type = (value as JsonObject).type;
  if (type !== undefined && type !== "object") throw invalidParameter(`${param}.type`, 'must be "object".');
}

export function describeJsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "an object";
  return typeof value === "string" ? "a string" : typeof value === "number" ? "a number" : typeof value === "boolean" ? "a boolean" : typeof value;
}

/**
 * The part of an OpenAI tool_choice both OpenAI protocols share: absent, "auto", "none" or "required" (undefined),
 * or an object with a string type; returns the object when it picks a function (whose shape differs per protocol).
 */
export function functionToolChoice(choice: unknown): JsonObject | undefined {
  if (choice === undefined || choice === null) return undefined;
  if (typeof choice === "string") {
    if (choice === "auto" || choice === "none" || choice === "required") return undefined;
    throw invalidParameter("tool_choice", `must be "auto", "none", "required" or a tool choice object, got "${choice.slice(0, 64)}".`);
  }
  checkField(choice, "tool_choice", "object", { required: true });
  const object = choice as JsonObject;
  checkField(object.type, "tool_choice.type", "string", { required: true });
  return object.type === "function" ? object : undefined;
}
