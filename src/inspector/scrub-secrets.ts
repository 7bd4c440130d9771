/**
 * What never reaches the request log: credentials in headers (removed) and key-shaped strings in bodies
 * (masked). Headers fail closed: besides the known names, any name that looks like it carries a credential
 * is removed. Body patterns cover the common key formats; the mask names the kind so a reader sees why.
 */

/** Header names always removed, whatever their value. */
const removedHeaders = new Set(["authorization", "proxy-authorization", "x-api-key", "api-key", "cookie", "set-cookie", "x-goog-api-key"]);
/** Any header name containing one of these is removed too (x-auth-token, x-amz-security-token, anthropic-api-key...). */
const authLikeName = /auth|token|secret|key|cookie|session-?token|password|passwd|credential|signature/i;
/** Names matched by `authLikeName` that carry no secret and help reading the log. */
const keptHeaders = new Set(["x-claude-code-session-id", "x-stainless-retry-count", "idempotency-key"]);

/** The headers worth keeping in the log, without credentials. */
export function scrubHeaders(headers: Headers, extraRemoved: string[] = []): Record<string, string> {
  const extra = new Set(extraRemoved.map((name) => name.toLowerCase()));
  const kept: Record<string, string> = {};
  headers.forEach((value, name) => {
    const lower = name.toLowerCase();
    if (removedHeaders.has(lower) || extra.has(lower)) kept[lower] = "[removed]";
    else if (authLikeName.test(lower) && !keptHeaders.has(lower)) kept[lower] = "[removed]";
    else kept[lower] = maskSecrets(value);
  });
  return kept;
}

/**
 * Each pattern with the literal text every match contains: a string without any of those literals cannot
 * match, and a native substring search rules it out about ten times faster than the regular expression
 * would (most of what an agent sends holds no key at all).
 */
const secretPatterns: Array<[kind: string, pattern: RegExp, literals: string[]]> = [
  ["private-key", /-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----/g, ["PRIVATE KEY"]],
  ["api-key", /(?<![A-Za-z0-9])sk-[A-Za-z0-9_-]{20,}/g, ["sk-"]],
  ["aws-access-key", /(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])/g, ["AKIA", "ASIA"]],
  ["github-token", /(?<![A-Za-z0-9])(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,})/g, ["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"]],
  ["slack-token", /(?<![A-Za-z0-9])xox[abposr]-[A-Za-z0-9-]{10,}/g, ["xox"]],
  ["google-api-key", /(?<![A-Za-z0-9])AIza[0-9A-Za-z_-]{35}/g, ["AIza"]],
  ["jwt", /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, ["eyJ"]],
  ["bearer-token", /(?<=\bBearer\s+)[A-Za-z0-9._~+/-]{20,}=*/g, ["Bearer"]],
];

/** The text with every key-shaped string replaced by `[redacted:KIND]`. Safe on JSON text: masks hold no quotes. */
export function maskSecrets(text: string): string {
  // Most strings in a body are names, ids and short values: none of the patterns matches fewer characters.
  if (text.length < shortestSecret) return text;
  let masked = text;
  for (const [kind, pattern, literals] of secretPatterns) {
    for (const literal of literals) {
      if (!masked.includes(literal)) continue;
      masked = masked.replace(pattern, `[redacted:${kind}]`);
      break;
    }
  }
  return masked;
}

/** The fewest characters any pattern matches (a Slack token: "xoxb-" and ten more). */
const shortestSecret = 15;

const secretLiterals = secretPatterns.flatMap(([, , literals]) => literals);

/**
 * Whether masking could change anything in this text. On a value's JSON text it answers for every string and
 * key of the value at once: the literals hold no character JSON escapes, so they appear verbatim when present.
 */
export function mayHoldSecret(text: string): boolean {
  return text.length >= shortestSecret && secretLiterals.some((literal) => text.includes(literal));
}

/**
 * A JSON value with every string masked, except base64 media (data URLs and Anthropic base64 sources), whose
 * bytes could match a key pattern by chance and are not text anyone typed.
 */
export function maskSecretsInJson<T>(value: T): T {
  return maskValue(value) as T;
}

const dataUrlPrefix = /^data:[\w.+-]+\/[\w.+-]+(;[^,]*)?;base64,/;

function maskValue(value: unknown): unknown {
  if (typeof value === "string") return dataUrlPrefix.test(value) ? value : maskSecrets(value);
  if (Array.isArray(value)) return value.map(maskValue);
  if (!value || typeof value !== "object") return value;
  const object = value as Record<string, unknown>;
  const isBase64Source = object.type === "base64" && typeof object.data === "string";
  const result: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(object)) result[maskSecrets(key)] = isBase64Source && key === "data" ? item : maskValue(item);
  return result;
}
