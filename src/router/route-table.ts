/**
 * Which provider and model serve a requested model name: the routing file's `models` table, the client's
 * own `PROVIDER/MODEL`, and the default. Pure functions; validation with line numbers is the config's job.
 */

/** One target of a route as written: a provider, and the model to ask it for (absent: the client's model). */
export interface RouteTarget {
  provider: string;
  model?: string;
}

/** One entry of the `models` table: a name or `*` glob and its targets, tried in order (a fallback chain). */
export interface ModelRoute {
  pattern: string;
  targets: RouteTarget[];
}

export interface RouteTable {
  /** The `models` entries in file order. */
  routes: ModelRoute[];
  /** Where a model that matches nothing goes. */
  defaultTargets: RouteTarget[];
  /** The configured provider names (for `PROVIDER/MODEL` sent by clients). */
  providers: string[];
}

/** A target with the model settled. */
export interface ResolvedTarget {
  provider: string;
  model: string;
}

/** The route a model resolved to. */
export interface ResolvedRoute {
  /** What matched: a pattern of the table, "PROVIDER/" for a namespaced name, or "default". */
  matched: string;
  targets: ResolvedTarget[];
}

/** Claude's model families: a pattern that is exactly one of them matches every model id that names it. */
const claudeFamilies = new Set(["opus", "sonnet", "haiku"]);

/** Parses "PROVIDER/MODEL" or "PROVIDER"; the model part may itself contain slashes. */
export function parseRouteTarget(text: string): RouteTarget {
  const slash = text.indexOf("/");
  if (slash < 0) return { provider: text.trim() };
  return { provider: text.slice(0, slash).trim(), model: text.slice(slash + 1).trim() };
}

/** "PROVIDER/MODEL" for logs and headers. */
export function formatRouteTarget(target: ResolvedTarget): string {
  return `${target.provider}/${target.model}`;
}

/** Why a pattern is not a valid model pattern, or undefined when it is (only `*` is a wildcard). */
export function invalidPatternReason(pattern: string): string | undefined {
  if (pattern.trim() === "") return "a model pattern cannot be empty";
  if (/[?[\]{}]/.test(pattern)) return `"${pattern}" uses a wildcard other than *; only * (any characters) is supported`;
  if (pattern.includes("**")) return `"${pattern}" has "**"; a single * already matches any characters, slashes included`;
  return undefined;
}

function globToRegExp(pattern: string): RegExp {
  const source = pattern
    .split("*")
    .map((piece) => piece.replace(/[.+^${}()|[\]\\?]/g, "\\$&"))
    .join(".*");
  return new RegExp(`^${source}$`, "i");
}

const compiled = new Map<string, RegExp>();

/** Whether a requested model name matches a pattern: exact (case-insensitive), a `*` glob, or a Claude family. */
export function modelMatchesPattern(model: string, pattern: string): boolean {
  const name = model.trim().toLowerCase();
  const lowered = pattern.toLowerCase();
  if (name === lowered) return true;
  if (claudeFamilies.has(lowered)) return name.includes(lowered);
  if (!pattern.includes("*")) return false;
  let expression = compiled.get(pattern);
  if (!expression) {
    expression = globToRegExp(pattern);
    compiled.set(pattern, expression);
  }
  return expression.test(model.trim());
}

function settle(targets: RouteTarget[], requested: string): ResolvedTarget[] {
  return targets.map((target) => ({ provider: target.provider, model: target.model ?? requested }));
}

/**
 * The targets for a requested model. Exact names win over everything; then a `PROVIDER/MODEL` name for a
 * configured provider goes straight there; then the first pattern that matches; then the default.
 */
export function resolveRoute(table: RouteTable, requested: string): ResolvedRoute {
  const name = requested.trim();
  const exact = table.routes.find((route) => route.pattern.toLowerCase() === name.toLowerCase());
  if (exact) return { matched: exact.pattern, targets: settle(exact.targets, name) };
  const namespaced = parseRouteTarget(name);
  if (namespaced.model !== undefined && namespaced.model !== "" && table.providers.includes(namespaced.provider)) {
    return { matched: `${namespaced.provider}/`, targets: [{ provider: namespaced.provider, model: namespaced.model }] };
  }
  const pattern = table.routes.find((route) => modelMatchesPattern(name, route.pattern));
  if (pattern) return { matched: pattern.pattern, targets: settle(pattern.targets, name) };
  return { matched: "default", targets: settle(table.defaultTargets, name) };
}
