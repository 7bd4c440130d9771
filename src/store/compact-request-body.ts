/**
 * Content addressing for request bodies: the parts agent traffic repeats on every turn are stored once by
 * hash and the body keeps a reference.
 *
 * - System prompts (`system`, `instructions`, each system block) and the tool list become blobs.
 * - The conversation (`messages`, or `input` for the Responses API) becomes a chain of prefix nodes: message i
 *   has the rolling hash h(i) = sha256(h(i-1), message i), and a request stores one node holding only the
 *   messages after the longest prefix already stored, pointing at that prefix's node. A 200-turn
 *   conversation thus stores each message about once instead of 200 times.
 * - Base64 media (data URLs, Anthropic base64 sources) become blobs, shown as thumbnails, stored once.
 * - `cache_control` markers move from turn to turn in Claude Code's traffic; they are lifted off the messages
 *   before hashing and kept beside the reference, so the prefix still matches and the body reads back as sent.
 */
import { createHash } from "node:crypto";

/** One blob to store. `children` are blobs it refers to (a prefix node's parent, media inside messages). */
export interface BlobRecord {
  hash: string;
  kind: "text" | "tools" | "media" | "prefix";
  content: string;
  children: string[];
}

/** The conversation part of a body, before the store knows which prefix is already there. */
export interface PendingPrefix {
  /** Rolling hash after each message. */
  hashes: string[];
  /** The messages, cache_control lifted, media replaced by references. */
  items: unknown[];
  /** Media blob hashes referenced by each message. */
  mediaByItem: string[][];
}

export interface CompactedBody {
  /** The body with references in place of blobs; `{ "$prefix": ... }` is completed by `completePrefix`. */
  document: Record<string, unknown>;
  /** Blobs referenced by the document itself (system, tools, media outside the conversation). */
  blobs: BlobRecord[];
  prefix?: { key: string; pending: PendingPrefix; cacheControl: CacheControlMark[] };
}

/** Where a cache_control marker sat: [message index, content index or -1 for the message itself]. */
export type CacheControlMark = [number, number, unknown];

/** Texts shorter than this stay inline: content addressing only pays for what repeats and is large. */
const inlineLimit = 256;
/** Media strings shorter than this stay inline (tiny icons, test pixels are still worth a thumbnail). */
const mediaLimit = 64;

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** Splits a client body into a document with references and the blobs it refers to. */
export function compactRequestBody(body: unknown): CompactedBody {
  if (!body || typeof body !== "object" || Array.isArray(body)) return { document: { $raw: body }, blobs: [] };
  const blobs: BlobRecord[] = [];
  const document: Record<string, unknown> = { ...(body as Record<string, unknown>) };
  for (const key of ["system", "instructions"]) {
    const value = document[key];
    if (typeof value === "string") document[key] = textReference(value, blobs);
    else if (Array.isArray(value)) document[key] = value.map((block) => blockReference(block, blobs));
  }
  if (Array.isArray(document.tools)) {
    const content = JSON.stringify(document.tools);
    if (content.length >= inlineLimit) document.tools = { ...blobReference({ hash: sha256(`tools\u0000${content}`), kind: "tools", content, children: [] }, blobs), json: true };
  }
  const key = Array.isArray(document.messages) ? "messages" : Array.isArray(document.input) ? "input" : undefined;
  let prefix: CompactedBody["prefix"];
  if (key) {
    const messages = document[key] as unknown[];
    const cacheControl: CacheControlMark[] = [];
    const items = messages.map((message, index) => liftCacheControl(message, index, cacheControl));
    const mediaByItem: string[][] = [];
    const withMedia = items.map((item) => {
      const media: BlobRecord[] = [];
      const replaced = replaceMedia(item, media);
      mediaByItem.push(media.map((blob) => blob.hash));
      blobs.push(...media);
      return replaced;
    });
    const hashes: string[] = [];
    let previous = "";
    for (const item of withMedia) {
      previous = sha256(`${previous}\u0000${JSON.stringify(item)}`);
      hashes.push(previous);
    }
    document[key] = { $prefix: null };
    prefix = { key, pending: { hashes, items: withMedia, mediaByItem }, cacheControl };
  }
  for (const [name, value] of Object.entries(document)) {
    if (name !== key && name !== "system" && name !== "instructions" && name !== "tools") document[name] = replaceMedia(value, blobs);
  }
  return { document, blobs, prefix };
}

/**
 * Completes the conversation reference once the store knows the longest stored prefix (`knownLength`
 * messages, 0 for none): the node for the whole conversation holds only the messages after it.
 */
export function completePrefix(compacted: CompactedBody, knownLength: number): { node?: BlobRecord; tip?: string } {
  if (!compacted.prefix) return {};
  const { key, pending, cacheControl } = compacted.prefix;
  const count = pending.hashes.length;
  const tip = count === 0 ? undefined : pending.hashes[count - 1];
  compacted.document[key] = { $prefix: tip ?? null, count, ...(cacheControl.length ? { cacheControl } : {}) };
  if (!tip || knownLength >= count) return { tip };
  const parent = knownLength === 0 ? null : pending.hashes[knownLength - 1];
  const items = pending.items.slice(knownLength);
  const media = [...new Set(pending.mediaByItem.slice(knownLength).flat())];
  const node: BlobRecord = {
    hash: tip,
    kind: "prefix",
    content: JSON.stringify({ parent, items }),
    children: parent ? [parent, ...media] : media,
  };
  return { node, tip };
}

