/**
 * The inspector's request log on the relay's database: metadata rows the list reads, bodies in their own
 * table, repeated parts stored once as content-addressed blobs (see compact-request-body.ts).
 *
 * Blobs count their referrers; pruning a body releases its references and frees, in small batches, every
 * blob nothing refers to any more (a freed prefix node releases its parent in turn).
 */
import type { InspectorBodies, InspectorDetails, InspectorEntry, InspectorRequestView, InspectorSummary } from "../inspector/inspector-record.ts";
import { completePrefix, compactRequestBody, expandRequestBody, type BlobRecord } from "./compact-request-body.ts";
import type { RelayDatabase, SqlValue } from "./relay-database.ts";
import { summaryFromRow, type SummaryRow } from "./inspector-rows.ts";
import { wordSearchPhrase } from "./word-search-phrase.ts";

/** Filters of the request list; all optional, combined with AND. */
export interface InspectorFilter {
  provider?: string;
  model?: string;
  /** An HTTP status, or "error" for every status from 400 on. */
  status?: string;
  /** A client key hash, or a prefix of one (at least 8 characters). */
  client?: string;
  session?: string;
  conversation?: string;
  /** How the backend served it (the claude CLI backend: warm, live, hold, replay, cold, recycled). */
  served?: string;
  /** Free text matched against the request id, the preview, the model and the path. */
  text?: string;
  starred?: boolean;
}

export interface InspectorPage {
  items: InspectorSummary[];
  /** Pass as `before` to get the next (older) page; null at the end. */
  nextCursor: number | null;
}

export interface PruneOptions {
  now: number;
  /** Metadata rows older than this go (starred ones stay). */
  retentionMs: number;
  /** Bodies older than this go (starred ones stay). */
  bodyRetentionMs: number;
  /** When the database is larger than this, the oldest bodies go first, then the oldest rows. */
  maxBytes: number;
  /** Rows handled per call: pruning runs in small steps between writes. */
  batchSize: number;
}

const summaryColumns = `seq, id, started_at, duration_ms, ttft_ms, protocol, method, path, stream, status, error_kind, error_message,
  requested_model, response_model, provider, provider_model, served_path, client_key_hash, user_agent, remote_address,
  session_id, agent_id, parent_agent_id, conversation_id, response_id, previous_response_id, input_tokens, output_tokens,
  cache_write_tokens, cache_read_tokens, reasoning_tokens, stop_reason, tool_names, agent_tool_names, preview, starred, body_bytes, has_body`;

/**
 * Word-index candidates checked before the trigram index takes over: the first two chunks of the walk, about
 * 2.5 ms of checking at 1,000,000 rows on a 2-core EPYC (bench/inspector-text-search.ts). A phrase whose
 * candidates are that sparse owes its rarity to the words it had to leave out, which the trigrams still see.
 */
const wordCandidateBudget = 1_000;

/** Rows whose preview holds every gram of the bound array, through the gram index (PostgreSQL). */
const previewHasGrams = "inspector_preview_grams(lower(preview)) @> CAST(? AS text[])";
/** Grams commoner than this (a share of the rows) are never read from the gram index (PostgreSQL). */
const maxGramShare = 0.7;
/**
 * Below this estimated share of rows holding the chosen grams PostgreSQL goes straight to the gram index; above
 * it, it walks first. Low, since independence underestimates grams of words that go together.
 */
const gramPathShare = 0.0005;
/**
 * About what rechecking a candidate row costs against reading one entry of a gram's list (measured at 1,000,000
 * rows: a cold recheck 10-25 µs, a list entry 0.007 µs; 1,000 leaves a wide margin).
 */
const recheckCost = 1_000;
/**
 * How many rows (seqs) the newest-first walk reads at most before an index takes over (about 35 ms at
 * 1,000,000 rows when nothing in them matches; a page of text in 0.5% of the rows is found within it).
 */
const walkWindow = 20_000;
/**
 * Rows (seqs) just below the walk's window whose gram candidates are checked first (80,000: for `cs refactor f`,
 * 0.3% of the rows, 58 ms instead of 371 ms for all its candidates below the window, cold).
 */
const gramChunk = 80_000;
/** Below the walk's window, the gram index answers when the estimated share is under this; else pg_trgm. */
const gramRemainderShare = 0.02;
/** How long the gram frequencies read from pg_stats are used before they are read again. */
const gramStatsMs = 60_000;

export interface InspectorStoreOptions {
  /**
   * How free text is answered: SQLite's word index first where the text allows it, and PostgreSQL's gram
   * index or newest-first walk (the default), or the trigram index alone (what the benchmarks compare against).
   */
  textSearch?: "words-first" | "trigrams";
  /** Rows PostgreSQL's newest-first walk reads at most (default `walkWindow`; tests make it small). */
  walkWindow?: number;
  /** Rows below the walk whose gram candidates PostgreSQL checks first (default `gramChunk`; tests make it small). */
  gramChunk?: number;
}

