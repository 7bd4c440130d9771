import type { ProcessBackendObserver } from "../backends/claude/process-backend-observer.ts";
import type { BackendLoad } from "../core/relay-backend.ts";

/**
 * A small Prometheus text-format registry (counters, gauges, histograms with labels) and the relay's metrics.
 * Hand-rolled because the exposition subset we need is tiny; the format rules followed are the ones
 * prom-client implements: escaped label values, cumulative buckets with +Inf, a trailing newline.
 */

type Labels = Record<string, string>;

function labelKey(labels: Labels): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
}

function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function formatLabels(labels: Labels, extra?: Labels): string {
  const all = { ...labels, ...extra };
  const entries = Object.entries(all);
  if (entries.length === 0) return "";
  return `{${entries.map(([key, value]) => `${key}="${escapeLabelValue(value)}"`).join(",")}}`;
}

function formatNumber(value: number): string {
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  if (Number.isNaN(value)) return "NaN";
  return String(value);
}

interface Metric {
  name: string;
  render(): string;
  toJSON(): unknown;
}

/**
 * Label values that come from outside (model names a client sends, passed through to a provider) get a
 * fixed budget per counter: the first values seen are kept, later new ones are counted as "other", so a
 * client inventing a name per request cannot grow memory and every scrape without bound.
 */
const modelLabelNames = new Set(["model", "provider_model"]);
const maxValuesPerModelLabel = 20;

export class Counter implements Metric {
  private readonly values = new Map<string, { labels: Labels; value: number }>();
  constructor(readonly name: string, private readonly help: string) {}

  private readonly modelLabelValues = new Map<string, Set<string>>();

  inc(labels: Labels = {}, by = 1): void {
    labels = this.boundModelLabels(labels);
    const key = labelKey(labels);
    const entry = this.values.get(key) ?? { labels, value: 0 };
    entry.value += by;
    this.values.set(key, entry);
  }

  get(labels: Labels = {}): number {
    return this.values.get(labelKey(labels))?.value ?? 0;
  }

  private boundModelLabels(labels: Labels): Labels {
    let bounded = labels;
    for (const [name, value] of Object.entries(labels)) {
      if (!modelLabelNames.has(name)) continue;
      const seen = this.modelLabelValues.get(name) ?? new Set<string>();
      this.modelLabelValues.set(name, seen);
      if (seen.has(value)) continue;
      if (seen.size < maxValuesPerModelLabel) seen.add(value);
      else bounded = { ...bounded, [name]: "other" };
    }
    return bounded;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const { labels, value } of this.values.values()) lines.push(`${this.name}${formatLabels(labels)} ${formatNumber(value)}`);
    return lines.join("\n") + "\n";
  }

  toJSON(): unknown {
    return [...this.values.values()];
  }
}

export class Gauge implements Metric {
  constructor(readonly name: string, private readonly help: string, private readonly read: () => number) {}

  render(): string {
    return `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} gauge\n${this.name} ${formatNumber(this.read())}\n`;
  }

  toJSON(): unknown {
    return this.read();
  }
}

export class Histogram implements Metric {
  private readonly series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
  constructor(readonly name: string, private readonly help: string, private readonly buckets: number[]) {}

  observe(labels: Labels, value: number): void {
    const key = labelKey(labels);
    let entry = this.series.get(key);
    if (!entry) {
      entry = { labels, counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.series.set(key, entry);
    }
    this.buckets.forEach((bound, index) => {
      if (value <= bound) entry!.counts[index]++;
    });
    entry.sum += value;
    entry.count++;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const { labels, counts, sum, count } of this.series.values()) {
      this.buckets.forEach((bound, index) => {
        lines.push(`${this.name}_bucket${formatLabels(labels, { le: formatNumber(bound) })} ${counts[index]}`);
      });
      lines.push(`${this.name}_bucket${formatLabels(labels, { le: "+Inf" })} ${count}`);
      lines.push(`${this.name}_sum${formatLabels(labels)} ${formatNumber(sum)}`);
      lines.push(`${this.name}_count${formatLabels(labels)} ${count}`);
    }
    return lines.join("\n") + "\n";
  }

  toJSON(): unknown {
    return [...this.series.values()].map(({ labels, sum, count }) => ({ labels, sum, count, mean: count ? sum / count : 0 }));
  }
}

