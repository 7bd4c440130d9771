import { describe, expect, test } from "bun:test";
import { findTopLevelModel, replaceJsonModel } from "../../../src/wire/replace-json-model.ts";

const encode = (text: string) => new TextEncoder().encode(text);
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe("replaceJsonModel", () => {
  test("only the top-level model value changes; spacing, order, escapes and number spelling stay", () => {
    const body = `{ "messages":[{"role":"user","content":"model \\"x\\" {[" , "model":"nested"}],\n  "max_tokens" : 1.0e3,"model" :"sonnet","z":"\u00e9\\u00e9"}`;
    expect(decode(replaceJsonModel(encode(body), "us.anthropic.claude-sonnet-4-5-20250929-v1:0"))).toBe(body.replace(`"model" :"sonnet"`, `"model" :"us.anthropic.claude-sonnet-4-5-20250929-v1:0"`));
  });

  test("a model key inside nested objects or strings is not the top-level one", () => {
    const body = `{"metadata":{"model":"inner"},"text":"\\"model\\":\\"fake\\"","model":"outer"}`;
    expect(findTopLevelModel(encode(body))?.value).toBe("outer");
  });

  test("the same model returns the very same bytes", () => {
    const bytes = encode(`{"model":"claude-sonnet-4-5"}`);
    expect(replaceJsonModel(bytes, "claude-sonnet-4-5")).toBe(bytes);
  });

  test("a model needing escapes is written as valid JSON", () => {
    const result = JSON.parse(decode(replaceJsonModel(encode(`{"model":"a"}`), 'we"ird\\model')));
    expect(result.model).toBe('we"ird\\model');
  });

  test("no top-level model: an error, never a silent pass", () => {
    expect(() => replaceJsonModel(encode(`{"messages":[{"model":"x"}]}`), "m")).toThrow();
    expect(() => replaceJsonModel(encode(`[1,2]`), "m")).toThrow();
  });
});