/** How often grams occur in the preview (PostgreSQL's pg_stats for the gram index), as shares of the rows. */
export interface GramStats {
  shares: Map<string, number>;
  /** The share assumed for a gram ANALYZE did not list: half the rarest listed one, as the planner does. */
  unlisted: number;
}

/**
 * SQLite's text indexes are filled in bulk (migrations.ts, sqliteDeferredTextIndex): once this many rows wait,
 * or when writing has paused for `textIndexIdleMs`. Until then free text reads the waiting rows from the table.
 */
const textIndexBatchRows = 256;
const textIndexIdleMs = 1000;
/** Rows indexed per transaction, so a long backlog does not hold the write lock for long. */
const textIndexStepRows = 5000;

export class InspectorStore {
  /** Rows this store wrote that its text indexes may not hold yet (SQLite). */
  private unindexedRows = 0;
  private textIndexTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly database: RelayDatabase,
    private readonly options: InspectorStoreOptions = {},
  ) {}

  /** Writes a batch of finished requests in one transaction; on SQLite, indexes their text in bulk later. */
  async write(entries: InspectorEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.database.transaction(async (database) => {
      for (const entry of entries) await writeEntry(database, entry);
    });
    if (this.database.engine !== "sqlite") return;
    this.unindexedRows += entries.length;
    if (this.unindexedRows >= textIndexBatchRows) await this.indexText();
    else this.indexTextWhenIdle();
  }

  /**
   * Adds the rows written since the last call to SQLite's two text indexes (a no-op on PostgreSQL, whose
   * trigram index follows every insert). The writer calls it; readers never need to (see listTextMatches).
   */
  async indexText(): Promise<number> {
    clearTimeout(this.textIndexTimer);
    this.textIndexTimer = undefined;
    this.unindexedRows = 0;
    if (this.database.engine !== "sqlite") return 0;
    let indexed = 0;
    for (;;) {
      const step = await this.database.transaction(async (database) => {
        const [state] = await database.all<{ indexed_seq: number; top: number | null }>(
          "SELECT indexed_seq, (SELECT max(seq) FROM inspector_requests) AS top FROM inspector_text_index_state",
        );
        if (!state || state.top === null || state.top <= state.indexed_seq) return 0;
        const until = Math.min(state.top, state.indexed_seq + textIndexStepRows);
        for (const table of ["inspector_search", "inspector_words"]) {
          await database.run(`INSERT INTO ${table} (rowid, preview) SELECT seq, preview FROM inspector_requests WHERE seq > ? AND seq <= ?`, [state.indexed_seq, until]);
        }
        await database.run("UPDATE inspector_text_index_state SET indexed_seq = ?", [until]);
        return until - state.indexed_seq;
      });
      indexed += step;
      if (step < textIndexStepRows) return indexed;
    }
  }

  private indexTextWhenIdle(): void {
    clearTimeout(this.textIndexTimer);
    this.textIndexTimer = setTimeout(() => {
      this.textIndexTimer = undefined;
      this.indexText().catch(() => {
        // Retried with the next write; until then free text reads the rows from the table.
      });
    }, textIndexIdleMs);
    this.textIndexTimer.unref?.();
  }

  async list(filter: InspectorFilter, options: { before?: number; limit: number }): Promise<InspectorPage> {
    if (filter.text && options.before === undefined) {
      // A request id typed into the search box: one indexed lookup instead of a text search.
      const [exact] = await this.summaries([filter.text]);
      if (exact) return { items: [exact], nextCursor: null };
    }
    if (filter.text && this.database.engine === "sqlite" && [...filter.text].length >= 3) return this.listTextMatches(filter, options);
    if (filter.text && this.database.engine === "postgres" && this.options.textSearch !== "trigrams" && [...filter.text].length >= 4) {
      return this.listPostgresText(filter, options);
    }
    const { sql, params } = listStatement(filter, options);
    return pageOf(await this.database.all<SummaryRow>(sql, params), options.limit);
  }

  /**
   * Free text on PostgreSQL, by how common the text's 4-character grams are (pg_stats of the gram index,
   * independence assumed):
   *
   * - Rare text (an estimated share under `gramPathShare`): the gram index, asked only for the text's rarest
   *   grams, gives a short list of candidates that the substring match confirms, newest first.
   * - Otherwise (frequent text, or text whose grams are all too common to tell): the primary key walked newest
   *   first through the `walkWindow` rows below the cursor, each checked by the substring match (`strpos`, which
   *   no index answers, so the planner cannot swap the walk for an index's full list of matches; a run of
   *   digits, spaces or punctuation of the text is checked on the raw preview first, see uncasedRun); a page
   *   found there is the answer. When the window runs out first, the rest of the page comes from below it: from
   *   the gram index when the estimate is under `gramRemainderShare`, else from the plain list query (pg_trgm).
   *
   * Without statistics yet (a table never analyzed), or with texts shorter than a gram, the plain list query
   * answers. Every path returns what `lower(preview) LIKE '%text%'` returns, in the same order.
   */
  private async listPostgresText(filter: InspectorFilter, options: { before?: number; limit: number }): Promise<InspectorPage> {
    const stats = await this.gramStats();
    const text = filter.text!.toLowerCase();
    const others = filterClause({ ...filter, text: undefined });
    const cursor = options.before !== undefined ? ["seq < ?"] : [];
    const cursorParams: SqlValue[] = options.before !== undefined ? [options.before] : [];
    const plan = stats ? choosePreviewGrams(text, stats) : undefined;
    if (!plan) {
      const { sql, params } = listStatement(filter, options);
      return pageOf(await this.database.all<SummaryRow>(sql, params), options.limit);
    }
    // The substring match, after a cheaper check of the raw preview where the text allows one.
    const uncased = uncasedRun(text);
    const match = uncased ? { where: ["strpos(preview, ?) > 0", "strpos(lower(preview), ?) > 0"], params: [uncased, text] } : { where: ["strpos(lower(preview), ?) > 0"], params: [text] };
    if (plan.share < gramPathShare) {
      const rows = await this.newestRows(
        [previewHasGrams, ...match.where, ...others.where, ...cursor],
        [arrayLiteral(plan.grams), ...match.params, ...others.params, ...cursorParams],
        options.limit + 1,
      );
      return pageOf(rows, options.limit);
    }
    let below = options.before;
    if (below === undefined) {
      const [newest] = await this.database.all<{ seq: number | null }>("SELECT max(seq) AS seq FROM inspector_requests");
      if (newest?.seq == null) return { items: [], nextCursor: null };
      below = newest.seq + 1;
    }
    // Not sized by the estimate: a share estimated high may hide text that needs the whole window (`ver the `,
    // estimated 3.5%, is 0.85%); frequent text stops at its page long before the window's end.
    const from = below - (this.options.walkWindow ?? walkWindow);
    const rows = await this.newestRows(["seq < ?", "seq >= ?", ...match.where, ...others.where], [below, from, ...match.params, ...others.params], options.limit + 1);
    if (rows.length <= options.limit && from > 1) {
      if (plan.share < gramRemainderShare) {
        // Below the window, the gram index's candidates: first those of the next `gramChunk` rows, then the rest.
        // In the chunk the grams are hidden from the planner behind a sub-select: its estimate of them (often 1
        // row, from independence) would have it check every candidate's heap row against the range; with the
        // default estimate it ANDs the gram bitmap with the primary key's range and reads only the chunk's rows.
        const chunkFrom = from - (this.options.gramChunk ?? gramChunk);
        const ranges: Array<{ where: string[]; params: SqlValue[] }> =
          chunkFrom > 1
            ? [{ where: ["inspector_preview_grams(lower(preview)) @> (SELECT CAST(? AS text[]))", "seq < ?", "seq >= ?"], params: [from, chunkFrom] }, { where: [previewHasGrams, "seq < ?"], params: [chunkFrom] }]
            : [{ where: [previewHasGrams, "seq < ?"], params: [from] }];
        for (const range of ranges) {
          rows.push(
            ...(await this.newestRows(
              [range.where[0], ...match.where, ...others.where, ...range.where.slice(1)],
              [arrayLiteral(plan.grams), ...match.params, ...others.params, ...range.params],
              options.limit + 1 - rows.length,
            )),
          );
          if (rows.length > options.limit) break;
        }
      } else {
        const rest = listStatement(filter, { before: from, limit: options.limit - rows.length });
        rows.push(...(await this.database.all<SummaryRow>(rest.sql, rest.params)));
      }
    }
    return pageOf(rows, options.limit);
  }

  /** Summary rows meeting every condition, newest first, at most `limit`. */
  private newestRows(where: string[], params: SqlValue[], limit: number): Promise<SummaryRow[]> {
    const statement = newestRowsStatement(where, params, limit);
    return this.database.all<SummaryRow>(statement.sql, statement.params);
  }

  private gramStatsCache?: { at: number; stats: Promise<GramStats | undefined> };

  /** The gram frequencies ANALYZE recorded, read again every `gramStatsMs`; undefined before the first ANALYZE. */
  private gramStats(): Promise<GramStats | undefined> {
    const now = Date.now();
    if (!this.gramStatsCache || now - this.gramStatsCache.at > gramStatsMs) {
      this.gramStatsCache = { at: now, stats: readGramStats(this.database).catch(() => undefined) };
    }
    return this.gramStatsCache.stats;
  }

  /**
   * Free text on SQLite: an FTS5 index walked newest first, in chunks that grow until a page is full or the
   * matches run out, each chunk's rows checked against the other filters. Frequent text stops after the first
   * small chunk; rare text reads only the index's short lists; the cursor continues below the last row shown.
   *
   * Text with a long enough word starts on the word index: its rarest word's list is short even when every
   * trigram of the text is common. Its matches are only candidates, checked by the substring match; when
   * common words are rare together ("add logging to"), the candidates run into the thousands, and after
   * `wordCandidateBudget` of them the rest of the walk (below the last candidate checked) goes to the trigram
   * index, whose phrase of trigrams is itself a case-insensitive substring match.
   */
  private async listTextMatches(filter: InspectorFilter, options: { before?: number; limit: number }): Promise<InspectorPage> {
    // The trigram phrase is itself the substring match; the word index's candidates are checked by it (the text filter).
    const trigrams = { table: "inspector_search", phrase: `"${filter.text!.replaceAll('"', '""')}"`, ...filterClause({ ...filter, text: undefined }) };
    const wordPhrase = this.options.textSearch === "trigrams" ? undefined : wordSearchPhrase(filter.text!);
    let search = wordPhrase ? { table: "inspector_words", phrase: wordPhrase, ...filterClause(filter) } : trigrams;
    let candidates = 0;
    // The newest rows, not in the indexes yet (at most a few hundred): read from the table, matched there.
    const [state] = await this.database.all<{ indexed_seq: number }>("SELECT indexed_seq FROM inspector_text_index_state");
    const indexedSeq = state?.indexed_seq ?? Number.MAX_SAFE_INTEGER;
    let below = options.before ?? Number.MAX_SAFE_INTEGER;
    const rows: SummaryRow[] = [];
    if (below > indexedSeq + 1) {
      const recent = filterClause(filter);
      rows.push(...(await this.newestRows(["seq > ?", "seq < ?", ...recent.where], [indexedSeq, below, ...recent.params], options.limit + 1)));
      below = indexedSeq + 1;
    }
    const firstChunk = Math.max(200, options.limit * 2);
    let chunk = firstChunk;
    while (rows.length <= options.limit) {
      const matches = await this.database.all<{ seq: number }>(
        `SELECT rowid AS seq FROM ${search.table} WHERE ${search.table} MATCH ? AND rowid < ? ORDER BY rowid DESC LIMIT ?`,
        [search.phrase, below, chunk],
      );
      if (matches.length === 0) break;
      below = Number(matches.at(-1)!.seq);
      rows.push(
        ...(await this.newestRows(
          ["seq IN (SELECT value FROM json_each(?))", ...search.where],
          [JSON.stringify(matches.map((match) => Number(match.seq))), ...search.params],
          options.limit + 1 - rows.length,
        )),
      );
      if (rows.length > options.limit || matches.length < chunk) break;
      candidates += matches.length;
      if (search !== trigrams && candidates >= wordCandidateBudget) {
        search = trigrams;
        chunk = firstChunk;
      } else chunk = Math.min(chunk * 4, 50_000);
    }
    const items = rows.slice(0, options.limit).map(summaryFromRow);
    return { items, nextCursor: rows.length > options.limit ? items.at(-1)!.seq : null };
  }

  /** The metadata rows of these requests (any order). */
  async summaries(ids: string[]): Promise<InspectorSummary[]> {
    if (ids.length === 0) return [];
    const rows = await this.database.all<SummaryRow>(`SELECT ${summaryColumns} FROM inspector_requests WHERE id IN (${ids.map(() => "?").join(",")})`, ids);
    return rows.map(summaryFromRow);
  }

  async get(id: string): Promise<InspectorRequestView | undefined> {
    const [row] = await this.database.all<SummaryRow & { details_json: string }>(`SELECT ${summaryColumns}, details_json FROM inspector_requests WHERE id = ?`, [id]);
    if (!row) return undefined;
    const summary = summaryFromRow(row);
    const [body] = await this.database.all<{ request_json: string | null; response_json: string | null; events_json: string | null }>(
      "SELECT request_json, response_json, events_json FROM inspector_bodies WHERE seq = ?",
      [summary.seq],
    );
    return { ...summary, details: JSON.parse(row.details_json) as InspectorDetails, bodies: body ? await this.expandBodies(body) : null };
  }

  /** The requests of a session (or of a conversation when no session has this id), oldest first. */
  async session(sessionId: string, limit = 2000): Promise<InspectorSummary[]> {
    const rows = await this.database.all<SummaryRow>(
      `SELECT ${summaryColumns} FROM inspector_requests WHERE session_id = ? ORDER BY seq LIMIT ?`,
      [sessionId, limit],
    );
    return rows.map(summaryFromRow);
  }

  /** The request before `seq` in the same session and lane (for the system prompt and tools diff). */
  async previousInSession(summary: InspectorSummary): Promise<InspectorRequestView | undefined> {
    if (!summary.sessionId) return undefined;
    const [row] = await this.database.all<{ id: string }>(
      `SELECT id FROM inspector_requests WHERE session_id = ? AND seq < ? AND ${summary.agentId ? "agent_id = ?" : "agent_id IS NULL"} ORDER BY seq DESC LIMIT 1`,
      summary.agentId ? [summary.sessionId, summary.seq, summary.agentId] : [summary.sessionId, summary.seq],
    );
    return row ? this.get(row.id) : undefined;
  }

  async setStarred(id: string, starred: boolean): Promise<boolean> {
    return (await this.database.run("UPDATE inspector_requests SET starred = ? WHERE id = ?", [starred ? 1 : 0, id])) > 0;
  }

  /** Deletes every request of a session, bodies included; returns how many. */
  async deleteSession(sessionId: string): Promise<number> {
    return this.database.transaction(async (database) => {
      const rows = await database.all<{ seq: number }>("SELECT seq FROM inspector_requests WHERE session_id = ?", [sessionId]);
      for (const { seq } of rows) await deleteBody(database, seq);
      await database.run("DELETE FROM inspector_requests WHERE session_id = ?", [sessionId]);
      await sweepBlobs(database, 10_000);
      return rows.length;
    });
  }

  /** One step of retention; returns what it removed, so the caller knows whether to run another soon. */
  async prune(options: PruneOptions): Promise<{ bodies: number; rows: number; blobs: number }> {
    return this.database.transaction(async (database) => {
      let bodies = 0;
      let rows = 0;
      const oldBodies = await database.all<{ seq: number }>(
        "SELECT seq FROM inspector_requests WHERE has_body = 1 AND starred = 0 AND started_at < ? ORDER BY seq LIMIT ?",
        [options.now - options.bodyRetentionMs, options.batchSize],
      );
      for (const { seq } of oldBodies) bodies += await deleteBody(database, seq);
      const oldRows = await database.all<{ seq: number }>(
        "SELECT seq FROM inspector_requests WHERE starred = 0 AND started_at < ? ORDER BY seq LIMIT ?",
        [options.now - options.retentionMs, options.batchSize],
      );
      for (const { seq } of oldRows) {
        await deleteBody(database, seq);
        rows += await database.run("DELETE FROM inspector_requests WHERE seq = ?", [seq]);
      }
      if (bodies + rows === 0 && (await database.sizeBytes()) > options.maxBytes) {
        const oldest = await database.all<{ seq: number; has_body: number }>(
          "SELECT seq, has_body FROM inspector_requests WHERE starred = 0 ORDER BY has_body DESC, seq LIMIT ?",
          [options.batchSize],
        );
        for (const { seq, has_body } of oldest) {
          if (has_body) bodies += await deleteBody(database, seq);
          else rows += await database.run("DELETE FROM inspector_requests WHERE seq = ?", [seq]);
        }
      }
      const blobs = await sweepBlobs(database, options.batchSize * 4);
      return { bodies, rows, blobs };
    });
  }

  /** Requests (with bodies) as JSON lines: one session, or one request. */
  async *exportLines(selection: { sessionId?: string; id?: string }): AsyncGenerator<string> {
    const ids = selection.id ? [selection.id] : (await this.session(selection.sessionId ?? "", 100_000)).map((summary) => summary.id);
    for (const id of ids) {
      const view = await this.get(id);
      if (view) yield `${JSON.stringify(view)}\n`;
    }
  }

  private async expandBodies(row: { request_json: string | null; response_json: string | null; events_json: string | null }): Promise<InspectorBodies> {
    const request = row.request_json
      ? await expandRequestBody(JSON.parse(row.request_json), { blobs: (hashes) => this.blobContents(hashes), chain: (tip) => this.prefixItems(tip) })
      : null;
    return { request, response: row.response_json ? JSON.parse(row.response_json) : null, events: row.events_json ? JSON.parse(row.events_json) : [] };
  }

  private async blobContents(hashes: string[]): Promise<Map<string, string>> {
    const contents = new Map<string, string>();
    for (let start = 0; start < hashes.length; start += 200) {
      const chunk = hashes.slice(start, start + 200);
      const rows = await this.database.all<{ hash: string; content: string }>(
        `SELECT hash, content FROM inspector_blobs WHERE hash IN (${chunk.map(() => "?").join(",")})`,
        chunk,
      );
      for (const row of rows) contents.set(row.hash, row.content);
    }
    return contents;
  }

  /** The messages of a prefix chain, oldest first, in one recursive query. */
  private async prefixItems(tip: string): Promise<unknown[]> {
    const nodes = await this.database.all<{ content: string; depth: number }>(
      `WITH RECURSIVE chain (hash, content, depth) AS (
         SELECT hash, content, 0 FROM inspector_blobs WHERE hash = ?
         UNION ALL
         SELECT blob.hash, blob.content, chain.depth + 1 FROM inspector_blobs blob
           JOIN chain ON blob.hash = ${this.database.engine === "postgres" ? "(chain.content::json ->> 'parent')" : "json_extract(chain.content, '$.parent')"}
       )
       SELECT content, depth FROM chain ORDER BY depth DESC`,
      [tip],
    );
    return nodes.flatMap((node) => (JSON.parse(node.content) as { items: unknown[] }).items);
  }
}