const latencyBuckets = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/** The relay's metrics. Gauges read live values from the functions given. */
export class RelayMetrics {
  readonly requests = new Counter("agent_relay_requests_total", "Requests by route, status and model.");
  readonly duration = new Histogram("agent_relay_request_duration_seconds", "Request duration, to the last byte.", latencyBuckets);
  readonly timeToFirstToken = new Histogram(
    "agent_relay_time_to_first_token_seconds",
    "Time from request arrival to the first generated token.",
    latencyBuckets,
  );
  readonly cliFailures = new Counter("agent_relay_cli_failures_total", "Requests the CLI failed, by reason.");
  readonly tokens = new Counter("agent_relay_tokens_total", "Tokens reported by the backend, by kind and model.");
  readonly toolRoundsHeld = new Counter("agent_relay_tool_rounds_held_total", "Answers that ended with client tool calls while the CLI kept waiting.");
  readonly continuations = new Counter(
    "agent_relay_conversation_continuations_total",
    "Requests that continued a conversation, by path: hold (tool results to a waiting CLI), live (next turn to an idle CLI), replay.",
  );
  readonly liveEnded = new Counter("agent_relay_live_conversations_ended_total", "Kept CLI processes ended without a continuation, by kind (tools, idle) and reason.");
  readonly keptDuration = new Histogram(
    "agent_relay_live_conversation_kept_seconds",
    "How long a CLI was kept for its conversation, by kind and outcome.",
    [0.1, 0.5, 1, 5, 15, 60, 300, 600, 1800],
  );
  readonly poolRequests = new Counter("agent_relay_warm_pool_requests_total", "New conversations by warm-pool result: hit, or miss with a reason.");
  readonly poolSpawns = new Counter("agent_relay_warm_pool_spawns_total", "Warm processes started.");
  readonly poolEvictions = new Counter("agent_relay_warm_pool_evictions_total", "Warm processes ended unused, by reason.");
  readonly turnStart = new Histogram(
    "agent_relay_cli_turn_start_seconds",
    "Time from request arrival to the CLI starting the turn, by how the process was found (cold, warm, live).",
    [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  );
  readonly inspectorDropped = new Counter(
    "agent_relay_inspector_dropped_total",
    "Request log writes dropped because the writer fell behind, by what: bodies (the row was kept) or rows.",
  );
  readonly recycleClears = new Histogram("agent_relay_cli_clears_seconds", "CLI processes cleared (/clear) for another conversation, by how long the clear took.", [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5]);
  readonly recycleReuses = new Histogram("agent_relay_cli_reuses", "New conversations served by a recycled CLI process, by how many conversations that process has served.", [2, 4, 8, 16, 32, 64, 128, 256]);
  readonly recycleRetired = new Counter("agent_relay_cli_retired_total", "CLI processes ended instead of recycled, by reason (conversations, age, memory, unhealthy, clear-failed).");
  readonly recycleRegrets = new Counter("agent_relay_cli_takeover_regrets_total", "Conversations replayed after a new conversation had taken over their idle process.");
  readonly recycleEvictions = new Counter("agent_relay_ready_evictions_total", "Cleared CLI processes ended unused, by reason.");
  private readonly metrics: Metric[];

  /** `load` reports the backends' load; the process gauges read the claude backend's details by name. */
  constructor(load: () => BackendLoad) {
    const detail = (name: string) => () => load().details?.[name] ?? 0;
    this.metrics = [
      this.requests,
      this.duration,
      this.timeToFirstToken,
      this.cliFailures,
      this.tokens,
      this.toolRoundsHeld,
      this.continuations,
      this.liveEnded,
      this.keptDuration,
      this.poolRequests,
      this.poolSpawns,
      this.poolEvictions,
      this.turnStart,
      this.inspectorDropped,
      this.recycleClears,
      this.recycleReuses,
      this.recycleRetired,
      this.recycleRegrets,
      this.recycleEvictions,
      new Gauge("agent_relay_ready_processes", "Cleared CLI processes ready for a new conversation of the same client and settings.", detail("ready_processes")),
      new Gauge("agent_relay_cli_memory_bytes", "Memory the CLI processes use (PSS of their process groups on Linux, an estimate elsewhere).", detail("memory_in_use_bytes")),
      new Gauge("agent_relay_cli_memory_budget_bytes", "The memory budget of the CLI processes (--max-memory).", detail("memory_budget_bytes")),
      new Gauge("agent_relay_held_tool_rounds", "CLI processes waiting for client tool results.", detail("held_tool_rounds")),
      new Gauge("agent_relay_live_conversations", "CLI processes kept for their conversation (waiting for tool results or the next turn).", detail("live_conversations")),
      new Gauge("agent_relay_warm_processes", "Warm CLI processes ready for new conversations.", detail("warm_processes")),
      new Gauge("agent_relay_active_requests", "Requests holding a CLI slot.", () => load().active),
      new Gauge("agent_relay_queued_requests", "Requests waiting for a CLI slot.", () => load().queued),
      new Gauge("agent_relay_cli_processes", "Live CLI processes.", detail("cli_processes")),
      new Gauge("process_resident_memory_bytes", "Resident memory of the relay process.", () => process.memoryUsage().rss),
      new Gauge("process_start_time_seconds", "Start time of the relay, in seconds since the epoch.", () => Math.floor(startedAt / 1000)),
    ];
  }

  /** A backend's pool, conversation and start-up events, recorded here. */
  processBackendObserver(): ProcessBackendObserver {
    return {
      pool: {
        hit: () => this.poolRequests.inc({ result: "hit" }),
        miss: (reason) => this.poolRequests.inc({ result: `miss_${reason}` }),
        spawned: () => this.poolSpawns.inc(),
        evicted: (reason) => this.poolEvictions.inc({ reason }),
      },
      conversations: {
        held: () => this.toolRoundsHeld.inc(),
        continued: (path, keptMs) => {
          this.continuations.inc({ path });
          if (keptMs !== undefined) this.keptDuration.observe({ kind: path === "hold" ? "tools" : "idle", outcome: "continued" }, keptMs / 1000);
        },
        ended: (kind, reason, keptMs) => {
          this.liveEnded.inc({ kind, reason });
          this.keptDuration.observe({ kind, outcome: reason }, keptMs / 1000);
        },
      },
      recycle: {
        cleared: (seconds) => this.recycleClears.observe({}, seconds),
        reused: (conversations) => this.recycleReuses.observe({}, conversations),
        retired: (reason) => this.recycleRetired.inc({ reason }),
        regretted: () => this.recycleRegrets.inc(),
        evicted: (reason) => this.recycleEvictions.inc({ reason }),
      },
      turnStarted: (source, seconds) => this.turnStart.observe({ source }, seconds),
    };
  }

  /** Prometheus text exposition format 0.0.4. */
  render(): string {
    return this.metrics.map((metric) => metric.render()).join("");
  }

  toJSON(): Record<string, unknown> {
    return Object.fromEntries(this.metrics.map((metric) => [metric.name, metric.toJSON()]));
  }
}

const startedAt = Date.now();
