// The agent-relay inspector page: plain JavaScript, no build step, no dependencies. Everything the log holds is
// untrusted text written by clients and models, so it is only ever inserted with textContent (never innerHTML),
// and images only as data: URLs of raster types.
"use strict";

const keyStorage = "agent-relay-inspector-key";
const priceStorage = "agent-relay-inspector-prices";
const main = document.getElementById("main");
const liveState = document.getElementById("live-state");

// ---- DOM helpers ---------------------------------------------------------------------------------------------
function h(tag, attributes, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") element.className = value;
    else if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}
const fmt = {
  int: (value) => (value === null || value === undefined ? "–" : Number(value).toLocaleString("en-US")),
  ms: (value) => (value === null || value === undefined ? "–" : value >= 10000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`),
  time: (ms) => new Date(ms).toLocaleTimeString([], { hour12: false }),
  dateTime: (ms) => new Date(ms).toLocaleString([], { hour12: false }),
  percent: (value) => (value === null || Number.isNaN(value) ? "–" : `${(value * 100).toFixed(1)}%`),
  usd: (value) => `$${value.toFixed(value < 0.01 ? 6 : value < 1 ? 4 : 2)}`,
  bytes: (value) => (value > 1048576 ? `${(value / 1048576).toFixed(1)} MB` : value > 1024 ? `${(value / 1024).toFixed(1)} KB` : `${value} B`),
};
function inclusiveInput(usage) {
  return usage ? usage.inputTokens + usage.cacheReadInputTokens + usage.cacheCreationInputTokens : null;
}
function cacheHitRatio(usage) {
  const total = inclusiveInput(usage);
  return usage && total ? usage.cacheReadInputTokens / total : null;
}
function pretty(value) {
  return typeof value === "string" ? value : JSON.stringify(value, null, 2);
}
function copyButton(text) {
  return h("button", {
    class: "copy",
    type: "button",
    onclick: async (event) => {
      try {
        await navigator.clipboard.writeText(text());
        event.target.textContent = "Copied";
      } catch {
        event.target.textContent = "Copy failed";
      }
      setTimeout(() => (event.target.textContent = "Copy"), 1500);
    },
  }, "Copy");
}

// ---- API -----------------------------------------------------------------------------------------------------
class LoginRequired extends Error {}
function authHeaders() {
  const key = sessionStorage.getItem(keyStorage);
  return key ? { authorization: `Bearer ${key}` } : {};
}
async function api(path, options = {}) {
  const response = await fetch(`/inspector/api/${path}`, { ...options, headers: { ...authHeaders(), ...(options.headers || {}) } });
  if (response.status === 401) throw new LoginRequired();
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new Error((body && body.error && body.error.message) || `HTTP ${response.status}`);
  return body;
}
function showLogin(message) {
  const form = document.getElementById("login-template").content.cloneNode(true);
  main.replaceChildren(form);
  const error = document.getElementById("login-error");
  if (message) {
    error.textContent = message;
    error.hidden = false;
  }
  document.getElementById("login-key").focus();
  document.getElementById("login-form").addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem(keyStorage, document.getElementById("login-key").value);
    route();
  });
}
document.getElementById("logout").addEventListener("click", () => {
  sessionStorage.removeItem(keyStorage);
  location.hash = "#/";
  showLogin();
});

// ---- Live updates (SSE over fetch, so the key goes in a header) ------------------------------------------------
const liveListeners = new Set();
let liveAbort;
async function connectLive() {
  if (liveAbort) return;
  liveAbort = new AbortController();
  try {
    const response = await fetch("/inspector/api/live", { headers: authHeaders(), signal: liveAbort.signal });
    if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
    liveState.textContent = "live";
    liveState.classList.add("on");
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end;
      while ((end = buffer.indexOf("\n\n")) !== -1) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = frame.split("\n").filter((line) => line.startsWith("data: ")).map((line) => line.slice(6)).join("\n");
        if (!data) continue;
        const update = JSON.parse(data);
        for (const listener of liveListeners) listener(update);
      }
    }
  } catch {
    // Reconnect below.
  }
  liveState.textContent = "reconnecting";
  liveState.classList.remove("on");
  liveAbort = undefined;
  setTimeout(connectLive, 2000);
}

// ---- Request list --------------------------------------------------------------------------------------------
const filterNames = ["q", "model", "provider", "served", "status", "client", "session"];
let listState = { rows: [], selected: 0, cursor: null, filters: {} };

function matchesFilters(row, filters) {
  if (filters.model && row.requestedModel !== filters.model) return false;
  if (filters.provider && row.provider !== filters.provider) return false;
  if (filters.served && row.servedPath !== filters.served) return false;
  if (filters.session && row.sessionId !== filters.session) return false;
  if (filters.client && !(row.clientKeyHash || "").startsWith(filters.client)) return false;
  if (filters.status === "error" && !(row.status >= 400)) return false;
  if (filters.status && filters.status !== "error" && String(row.status) !== filters.status) return false;
  if (filters.q) {
    const text = `${row.id} ${row.preview || ""} ${row.requestedModel || ""} ${row.path}`.toLowerCase();
    if (!text.includes(filters.q.toLowerCase())) return false;
  }
  return true;
}

function statusText(row) {
  if (!row.status) return "running";
  return row.errorKind && row.status < 400 ? `${row.status}+err` : String(row.status);
}

function requestRow(row, index) {
  const usage = row.usage;
  const statusClass = !row.status ? "" : row.status >= 400 || row.errorKind ? "bad" : "ok";
  return h("tr", {
    class: `request-row${row.status ? "" : " running"}${index === listState.selected ? " selected" : ""}`,
    "data-id": row.id,
    onclick: () => (location.hash = `#/request/${encodeURIComponent(row.id)}`),
  },
    h("td", { class: "mono" }, fmt.time(row.startedAt)),
    h("td", { class: `status ${statusClass}` }, statusText(row)),
    h("td", {}, h("span", { class: "pill" }, row.protocol), " ", row.requestedModel || row.path),
    h("td", {}, row.provider || "", row.servedPath ? h("span", { class: "pill" }, row.servedPath) : null),
    h("td", { class: "num" }, fmt.ms(row.ttftMs)),
    h("td", { class: "num" }, fmt.ms(row.durationMs)),
    h("td", { class: "num" }, usage ? `${fmt.int(inclusiveInput(usage))} / ${fmt.int(usage.outputTokens)}` : "–"),
    h("td", { class: "num" }, usage ? fmt.percent(cacheHitRatio(usage)) : "–"),
    h("td", {}, row.toolNames || ""),
    h("td", { class: "preview", title: row.preview || "" }, row.preview || ""),
  );
}