async function writeEntry(database: RelayDatabase, entry: InspectorEntry): Promise<void> {
  const summary = { ...entry.summary, sessionId: entry.summary.sessionId ?? (await continuedSession(database, entry)) ?? entry.summary.id };
  // The bodies go in before the row, so the row is inserted once with its body size: a second statement
  // updating it would rewrite the row and its has_body index entry for every request.
  const body = entry.bodies ? await storeBodyParts(database, entry.bodies) : undefined;
  const usage = summary.usage;
  const values: SqlValue[] = [
    summary.id, summary.startedAt, summary.durationMs, summary.ttftMs, summary.protocol, summary.method, summary.path, summary.stream ? 1 : 0,
    summary.status, summary.errorKind, summary.errorMessage, summary.requestedModel, summary.responseModel, summary.provider, summary.providerModel,
    summary.servedPath, summary.clientKeyHash, summary.userAgent, summary.remoteAddress, summary.sessionId, summary.agentId, summary.parentAgentId,
    summary.conversationId, summary.responseId, summary.previousResponseId, usage?.inputTokens ?? null, usage?.outputTokens ?? null,
    usage?.cacheCreationInputTokens ?? null, usage?.cacheReadInputTokens ?? null, usage?.reasoningTokens ?? null, summary.stopReason,
    summary.toolNames, summary.agentToolNames, summary.preview, JSON.stringify(entry.details), body ? 1 : 0, body?.ownBytes ?? 0,
  ];
  const [inserted] = await database.all<{ seq: number }>(
    `INSERT INTO inspector_requests (id, started_at, duration_ms, ttft_ms, protocol, method, path, stream, status, error_kind, error_message,
       requested_model, response_model, provider, provider_model, served_path, client_key_hash, user_agent, remote_address, session_id, agent_id,
       parent_agent_id, conversation_id, response_id, previous_response_id, input_tokens, output_tokens, cache_write_tokens, cache_read_tokens,
       reasoning_tokens, stop_reason, tool_names, agent_tool_names, preview, details_json, has_body, body_bytes)
     VALUES (${values.map(() => "?").join(", ")})
     ON CONFLICT (id) DO NOTHING RETURNING seq`,
    values,
  );
  // A request id stored before keeps its row; blobs added for it above hold no reference and retention frees them.
  if (!inserted || !body) return;
  for (const hash of body.references) await database.run("UPDATE inspector_blobs SET refs = refs + 1 WHERE hash = ?", [hash]);
  await database.run("INSERT INTO inspector_bodies (seq, request_json, response_json, events_json, blob_refs, bytes) VALUES (?, ?, ?, ?, ?, ?)", [
    inserted.seq, body.requestJson, body.responseJson, body.eventsJson, body.references.join(" "), body.ownBytes,
  ]);
}

