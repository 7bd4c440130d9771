/**
 * OTLP over HTTP, configured by the standard OTEL_* variables. Spans are batched and sent on a timer; a full
 * queue drops spans (counted) instead of growing, and a slow or failing collector never blocks a request.
 *
 * Encoding: `http/protobuf` unless OTEL_EXPORTER_OTLP_PROTOCOL (or its _TRACES_ / _METRICS_ variant) says
 * `http/json`. The OTLP exporter specification makes http/protobuf the default transport ("SDKs SHOULD
 * default to http/protobuf"), and it is the one encoding every collector and vendor endpoint accepts;
 * `grpc` is not offered (the relay has no gRPC client): it falls back to http/protobuf with a warning.
 * Records are built in OTLP 1.x's JSON mapping (hex trace and span ids, string-encoded 64-bit integers,
 * camelCase names); protobuf bodies are encoded from them by OpenTelemetry's own serialisers
 * (otlp-protobuf.ts). The SDK itself is not used: it brings context managers, resource detectors and
 * instrumentation the relay does not need for one span per request.
 */
import type { Logger } from "../util/logger.ts";

/** An attribute value as OTLP encodes it. */
export type OtlpValue = { stringValue: string } | { intValue: string } | { doubleValue: number } | { boolValue: boolean } | { arrayValue: { values: OtlpValue[] } };
export type OtlpAttribute = { key: string; value: OtlpValue };

export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** 1 internal, 2 server, 3 client. */
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: OtlpAttribute[];
  status?: { code: number; message?: string };
}

export type OtlpProtocol = "http/protobuf" | "http/json";

/**
 * The protobuf encoder, loaded with the first protobuf export: OpenTelemetry's serialisers take about 80 ms
 * and 20 MB to load, which a relay without OTEL_EXPORTER_OTLP_ENDPOINT (the default) should not pay at start.
 */
let protobufEncoder: Promise<typeof import("./otlp-protobuf.ts")> | undefined;
const loadProtobufEncoder = () => (protobufEncoder ??= import("./otlp-protobuf.ts"));

export interface OtlpConfig {
  tracesUrl: string;
  metricsUrl: string;
  tracesProtocol: OtlpProtocol;
  metricsProtocol: OtlpProtocol;
  /** Settings that could not be followed, for the exporter to log once. */
  warnings: string[];
  headers: Record<string, string>;
  resource: OtlpAttribute[];
  captureContent: boolean;
  metricIntervalMs: number;
}

/** The exporter's settings from OTEL_* variables; undefined when no endpoint is set (telemetry off). */
export function otlpConfigFromEnvironment(env: Record<string, string | undefined>, version: string): OtlpConfig | undefined {
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.replace(/\/+$/, "");
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  const metrics = env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT;
  if (!base && !traces && !metrics) return undefined;
  if (env.OTEL_SDK_DISABLED === "true") return undefined;
  const resource: OtlpAttribute[] = [attribute("service.name", env.OTEL_SERVICE_NAME || "agent-relay"), attribute("service.version", version)];
  for (const [key, value] of parsePairs(env.OTEL_RESOURCE_ATTRIBUTES)) if (key !== "service.name" || !env.OTEL_SERVICE_NAME) resource.push(attribute(key, value));
  const warnings: string[] = [];
  const protocol = (name: string, fallback: OtlpProtocol): OtlpProtocol => {
    const value = env[name]?.trim();
    if (!value) return fallback;
    if (value === "http/protobuf" || value === "http/json") return value;
    warnings.push(`${name}=${value} is not supported (the relay sends OTLP over HTTP: http/protobuf or http/json); sending http/protobuf`);
    return "http/protobuf";
  };
  const defaultProtocol = protocol("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf");
  return {
    tracesUrl: traces || `${base}/v1/traces`,
    metricsUrl: metrics || `${base}/v1/metrics`,
    tracesProtocol: protocol("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", defaultProtocol),
    metricsProtocol: protocol("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", defaultProtocol),
    warnings,
    headers: { ...Object.fromEntries(parsePairs(env.OTEL_EXPORTER_OTLP_HEADERS)), ...Object.fromEntries(parsePairs(env.OTEL_EXPORTER_OTLP_TRACES_HEADERS)) },
    resource,
    captureContent: env.OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT === "true",
    metricIntervalMs: Number(env.OTEL_METRIC_EXPORT_INTERVAL) > 0 ? Number(env.OTEL_METRIC_EXPORT_INTERVAL) : 60_000,
  };
}

