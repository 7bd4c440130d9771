/**
 * The inspector page: plain HTML, CSS and JS files imported as text, so `bun build --compile` embeds them in
 * the binary (no CDN, works offline). A strict Content-Security-Policy allows only these same-origin files.
 */
import css from "./page/inspector.css" with { type: "text" };
import html from "./page/inspector.html" with { type: "text" };
import script from "./page/inspector.js" with { type: "text" };
import prices from "./page/model-prices.json" with { type: "text" };

const securityHeaders = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
};

const assets: Record<string, { body: string; type: string }> = {
  "inspector.css": { body: css, type: "text/css; charset=utf-8" },
  "inspector.js": { body: script, type: "text/javascript; charset=utf-8" },
  "model-prices.json": { body: prices as unknown as string, type: "application/json; charset=utf-8" },
};

export function inspectorPageResponse(): Response {
  return new Response(html as unknown as string, { headers: { "content-type": "text/html; charset=utf-8", ...securityHeaders } });
}

export function inspectorAssetResponse(name: string): Response | undefined {
  const asset = assets[name];
  return asset ? new Response(asset.body, { headers: { "content-type": asset.type, ...securityHeaders } }) : undefined;
}