/** Stores the blobs of a request's bodies and returns the texts of its own body row, not yet written. */
async function storeBodyParts(database: RelayDatabase, bodies: InspectorBodies) {
  const compacted = compactRequestBody(bodies.request);
  const references = compacted.blobs.map((blob) => blob.hash);
  const blobs: BlobRecord[] = [...compacted.blobs];
  if (compacted.prefix) {
    const known = await knownPrefixLength(database, compacted.prefix.pending.hashes);
    const { node, tip } = completePrefix(compacted, known);
    if (node) blobs.push(node);
    if (tip) references.push(tip);
  }
  let newBlobBytes = 0;
  for (const blob of uniqueBlobs(blobs)) if (await ensureBlob(database, blob)) newBlobBytes += blob.content.length;
  const requestJson = JSON.stringify(compacted.document);
  const responseJson = JSON.stringify(bodies.response);
  const eventsJson = JSON.stringify(bodies.events);
  // What this request added: its own rows and the blobs no earlier request had stored.
  const ownBytes = requestJson.length + responseJson.length + eventsJson.length + newBlobBytes;
  return { requestJson, responseJson, eventsJson, references: [...new Set(references)], ownBytes };
}

/** The session of the request this one continues: by previous_response_id, else by conversation fingerprint. */
async function continuedSession(database: RelayDatabase, entry: InspectorEntry): Promise<string | undefined> {
  if (entry.summary.previousResponseId) {
    const [row] = await database.all<{ session_id: string | null }>("SELECT session_id FROM inspector_requests WHERE response_id = ? LIMIT 1", [entry.summary.previousResponseId]);
    if (row?.session_id) return row.session_id;
  }
  if (entry.continuesConversation) {
    const [row] = await database.all<{ session_id: string | null }>(
      "SELECT session_id FROM inspector_requests WHERE conversation_id = ? ORDER BY seq DESC LIMIT 1",
      [entry.continuesConversation],
    );
    if (row?.session_id) return row.session_id;
  }
  return undefined;
}

