/**
 * Refuses JSON nested deeper than any real request needs, right after parsing and without recursion:
 * recursive code further on (schema validation, conversion, JSON.stringify) would otherwise overflow the
 * stack on a 10,000-deep tool schema and answer 500.
 */
import { RelayError } from "../core/relay-error.ts";

/** Far above real tool schemas and inputs (tens of levels), far below what overflows the stack. */
export const maxJsonDepth = 128;

/** Throws a 400 naming the path where the value first goes deeper than `maxDepth`. */
export function checkJsonDepth(value: unknown, maxDepth = maxJsonDepth): void {
  const stack: Array<{ value: unknown; depth: number; path: string }> = [{ value, depth: 0, path: "" }];
  while (stack.length > 0) {
    const { value: current, depth, path } = stack.pop()!;
    if (current === null || typeof current !== "object") continue;
    if (depth >= maxDepth) {
      const param = path.replace(/^\./, "").split(".").slice(0, 6).join(".");
      throw new RelayError("invalid_request", `${param || "The request body"}: JSON nested deeper than ${maxDepth} levels is not accepted.`, { param: param || null });
    }
    for (const [key, child] of Object.entries(current)) stack.push({ value: child, depth: depth + 1, path: `${path}.${key}` });
  }
}