function renderList() {
  const body = document.getElementById("request-rows");
  if (!body) return;
  body.replaceChildren(...listState.rows.map(requestRow));
  document.getElementById("load-more").hidden = listState.cursor === null;
  document.getElementById("list-count").textContent = `${listState.rows.length} shown`;
}

async function showList(params) {
  listState = { rows: [], selected: 0, cursor: null, filters: Object.fromEntries(filterNames.map((name) => [name, params.get(name) || ""])) };
  const inputs = filterNames.map((name) =>
    h("input", { name, placeholder: name === "q" ? "search text, id, model  ( / )" : name, value: listState.filters[name], "aria-label": name }),
  );
  const form = h("form", {
    class: "filters",
    onsubmit: (event) => {
      event.preventDefault();
      const query = new URLSearchParams();
      for (const input of inputs) if (input.value) query.set(input.name, input.value);
      location.hash = `#/?${query}`;
    },
  }, inputs, h("button", { type: "submit" }, "Filter"), h("span", { id: "list-count", class: "muted" }), h("span", { class: "kbd" }, "j/k or arrows to move, Enter to open, s session, o overview"));
  const table = h("table", { id: "request-table" },
    h("thead", {}, h("tr", {}, ["Time", "Status", "Model", "Provider", "TTFT", "Duration", "Tokens in / out", "Cache hit", "Tools", "Last user message"].map((title, index) => h("th", { class: index >= 4 && index <= 7 ? "num" : "" }, title)))),
    h("tbody", { id: "request-rows" }),
  );
  const more = h("button", { id: "load-more", type: "button", hidden: true, onclick: () => loadPage() }, "Older requests");
  main.replaceChildren(form, table, more);
  await loadPage(true);
}

async function loadPage(first) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(listState.filters)) if (value) query.set(name, value);
  if (!first && listState.cursor !== null) query.set("before", String(listState.cursor));
  const page = await api(`requests?${query}`);
  const running = first ? page.running.filter((row) => matchesFilters(row, listState.filters)) : [];
  listState.rows = [...running, ...listState.rows, ...page.items];
  listState.cursor = page.nextCursor;
  renderList();
}

liveListeners.add((update) => {
  if (!document.getElementById("request-rows")) return;
  const row = update.request;
  if (!matchesFilters(row, listState.filters)) return;
  const index = listState.rows.findIndex((existing) => existing.id === row.id);
  if (index >= 0) listState.rows[index] = { ...listState.rows[index], ...row };
  else {
    listState.rows.unshift(row);
    if (listState.selected > 0) listState.selected++;
  }
  renderList();
});