/** How many leading messages are already stored as a prefix node (0 for none). */
async function knownPrefixLength(database: RelayDatabase, hashes: string[]): Promise<number> {
  let known = 0;
  for (let start = 0; start < hashes.length; start += 200) {
    const chunk = hashes.slice(start, start + 200);
    const rows = await database.all<{ hash: string }>(`SELECT hash FROM inspector_blobs WHERE hash IN (${chunk.map(() => "?").join(",")})`, chunk);
    const found = new Set(rows.map((row) => row.hash));
    chunk.forEach((hash, index) => {
      if (found.has(hash)) known = start + index + 1;
    });
  }
  return known;
}

function uniqueBlobs(blobs: BlobRecord[]): BlobRecord[] {
  return [...new Map(blobs.map((blob) => [blob.hash, blob])).values()];
}

/** Inserts a blob unless present (true when it was new); a new blob takes a reference on each of its children. */
async function ensureBlob(database: RelayDatabase, blob: BlobRecord): Promise<boolean> {
  const added = await database.run(
    "INSERT INTO inspector_blobs (hash, kind, content, children, refs, bytes) VALUES (?, ?, ?, ?, 0, ?) ON CONFLICT (hash) DO NOTHING",
    [blob.hash, blob.kind, blob.content, blob.children.join(" "), blob.content.length],
  );
  if (added) for (const child of blob.children) await database.run("UPDATE inspector_blobs SET refs = refs + 1 WHERE hash = ?", [child]);
  return added > 0;
}