/** Rebuilds the body as the client sent it from the document and a loader for blobs and prefix chains. */
export async function expandRequestBody(
  document: Record<string, unknown>,
  load: { blobs(hashes: string[]): Promise<Map<string, string>>; chain(tip: string): Promise<unknown[]> },
): Promise<unknown> {
  if ("$raw" in document) return document.$raw;
  const hashes = new Set<string>();
  collectReferences(document, hashes);
  const body: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(document)) {
    if (value && typeof value === "object" && "$prefix" in value) {
      const reference = value as { $prefix: string | null; cacheControl?: CacheControlMark[] };
      const items = reference.$prefix ? await load.chain(reference.$prefix) : [];
      for (const item of items) collectReferences(item, hashes);
      body[key] = restoreCacheControl(items, reference.cacheControl ?? []);
    } else {
      body[key] = value;
    }
  }
  const contents = await load.blobs([...hashes]);
  return substitute(body, contents);
}

function textReference(text: string, blobs: BlobRecord[]): unknown {
  if (text.length < inlineLimit) return text;
  return blobReference({ hash: sha256(`text\u0000${text}`), kind: "text", content: text, children: [] }, blobs);
}

/** A system block: its text by reference when long, the rest of the block inline. */
function blockReference(block: unknown, blobs: BlobRecord[]): unknown {
  if (typeof block === "string") return textReference(block, blobs);
  if (block && typeof block === "object" && typeof (block as { text?: unknown }).text === "string") {
    return { ...(block as object), text: textReference((block as { text: string }).text, blobs) };
  }
  return block;
}

function blobReference(blob: BlobRecord, blobs: BlobRecord[]): { $blob: string } {
  blobs.push(blob);
  return { $blob: blob.hash };
}

function liftCacheControl(message: unknown, index: number, marks: CacheControlMark[]): unknown {
  if (!message || typeof message !== "object") return message;
  const { cache_control: own, ...rest } = message as Record<string, unknown>;
  if (own !== undefined) marks.push([index, -1, own]);
  if (Array.isArray(rest.content)) {
    rest.content = rest.content.map((part, partIndex) => {
      if (!part || typeof part !== "object" || !("cache_control" in part)) return part;
      const { cache_control: mark, ...partRest } = part as Record<string, unknown>;
      marks.push([index, partIndex, mark]);
      return partRest;
    });
  }
  return rest;
}

function restoreCacheControl(items: unknown[], marks: CacheControlMark[]): unknown[] {
  const restored = items.map((item) => (item && typeof item === "object" ? structuredClone(item) : item)) as Array<Record<string, any>>;
  for (const [messageIndex, partIndex, mark] of marks) {
    const message = restored[messageIndex];
    if (!message) continue;
    if (partIndex === -1) message.cache_control = mark;
    else if (Array.isArray(message.content) && message.content[partIndex]) message.content[partIndex].cache_control = mark;
  }
  return restored;
}

const dataUrl = /^data:([\w.+-]+\/[\w.+-]+)(;[^,]*)?;base64,/;

/** Replaces base64 media anywhere in `value` with `{ $media: hash, mediaType, bytes }`. */
function replaceMedia(value: unknown, blobs: BlobRecord[]): unknown {
  if (typeof value === "string") {
    const match = value.length >= mediaLimit ? dataUrl.exec(value) : null;
    if (!match) return value;
    return mediaReference(value, match[1], Math.floor(((value.length - match[0].length) * 3) / 4), blobs);
  }
  if (Array.isArray(value)) return value.map((item) => replaceMedia(item, blobs));
  if (!value || typeof value !== "object") return value;
  const object = value as Record<string, unknown>;
  // Anthropic: { type: "base64", media_type, data }.
  if (object.type === "base64" && typeof object.data === "string" && object.data.length >= mediaLimit) {
    const mediaType = typeof object.media_type === "string" ? object.media_type : "application/octet-stream";
    return { ...object, data: mediaReference(`data:${mediaType};base64,${object.data}`, mediaType, Math.floor((object.data.length * 3) / 4), blobs, true) };
  }
  const result: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(object)) result[key] = replaceMedia(item, blobs);
  return result;
}

function mediaReference(content: string, mediaType: string, bytes: number, blobs: BlobRecord[], bare = false) {
  const hash = sha256(`media\u0000${content}`);
  if (!blobs.some((blob) => blob.hash === hash)) blobs.push({ hash, kind: "media", content, children: [] });
  return { $media: hash, mediaType, bytes, ...(bare ? { bare: true } : {}) };
}

function collectReferences(value: unknown, hashes: Set<string>): void {
  if (Array.isArray(value)) for (const item of value) collectReferences(item, hashes);
  else if (value && typeof value === "object") {
    const object = value as Record<string, unknown>;
    if (typeof object.$blob === "string") hashes.add(object.$blob);
    else if (typeof object.$media === "string") hashes.add(object.$media);
    else for (const item of Object.values(object)) collectReferences(item, hashes);
  }
}

function substitute(value: unknown, contents: Map<string, string>): unknown {
  if (Array.isArray(value)) return value.map((item) => substitute(item, contents));
  if (!value || typeof value !== "object") return value;
  const object = value as Record<string, unknown>;
  if (typeof object.$blob === "string") {
    const content = contents.get(object.$blob);
    if (content === undefined) return "[blob missing]";
    return object.json ? JSON.parse(content) : content;
  }
  if (typeof object.$media === "string") {
    const content = contents.get(object.$media);
    if (content === undefined) return "[media missing]";
    return object.bare ? content.replace(dataUrl, "") : content;
  }
  const result: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(object)) result[key] = substitute(item, contents);
  return result;
}