// ---- Chat view: the client's request in any protocol, as turns ---------------------------------------------
function textOf(content) {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) return content.map((part) => (typeof part === "string" ? part : part.text || "")).join("");
  return "";
}
function imagePart(url, note) {
  const safe = typeof url === "string" && /^data:image\/(png|jpeg|gif|webp);base64,/.test(url);
  const bytes = safe ? Math.floor(((url.length - url.indexOf(",") - 1) * 3) / 4) : 0;
  return { kind: "image", url: safe ? url : null, label: safe ? `image, ${fmt.bytes(bytes)}` : `image ${note || url || ""}` };
}
function partsOfContent(content) {
  if (typeof content === "string") return [{ kind: "text", text: content }];
  if (!Array.isArray(content)) return content ? [{ kind: "raw", value: content }] : [];
  return content.map((part) => {
    switch (part.type) {
      case "text": case "input_text": case "output_text": return { kind: "text", text: part.text };
      case "thinking": return { kind: "thinking", text: part.thinking };
      case "redacted_thinking": return { kind: "thinking", text: "[redacted thinking]" };
      case "image":
        return part.source && part.source.type === "base64" ? imagePart(`data:${part.source.media_type};base64,${part.source.data}`) : imagePart(null, part.source && part.source.url);
      case "image_url": return imagePart(part.image_url && part.image_url.url);
      case "input_image": return imagePart(part.image_url);
      case "tool_use": return { kind: "tool-call", id: part.id, name: part.name, input: part.input };
      case "tool_result": return { kind: "tool-result", id: part.tool_use_id, content: part.content, isError: part.is_error };
      case "document": case "file": case "input_file": return { kind: "text", text: `[${part.type}${part.title ? `: ${part.title}` : ""}]` };
      default: return { kind: "raw", value: part };
    }
  });
}
/** Turns of Anthropic Messages, OpenAI Chat Completions or OpenAI Responses bodies. */
function turnsOfRequest(body) {
  const turns = [];
  if (!body || typeof body !== "object") return turns;
  const systemText = Array.isArray(body.system) ? textOf(body.system) : body.system || body.instructions;
  if (systemText) turns.push({ role: "system", parts: [{ kind: "text", text: systemText }] });
  const items = Array.isArray(body.messages) ? body.messages : typeof body.input === "string" ? [{ role: "user", content: body.input }] : body.input || [];
  for (const item of items) {
    if (item.type === "function_call") turns.push({ role: "assistant", parts: [{ kind: "tool-call", id: item.call_id, name: item.name, input: parseMaybe(item.arguments) }] });
    else if (item.type === "function_call_output") turns.push({ role: "tool", parts: [{ kind: "tool-result", id: item.call_id, content: item.output }] });
    else if (item.type === "reasoning") turns.push({ role: "assistant", parts: [{ kind: "thinking", text: (item.summary || []).map((part) => part.text).join("\n") || "[reasoning]" }] });
    else if (item.role === "tool") turns.push({ role: "tool", parts: [{ kind: "tool-result", id: item.tool_call_id, content: item.content }] });
    else if (item.role) {
      const parts = partsOfContent(item.content);
      for (const call of item.tool_calls || []) parts.push({ kind: "tool-call", id: call.id, name: call.function && call.function.name, input: parseMaybe(call.function && call.function.arguments) });
      const role = item.role === "developer" ? "system" : item.role;
      turns.push({ role, parts });
    }
  }
  return turns;
}
function turnOfAnswer(response) {
  if (!response || !Array.isArray(response.content)) return null;
  const parts = response.content.map((part) =>
    part.type === "text" ? { kind: "text", text: part.text } : part.type === "reasoning" ? { kind: "thinking", text: part.text || "[redacted thinking]" } : { kind: "tool-call", id: part.id, name: part.name, input: parseMaybe(part.input) },
  );
  return { role: "assistant", answer: true, parts };
}
function parseMaybe(text) {
  if (typeof text !== "string") return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
function renderContentValue(content) {
  if (typeof content === "string") return h("pre", {}, content);
  if (Array.isArray(content)) return h("div", {}, partsOfContent(content).map(renderPart));
  return h("pre", {}, pretty(content));
}
function renderPart(part, results) {
  switch (part.kind) {
    case "text": return h("div", { class: "part" }, h("pre", {}, part.text));
    case "thinking": return h("div", { class: "part thinking" }, h("pre", {}, part.text));
    case "image": return h("div", { class: "part" }, part.url ? h("img", { class: "thumb", src: part.url, alt: part.label }) : null, h("span", { class: "muted" }, part.label));
    case "tool-call": {
      const result = results && results.get(part.id);
      if (result) result.paired = true;
      return h("div", { class: "part tool-call", "data-tool-call": part.id },
        h("div", {}, h("span", { class: "tool-name" }, part.name), " ", h("span", { class: "muted mono" }, part.id || "")),
        h("pre", {}, pretty(part.input)),
        result ? h("div", { class: `tool-result${result.isError ? " error" : ""}`, "data-tool-result": part.id }, h("div", { class: "muted" }, result.isError ? "result (error)" : "result"), renderContentValue(result.content)) : null,
      );
    }
    case "tool-result":
      return h("div", { class: `part tool-result${part.isError ? " error" : ""}`, "data-tool-result": part.id }, h("div", { class: "muted" }, `result of ${part.id}`), renderContentValue(part.content));
    default: return h("div", { class: "part" }, h("pre", {}, pretty(part.value)));
  }
}
/** "replay (pid 4242, 6 messages replayed)": the served path with what the backend said about it. */
function servedText(view) {
  if (!view.servedPath) return null;
  const details = (view.details && view.details.served && view.details.served.details) || {};
  const notes = [details.pid ? `pid ${details.pid}` : null, details.replayedMessages ? `${details.replayedMessages} messages replayed` : null].filter(Boolean);
  return notes.length ? `${view.servedPath} (${notes.join(", ")})` : view.servedPath;
}
/** A tool the backend ran itself: name, timing, and input and result when the bodies were kept. */
function renderAgentToolRun(run) {
  const kept = run.input !== undefined || run.result !== undefined;
  return h("div", { class: "part tool-call", "data-agent-tool-run": run.id },
    h("div", {}, h("span", { class: "tool-name" }, run.name), " ", h("span", { class: "muted mono" }, run.id), " ", h("span", { class: "muted" }, `${fmt.ms(run.durationMs)} at ${fmt.ms(run.atMs)}`)),
    kept ? h("pre", {}, pretty(run.input)) : h("p", { class: "muted" }, "Input and result not kept (the capture mode keeps metadata only)."),
    kept ? h("div", { class: `tool-result${run.isError ? " error" : ""}` }, h("div", { class: "muted" }, run.isError ? "result (error)" : "result"), renderContentValue(run.result)) : (run.isError ? h("div", { class: "tool-result error" }, "failed") : null),
  );
}
function renderChat(request, response) {
  const turns = turnsOfRequest(request);
  const answer = turnOfAnswer(response);
  if (answer) turns.push(answer);
  const results = new Map();
  for (const turn of turns) for (const part of turn.parts) if (part.kind === "tool-result") results.set(part.id, part);
  const calls = new Set(turns.flatMap((turn) => turn.parts.filter((part) => part.kind === "tool-call").map((part) => part.id)));
  return turns.map((turn) => {
    // A result shown under its call is not shown again in its own turn.
    const parts = turn.parts.filter((part) => !(part.kind === "tool-result" && calls.has(part.id)));
    if (parts.length === 0) return null;
    const body = parts.map((part) => renderPart(part, results));
    const role = h("div", { class: "role" }, turn.answer ? "assistant (this answer)" : turn.role);
    if (turn.role === "system") return h("details", { class: "turn system" }, h("summary", {}, `system prompt (${fmt.int(textOf(parts[0].text).length)} characters)`), body);
    return h("div", { class: `turn ${turn.role === "tool" ? "user" : turn.role}${turn.answer ? " answer" : ""}` }, role, body);
  });
}

// ---- Diff of system prompt and tools against the session's previous request --------------------------------
function lineDiff(before, after) {
  const a = before.split("\n");
  const b = after.split("\n");
  if (a.length * b.length > 4_000_000) return [{ kind: "note", text: "too large to compare line by line" }];
  const lengths = Array.from({ length: a.length + 1 }, () => new Uint32Array(b.length + 1));
  for (let i = a.length - 1; i >= 0; i--) for (let j = b.length - 1; j >= 0; j--) lengths[i][j] = a[i] === b[j] ? lengths[i + 1][j + 1] + 1 : Math.max(lengths[i + 1][j], lengths[i][j + 1]);
  const lines = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) { i++; j++; continue; }
    if (j < b.length && (i === a.length || lengths[i][j + 1] >= lengths[i + 1][j])) lines.push({ kind: "added", text: b[j++] });
    else lines.push({ kind: "removed", text: a[i++] });
  }
  return lines;
}
function systemAndTools(body) {
  if (!body || typeof body !== "object") return { system: "", tools: "" };
  const system = Array.isArray(body.system) ? textOf(body.system) : body.system || body.instructions || (Array.isArray(body.messages) ? body.messages.filter((m) => m.role === "system" || m.role === "developer").map((m) => textOf(m.content)).join("\n") : "");
  return { system: system || "", tools: body.tools ? JSON.stringify(body.tools, null, 2) : "" };
}
function renderDiff(previous, current) {
  if (!previous) return h("p", { class: "muted" }, "First request of its session and lane.");
  const before = systemAndTools(previous.request);
  const after = systemAndTools(current);
  const section = (title, a, b) => {
    if (a === b) return h("div", {}, h("strong", {}, title), " ", h("span", { class: "muted" }, "unchanged"));
    const lines = lineDiff(a, b);
    return h("div", { class: "diff" }, h("strong", {}, title), ` ${lines.length} changed lines`, h("pre", {}, lines.slice(0, 400).map((line) => h("div", { class: line.kind }, `${line.kind === "added" ? "+ " : line.kind === "removed" ? "- " : ""}${line.text}`))));
  };
  return h("div", {}, h("p", { class: "muted" }, "Against ", h("a", { href: `#/request/${encodeURIComponent(previous.id)}` }, previous.id)), section("System prompt", before.system, after.system), section("Tools", before.tools, after.tools));
}