async function deleteBody(database: RelayDatabase, seq: number): Promise<number> {
  const [body] = await database.all<{ blob_refs: string }>("SELECT blob_refs FROM inspector_bodies WHERE seq = ?", [seq]);
  if (!body) return 0;
  for (const hash of body.blob_refs.split(" ").filter(Boolean)) await database.run("UPDATE inspector_blobs SET refs = refs - 1 WHERE hash = ?", [hash]);
  await database.run("DELETE FROM inspector_bodies WHERE seq = ?", [seq]);
  await database.run("UPDATE inspector_requests SET has_body = 0, body_bytes = 0 WHERE seq = ?", [seq]);
  return 1;
}

/** Frees blobs nothing refers to, releasing their children; at most `limit` per call. */
async function sweepBlobs(database: RelayDatabase, limit: number): Promise<number> {
  let freed = 0;
  while (freed < limit) {
    const rows = await database.all<{ hash: string; children: string }>("SELECT hash, children FROM inspector_blobs WHERE refs <= 0 LIMIT ?", [Math.min(200, limit - freed)]);
    if (rows.length === 0) break;
    for (const row of rows) {
      await database.run("DELETE FROM inspector_blobs WHERE hash = ?", [row.hash]);
      for (const child of row.children.split(" ").filter(Boolean)) await database.run("UPDATE inspector_blobs SET refs = refs - 1 WHERE hash = ?", [child]);
      freed++;
    }
  }
  return freed;
}