/** "k1=v1,k2=v2" with percent-encoded values, as OTEL_EXPORTER_OTLP_HEADERS and OTEL_RESOURCE_ATTRIBUTES use. */
function parsePairs(text: string | undefined): Array<[string, string]> {
  if (!text) return [];
  return text.split(",").flatMap((pair) => {
    const index = pair.indexOf("=");
    if (index <= 0) return [];
    try {
      return [[pair.slice(0, index).trim(), decodeURIComponent(pair.slice(index + 1).trim())] as [string, string]];
    } catch {
      return [];
    }
  });
}

export function attribute(key: string, value: string | number | boolean | string[]): OtlpAttribute {
  return { key, value: otlpValue(value) };
}

function otlpValue(value: string | number | boolean | string[]): OtlpValue {
  if (Array.isArray(value)) return { arrayValue: { values: value.map((item) => ({ stringValue: item })) } };
  if (typeof value === "boolean") return { boolValue: value };
  if (typeof value === "number") return Number.isInteger(value) ? { intValue: String(value) } : { doubleValue: value };
  return { stringValue: value };
}

const scope = { name: "agent-relay", version: "1" };

export class OtlpExporter {
  private spans: OtlpSpan[] = [];
  private readonly timer: ReturnType<typeof setInterval>;
  private sending: Promise<void> = Promise.resolve();
  dropped = 0;

  constructor(
    readonly config: OtlpConfig,
    private readonly log: Logger,
    private readonly options: { flushIntervalMs?: number; maxQueued?: number; readMetrics?: () => unknown[] } = {},
  ) {
    for (const warning of config.warnings) log.warn(warning);
    this.timer = setInterval(() => void this.flush(), options.flushIntervalMs ?? 2000);
    this.timer.unref?.();
    if (options.readMetrics) {
      const metricsTimer = setInterval(() => void this.sendMetrics(), config.metricIntervalMs);
      metricsTimer.unref?.();
      this.stopMetrics = () => clearInterval(metricsTimer);
    }
  }

  private stopMetrics = () => {};

  /** Queues a span; never waits. */
  add(spans: OtlpSpan[]): void {
    const room = (this.options.maxQueued ?? 2048) - this.spans.length;
    if (room < spans.length) this.dropped += spans.length - Math.max(0, room);
    this.spans.push(...spans.slice(0, Math.max(0, room)));
    if (this.spans.length >= 512) void this.flush();
  }

  /** Sends what is queued (one POST per call); failures are logged and the batch dropped. */
  flush(): Promise<void> {
    if (this.spans.length === 0) return this.sending;
    const batch = this.spans;
    this.spans = [];
    this.sending = this.sending.then(async () => {
      const { resource, tracesProtocol } = this.config;
      const body =
        tracesProtocol === "http/json"
          ? JSON.stringify({ resourceSpans: [{ resource: { attributes: resource }, scopeSpans: [{ scope, spans: batch }] }] })
          : (await loadProtobufEncoder()).encodeTraceRequest(resource, batch);
      return this.post(this.config.tracesUrl, tracesProtocol, body, batch.length);
    });
    return this.sending;
  }

  async sendMetrics(): Promise<void> {
    const metrics = this.options.readMetrics?.() ?? [];
    if (metrics.length === 0) return;
    const { resource, metricsProtocol } = this.config;
    const body =
      metricsProtocol === "http/json"
        ? JSON.stringify({ resourceMetrics: [{ resource: { attributes: resource }, scopeMetrics: [{ scope, metrics }] }] })
        : (await loadProtobufEncoder()).encodeMetricsRequest(resource, metrics);
    await this.post(this.config.metricsUrl, metricsProtocol, body, metrics.length);
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.stopMetrics();
    await this.flush();
    if (this.options.readMetrics) await this.sendMetrics();
  }

  private async post(url: string, protocol: OtlpProtocol, body: string | Uint8Array, count: number): Promise<void> {
    try {
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": protocol === "http/json" ? "application/json" : "application/x-protobuf", ...this.config.headers },
        body,
        signal: AbortSignal.timeout(10_000),
      });
      if (!response.ok) this.log.warn("OTLP export refused", { url, status: response.status, items: count });
      await response.arrayBuffer().catch(() => undefined);
    } catch (error) {
      this.log.warn("OTLP export failed", { url, error: String(error), items: count });
    }
  }
}