// ---- Request view --------------------------------------------------------------------------------------------
function eventSummary(event) {
  switch (event.type) {
    case "stream-start": return `model ${event.model}${event.served ? `, served ${event.served.path}` : ""}`;
    case "backend-tool-run": return `${event.toolName} ran ${fmt.ms(event.durationMs)}${event.isError ? " (error)" : ""}`;
    case "text-delta": case "reasoning-delta": case "tool-input-delta": return event.delta.length > 80 ? `${event.delta.slice(0, 80)}…` : event.delta;
    case "tool-input-start": return event.toolName;
    case "finish": return `${event.finishReason.unified} (${event.finishReason.raw || ""}), ${event.usage.outputTokens} output tokens`;
    default: return event.note || "";
  }
}
async function showRequest(id) {
  const view = await api(`requests/${encodeURIComponent(id)}`);
  const usage = view.usage;
  const details = view.details || {};
  const facts = (entries) => h("dl", { class: "facts" }, entries.filter(([, value]) => value !== undefined && value !== null && value !== "").flatMap(([name, value]) => [h("dt", {}, name), h("dd", {}, value)]));
  const route = details.route;
  const bodies = view.bodies;
  const chat = bodies ? renderChat(bodies.request, bodies.response) : [h("p", { class: "muted" }, details.bodiesSkipped === "writer-behind" ? "Bodies were dropped: the log writer was behind." : "No bodies kept for this request (capture mode or retention).")];
  const events = bodies ? bodies.events : [];
  const star = h("button", { type: "button", onclick: async () => { const result = await api(`requests/${encodeURIComponent(id)}/star?starred=${!view.starred}`, { method: "POST" }); view.starred = result.starred; star.textContent = view.starred ? "★ Starred (kept)" : "☆ Star (keep forever)"; } }, view.starred ? "★ Starred (kept)" : "☆ Star (keep forever)");
  main.replaceChildren(
    h("p", {}, h("a", { href: "#/" }, "← Requests"), " · ", view.sessionId ? h("a", { href: `#/session/${encodeURIComponent(view.sessionId)}`, id: "session-link" }, "Session") : null, " · ", h("a", { href: `/inspector/api/requests/${encodeURIComponent(id)}/export`, onclick: (event) => { event.preventDefault(); download(`requests/${encodeURIComponent(id)}/export`, `${id}.jsonl`); } }, "Export JSON lines"), " ", star),
    h("h1", { class: "mono" }, view.id),
    h("div", { class: "grid" },
      h("div", {}, h("div", { class: "panel", id: "conversation" }, h("h2", {}, "Conversation"), chat),
        h("div", { class: "panel" }, h("h2", {}, "Raw request"), copyButton(() => JSON.stringify(bodies && bodies.request, null, 2)), h("details", {}, h("summary", {}, "JSON"), h("pre", { id: "raw-request" }, pretty(bodies && bodies.request)))),
        h("div", { class: "panel" }, h("h2", {}, "Raw response"), copyButton(() => JSON.stringify(bodies && bodies.response, null, 2)), h("details", {}, h("summary", {}, "JSON"), h("pre", {}, pretty(bodies && bodies.response))))),
      h("div", {},
        h("div", { class: "panel", id: "summary" }, h("h2", {}, "Request"), facts([
          ["Time", fmt.dateTime(view.startedAt)], ["Status", statusText(view)], ["Error", view.errorMessage && `${view.errorKind}: ${view.errorMessage}`],
          ["Protocol", `${view.protocol} ${view.method} ${view.path}`], ["Stream", String(view.stream)], ["Model", view.requestedModel], ["Answered by", view.responseModel],
          ["Provider", view.provider], ["Provider model", view.providerModel], ["Served", servedText(view)], ["Stop reason", view.stopReason],
          ["TTFT", fmt.ms(view.ttftMs)], ["Duration", fmt.ms(view.durationMs)], ["Client", view.clientKeyHash && view.clientKeyHash.slice(0, 12)], ["User agent", view.userAgent], ["Address", view.remoteAddress],
          ["Session", view.sessionId], ["Agent lane", view.agentId], ["Parent agent", view.parentAgentId], ["Response id", view.responseId], ["Previous response", view.previousResponseId],
        ])),
        h("div", { class: "panel", id: "usage" }, h("h2", {}, "Usage"), usage ? facts([
          ["Input (total)", fmt.int(inclusiveInput(usage))], ["  not cached", fmt.int(usage.inputTokens)], ["  cache read", fmt.int(usage.cacheReadInputTokens)], ["  cache write", fmt.int(usage.cacheCreationInputTokens)],
          ["Output", fmt.int(usage.outputTokens)], ["Reasoning", usage.reasoningTokens === null ? null : fmt.int(usage.reasoningTokens)], ["Cache hit ratio", fmt.percent(cacheHitRatio(usage))],
          ["Equivalent API cost", fmt.usd(costOf(view.responseModel || view.requestedModel, usage))],
        ]) : h("p", { class: "muted" }, "No usage reported.")),
        h("div", { class: "panel" }, h("h2", {}, "Route"), route ? facts([["Provider", route.provider], ["Model", route.model], ...(route.fallbacks || []).map((fallback, index) => [`Fallback ${index + 1}`, `${fallback.provider}${fallback.model ? ` ${fallback.model}` : ""}: ${fallback.reason}`])]) : h("p", { class: "muted" }, view.provider ? view.provider : "Single backend; no route decision reported."),),
        details.agentToolRuns && details.agentToolRuns.length ? h("div", { class: "panel", id: "agent-tool-runs" }, h("h2", {}, "Tools the CLI ran itself"), details.agentToolRuns.map(renderAgentToolRun)) : null,
        details.warnings && details.warnings.length ? h("div", { class: "panel" }, h("h2", {}, "Warnings"), details.warnings.map((warning) => h("div", {}, h("strong", {}, warning.parameter), ": ", warning.message))) : null,
        h("div", { class: "panel", id: "timeline" }, h("h2", {}, "Timeline"), h("table", { class: "timeline" }, h("tbody", {}, events.map((item) => h("tr", {}, h("td", { class: "num mono" }, `${item.atMs.toFixed(1)} ms`), h("td", {}, item.event.type, item.count ? ` ×${item.count}` : ""), h("td", { class: "mono" }, eventSummary(item.event))))))),
        h("div", { class: "panel", id: "diff" }, h("h2", {}, "Changes since the previous request"), bodies ? renderDiff(view.previous, bodies.request) : null),
        h("div", { class: "panel" }, h("h2", {}, "Headers (credentials removed)"), h("pre", {}, pretty(details.headers || {}))),
      ),
    ),
  );
}
async function download(path, name) {
  const response = await fetch(`/inspector/api/${path}`, { headers: authHeaders() });
  const url = URL.createObjectURL(await response.blob());
  const link = h("a", { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  URL.revokeObjectURL(url);
}

// ---- Session view --------------------------------------------------------------------------------------------
async function showSession(id) {
  const session = await api(`sessions/${encodeURIComponent(id)}`);
  const lanes = new Map();
  for (const request of session.requests) {
    const lane = request.agentId || "main";
    if (!lanes.has(lane)) lanes.set(lane, []);
    lanes.get(lane).push(request);
  }
  const totals = session.requests.reduce((sum, request) => ({ input: sum.input + (inclusiveInput(request.usage) || 0), output: sum.output + ((request.usage && request.usage.outputTokens) || 0), ms: sum.ms + (request.durationMs || 0) }), { input: 0, output: 0, ms: 0 });
  main.replaceChildren(
    h("p", {}, h("a", { href: "#/" }, "← Requests"), " · ", h("a", { href: "#", onclick: (event) => { event.preventDefault(); download(`sessions/${encodeURIComponent(id)}/export`, `${id}.jsonl`); } }, "Export JSON lines"), " · ",
      h("button", { type: "button", onclick: async () => { if (confirm("Delete every request of this session from the log?")) { await api(`sessions/${encodeURIComponent(id)}`, { method: "DELETE" }); location.hash = "#/"; } } }, "Delete session")),
    h("h1", {}, "Session ", h("span", { class: "mono" }, id)),
    h("p", { class: "muted", id: "session-totals" }, `${session.requests.length} requests, ${fmt.int(totals.input)} input and ${fmt.int(totals.output)} output tokens, ${fmt.ms(totals.ms)} in total`),
    h("div", { class: "lanes" }, [...lanes].map(([lane, requests]) => h("div", { class: "lane", "data-lane": lane },
      h("h3", {}, lane === "main" ? "Main agent" : `Subagent ${lane}`),
      requests.map((request, index) => h("div", { class: "turn-card", "data-request": request.id, onclick: () => (location.hash = `#/request/${encodeURIComponent(request.id)}`) },
        h("div", {}, h("strong", {}, `Turn ${index + 1}`), " ", h("span", { class: "muted" }, fmt.time(request.startedAt)), " ", h("span", { class: "pill" }, statusText(request)), " ", request.requestedModel || ""),
        h("div", { class: "muted" }, `${fmt.int(inclusiveInput(request.usage))} in / ${fmt.int(request.usage && request.usage.outputTokens)} out · ${fmt.ms(request.durationMs)}${request.toolNames ? ` · tools: ${request.toolNames}` : ""}`),
        h("div", { class: "preview" }, request.preview || ""),
      )),
    ))),
  );
}

// ---- Overview and prices -------------------------------------------------------------------------------------
let prices = [];
async function loadPrices() {
  const saved = localStorage.getItem(priceStorage);
  if (saved) {
    try {
      prices = JSON.parse(saved);
      return;
    } catch {}
  }
  const response = await fetch("/inspector/assets/model-prices.json");
  prices = (await response.json()).prices;
}
function priceOf(model) {
  return prices.find((price) => model && new RegExp(price.pattern, "i").test(model));
}
function costOf(model, usage) {
  const price = priceOf(model);
  if (!price || !usage) return 0;
  return (usage.inputTokens * price.input + usage.outputTokens * price.output + usage.cacheReadInputTokens * price.cacheRead + usage.cacheCreationInputTokens * price.cacheWrite) / 1e6;
}
function bars(values, className) {
  const max = Math.max(1, ...values);
  // Heights through the CSSOM: the page's Content-Security-Policy forbids inline style attributes.
  return h("div", { class: "bars" }, values.map((value) => {
    const bar = h("div", { class: className || "", title: String(value) });
    bar.style.height = `${Math.round((value / max) * 100)}%`;
    return bar;
  }));
}
async function showOverview(params) {
  const windowHours = Number(params.get("hours") || 24);
  const overview = await api(`summary?window_ms=${windowHours * 3600000}&buckets=48`);
  const totals = overview.totals;
  const inputAll = totals.inputTokens + totals.cacheReadTokens + totals.cacheWriteTokens;
  const modelCost = overview.models.map((model) => ({ ...model, cost: costOf(model.model, { inputTokens: model.inputTokens, outputTokens: model.outputTokens, cacheReadInputTokens: model.cacheReadTokens, cacheCreationInputTokens: model.cacheWriteTokens }) }));
  const card = (label, value) => h("div", { class: "card" }, h("div", { class: "value" }, value), h("div", { class: "label" }, label));
  const editor = h("textarea", { class: "prices", spellcheck: "false" });
  editor.value = JSON.stringify(prices, null, 2);
  main.replaceChildren(
    h("h1", {}, `Last ${windowHours} hours`, " ", ...[1, 24, 168].map((hours) => h("a", { href: `#/overview?hours=${hours}`, class: "pill" }, `${hours} h`))),
    h("div", { class: "cards", id: "overview-cards" },
      card("requests", fmt.int(totals.requests)), card("error rate", fmt.percent(totals.requests ? totals.errors / totals.requests : null)),
      card("input tokens (total)", fmt.int(inputAll)), card("output tokens", fmt.int(totals.outputTokens)), card("cache hit ratio", fmt.percent(inputAll ? totals.cacheReadTokens / inputAll : null)),
      card("latency p50 / p95 / p99", `${fmt.ms(overview.latency.p50)} / ${fmt.ms(overview.latency.p95)} / ${fmt.ms(overview.latency.p99)}`),
      card("TTFT p50 / p95", `${fmt.ms(overview.timeToFirstToken.p50)} / ${fmt.ms(overview.timeToFirstToken.p95)}`),
      card("equivalent API cost", fmt.usd(modelCost.reduce((sum, model) => sum + model.cost, 0))),
    ),
    h("div", { class: "grid" },
      h("div", {},
        h("div", { class: "panel" }, h("h2", {}, "Requests over time"), bars(overview.buckets.map((bucket) => bucket.requests))),
        h("div", { class: "panel" }, h("h2", {}, "Errors over time"), bars(overview.buckets.map((bucket) => bucket.errors), "errors")),
        h("div", { class: "panel" }, h("h2", {}, "Tokens over time (input + output)"), bars(overview.buckets.map((bucket) => bucket.inputTokens + bucket.outputTokens))),
        h("div", { class: "panel" }, h("h2", {}, "Top models"), h("table", {}, h("thead", {}, h("tr", {}, ["Model", "Requests", "Input", "Output", "Cache read", "Cost"].map((title, index) => h("th", { class: index ? "num" : "" }, title)))),
          h("tbody", {}, modelCost.map((model) => h("tr", {}, h("td", {}, model.model || "–"), h("td", { class: "num" }, fmt.int(model.requests)), h("td", { class: "num" }, fmt.int(model.inputTokens + model.cacheReadTokens + model.cacheWriteTokens)), h("td", { class: "num" }, fmt.int(model.outputTokens)), h("td", { class: "num" }, fmt.int(model.cacheReadTokens)), h("td", { class: "num" }, priceOf(model.model) ? fmt.usd(model.cost) : "no price"))))))),
      h("div", {},
        h("div", { class: "panel", id: "overview-tools" }, h("h2", {}, "Top tools"),
          h("p", { class: "muted" }, "Requests that called each tool: the client's tools, and those the claude CLI ran itself in agent mode."),
          h("table", {}, h("thead", {}, h("tr", {}, ["Tool", "Run by", "Requests"].map((title, index) => h("th", { class: index === 2 ? "num" : "" }, title)))),
            h("tbody", {}, overview.tools.map((tool) => h("tr", {}, h("td", {}, tool.name), h("td", {}, tool.by === "agent" ? "claude CLI" : "client"), h("td", { class: "num" }, fmt.int(tool.calls))))))),
        h("div", { class: "panel" }, h("h2", {}, "Price table (USD per million tokens)"), h("p", { class: "muted" }, "First matching pattern wins. Saved in this browser only."), editor,
          h("button", { type: "button", onclick: () => { try { prices = JSON.parse(editor.value); localStorage.setItem(priceStorage, editor.value); route(); } catch (error) { alert(`Not valid JSON: ${error.message}`); } } }, "Save prices"), " ",
          h("button", { type: "button", onclick: () => { localStorage.removeItem(priceStorage); loadPrices().then(route); } }, "Reset to defaults")),
      ),
    ),
  );
}

// ---- Routing and keyboard ------------------------------------------------------------------------------------
async function route() {
  const [path, queryString] = location.hash.replace(/^#/, "").split("?");
  const params = new URLSearchParams(queryString || "");
  const parts = (path || "/").split("/").filter(Boolean).map(decodeURIComponent);
  for (const link of document.querySelectorAll("[data-nav]")) link.classList.toggle("active", (parts[0] || "list") === link.dataset.nav);
  document.getElementById("logout").hidden = !sessionStorage.getItem(keyStorage);
  try {
    if (parts[0] === "request") await showRequest(parts[1]);
    else if (parts[0] === "session") await showSession(parts[1]);
    else if (parts[0] === "overview") await showOverview(params);
    else await showList(params);
    connectLive();
  } catch (error) {
    if (error instanceof LoginRequired) showLogin(sessionStorage.getItem(keyStorage) ? "That key was not accepted." : "");
    else main.replaceChildren(h("p", { class: "error" }, `Could not load: ${error.message}`));
  }
}

document.addEventListener("keydown", (event) => {
  if (event.target instanceof HTMLInputElement || event.target instanceof HTMLTextAreaElement) {
    if (event.key === "Escape") event.target.blur();
    return;
  }
  const rows = document.getElementById("request-rows");
  if (event.key === "/") {
    const search = document.querySelector("input[name=q]");
    if (search) { event.preventDefault(); search.focus(); }
  } else if (event.key === "Escape") {
    location.hash = "#/";
  } else if (event.key === "o") {
    location.hash = "#/overview";
  } else if (rows && (event.key === "ArrowDown" || event.key === "j" || event.key === "ArrowUp" || event.key === "k")) {
    event.preventDefault();
    const step = event.key === "ArrowDown" || event.key === "j" ? 1 : -1;
    listState.selected = Math.max(0, Math.min(listState.rows.length - 1, listState.selected + step));
    renderList();
    const selected = rows.children[listState.selected];
    if (selected) selected.scrollIntoView({ block: "nearest" });
  } else if (rows && event.key === "Enter" && listState.rows[listState.selected]) {
    location.hash = `#/request/${encodeURIComponent(listState.rows[listState.selected].id)}`;
  } else if (rows && event.key === "s" && listState.rows[listState.selected] && listState.rows[listState.selected].sessionId) {
    location.hash = `#/session/${encodeURIComponent(listState.rows[listState.selected].sessionId)}`;
  }
});
window.addEventListener("hashchange", route);
loadPrices().finally(route);