function pageOf(rows: SummaryRow[], limit: number): InspectorPage {
  const items = rows.slice(0, limit).map(summaryFromRow);
  return { items, nextCursor: rows.length > limit ? items.at(-1)!.seq : null };
}

async function readGramStats(database: RelayDatabase): Promise<GramStats | undefined> {
  const [row] = await database.all<{ grams_json: string | null; shares_json: string | null }>(
    `SELECT to_json(most_common_elems::text::text[])::text AS grams_json, to_json(most_common_elem_freqs)::text AS shares_json
     FROM pg_stats WHERE schemaname = current_schema() AND tablename = 'inspector_requests_preview_grams'`,
  );
  if (!row?.grams_json || !row.shares_json) return undefined;
  const grams = JSON.parse(row.grams_json) as string[];
  // One share per gram, then the lowest and the highest of them and the share of nulls.
  const shares = JSON.parse(row.shares_json) as number[];
  if (grams.length === 0 || shares.length < grams.length + 1) return undefined;
  return { shares: new Map(grams.map((gram, index) => [gram, shares[index]])), unlisted: shares[grams.length] / 2 };
}

/**
 * The grams of `text` (lowercased, at least 4 characters) to ask the gram index for, rarest first, and the
 * estimated share of rows holding all of them (independence assumed; a gram overlapping one already chosen
 * counts for less). A gram is added when reading its list (its share of the rows) costs less than the rechecks
 * it saves (`recheckCost` list entries per row checked). Grams commoner than `maxGramShare` are never read,
 * nor more than 8. Exported for tests.
 */
export function choosePreviewGrams(text: string, stats: GramStats): { grams: string[]; share: number } {
  const characters = [...text];
  const positions = new Map<string, number[]>();
  for (let index = 0; index + 4 <= characters.length; index++) {
    const gram = characters.slice(index, index + 4).join("");
    positions.set(gram, [...(positions.get(gram) ?? []), index]);
  }
  const ranked = [...positions].map(([gram, at]) => ({ gram, at, share: stats.shares.get(gram) ?? stats.unlisted })).sort((a, b) => a.share - b.share);
  const chosen: typeof ranked = [];
  let share = 1;
  for (const candidate of ranked) {
    if (candidate.share > maxGramShare || chosen.length === 8) break;
    // A gram sharing k characters with one already chosen says less: its share counts as share^((4 - k) / 4).
    const overlap = Math.min(...candidate.at.map((a) => Math.max(0, ...chosen.flatMap((other) => other.at.map((b) => 4 - Math.abs(a - b))))));
    const factor = candidate.share ** ((4 - overlap) / 4);
    if (chosen.length > 0 && candidate.share >= share * (1 - factor) * recheckCost) continue;
    chosen.push(candidate);
    share *= factor;
  }
  return { grams: chosen.map((candidate) => candidate.gram), share };
}

/**
 * The longest run (two characters or more) of ASCII characters that are not letters in the lowercased text:
 * digits, spaces and punctuation, which lowercasing neither changes nor produces from any other character, so
 * a row whose lowercased preview holds the text holds this run in its preview as it is. Checking it first
 * spares `lower()` on most rows (" 42" for "module 42"); undefined when the text has no such run.
 */
export function uncasedRun(text: string): string | undefined {
  const runs = text.match(/[\x20-\x40\x5b-\x60\x7b-\x7e]{2,}/g) ?? [];
  return runs.sort((a, b) => b.length - a.length)[0];
}

/** A PostgreSQL array literal of texts. */
function arrayLiteral(values: string[]): string {
  return `{${values.map((value) => `"${value.replace(/["\\]/g, (character) => `\\${character}`)}"`).join(",")}}`;
}

function likePattern(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
}

/** The list query (one more row than a page, to know whether another follows); exported for plan tests. */
export function listStatement(filter: InspectorFilter, options: { before?: number; limit: number }): { sql: string; params: SqlValue[] } {
  const { where, params } = filterClause(filter);
  if (options.before !== undefined) {
    where.push("seq < ?");
    params.push(options.before);
  }
  return newestRowsStatement(where, params, options.limit + 1);
}

/** Summary rows meeting every condition (each `?` bound in order from `params`), newest first, at most `limit`. */
function newestRowsStatement(where: string[], params: SqlValue[], limit: number): { sql: string; params: SqlValue[] } {
  const sql = `SELECT ${summaryColumns} FROM inspector_requests ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY seq DESC LIMIT ?`;
  return { sql, params: [...params, limit] };
}

function filterClause(filter: InspectorFilter): { where: string[]; params: SqlValue[] } {
  const where: string[] = [];
  const params: SqlValue[] = [];
  const equal = (column: string, value: string | undefined) => {
    if (value === undefined || value === "") return;
    where.push(`${column} = ?`);
    params.push(value);
  };
  equal("provider", filter.provider);
  equal("requested_model", filter.model);
  equal("session_id", filter.session);
  equal("conversation_id", filter.conversation);
  equal("served_path", filter.served);
  if (filter.status === "error") where.push("status >= 400");
  else if (filter.status) {
    where.push("status = ?");
    params.push(Number(filter.status));
  }
  if (filter.client) {
    where.push("client_key_hash LIKE ?");
    params.push(`${filter.client.replace(/[^0-9a-f]/gi, "")}%`);
  }
  if (filter.starred) where.push("starred = 1");
  if (filter.text) {
    // Matched against the preview (the last user message): on PostgreSQL through the pg_trgm index; on SQLite
    // for text shorter than a trigram, which no index answers, and to check the word index's candidates
    // (listTextMatches).
    where.push("lower(preview) LIKE ? ESCAPE '\\'");
    params.push(likePattern(filter.text));
  }
  return { where, params };
}
