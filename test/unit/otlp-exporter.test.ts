/**
 * The OTLP exporter's settings from the standard variables, and its protobuf bodies read back by a decoder
 * written from the .proto field numbers (the collector end of test/integration/opentelemetry.test.ts).
 */
import { expect, test } from "bun:test";
import { attribute, otlpConfigFromEnvironment } from "../../src/telemetry/otlp-exporter.ts";
import { encodeMetricsRequest, encodeTraceRequest } from "../../src/telemetry/otlp-protobuf.ts";
import { prometheusTextToOtlpMetrics } from "../../src/telemetry/prometheus-to-otlp.ts";
import { decodeMetricsRequest, decodeTraceRequest } from "../support/decode-otlp-protobuf.ts";

const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/" };

test("http/protobuf is the default; OTEL_EXPORTER_OTLP_PROTOCOL and the per-signal variables choose http/json", () => {
  const defaults = otlpConfigFromEnvironment(endpoint, "1.0.0")!;
  expect([defaults.tracesProtocol, defaults.metricsProtocol, defaults.tracesUrl]).toEqual(["http/protobuf", "http/protobuf", "http://collector:4318/v1/traces"]);
  const json = otlpConfigFromEnvironment({ ...endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: "http/json" }, "1.0.0")!;
  expect([json.tracesProtocol, json.metricsProtocol]).toEqual(["http/json", "http/json"]);
  const mixed = otlpConfigFromEnvironment({ ...endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: "http/json", OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: "http/protobuf" }, "1.0.0")!;
  expect([mixed.tracesProtocol, mixed.metricsProtocol]).toEqual(["http/json", "http/protobuf"]);
  expect(mixed.warnings).toEqual([]);
});

test("grpc, which the relay cannot send, falls back to http/protobuf with a warning naming the variable", () => {
  const config = otlpConfigFromEnvironment({ ...endpoint, OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "grpc" }, "1.0.0")!;
  expect(config.tracesProtocol).toBe("http/protobuf");
  expect(config.warnings).toHaveLength(1);
  expect(config.warnings[0]).toContain("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=grpc");
});

test("a span's ids, kind, times, attributes of every type, parent and status survive the protobuf encoding", () => {
  const span = {
    traceId: "0af7651916cd43dd8448eb211c80319c",
    spanId: "b7ad6b7169203331",
    parentSpanId: "00f067aa0ba902b7",
    name: "chat claude-sonnet-4-5",
    kind: 3,
    startTimeUnixNano: "1764672000123456789",
    endTimeUnixNano: "1764672001987654321",
    attributes: [
      attribute("gen_ai.request.model", "claude-sonnet-4-5"),
      attribute("gen_ai.usage.input_tokens", 240),
      attribute("gen_ai.response.time_to_first_chunk", 0.25),
      attribute("gen_ai.response.finish_reasons", ["tool_use"]),
      attribute("error", false),
    ],
    status: { code: 2, message: "upstream failed" },
  };
  const decoded = decodeTraceRequest(encodeTraceRequest([attribute("service.name", "agent-relay")], [span]));
  const [resourceSpans] = decoded.resourceSpans;
  expect(resourceSpans.resource.attributes).toEqual([{ key: "service.name", value: { stringValue: "agent-relay" } }]);
  expect(resourceSpans.scopeSpans[0].scope.name).toBe("agent-relay");
  const [read] = resourceSpans.scopeSpans[0].spans;
  expect(read).toMatchObject({ traceId: span.traceId, spanId: span.spanId, parentSpanId: span.parentSpanId, name: span.name, kind: 3, startTimeUnixNano: span.startTimeUnixNano, endTimeUnixNano: span.endTimeUnixNano, status: span.status });
  expect(read.attributes).toEqual(span.attributes);
});

test("counters, gauges and histograms from the Prometheus registry arrive as protobuf sums, gauges and explicit-bucket histograms", () => {
  const text = [
    "# HELP agent_relay_requests_total Requests.",
    "# TYPE agent_relay_requests_total counter",
    'agent_relay_requests_total{route="/v1/messages",status="200"} 3',
    "# TYPE agent_relay_active gauge",
    "agent_relay_active 2",
    "# TYPE agent_relay_request_duration_seconds histogram",
    'agent_relay_request_duration_seconds_bucket{route="/v1/messages",le="0.5"} 1',
    'agent_relay_request_duration_seconds_bucket{route="/v1/messages",le="1"} 2',
    'agent_relay_request_duration_seconds_bucket{route="/v1/messages",le="+Inf"} 3',
    'agent_relay_request_duration_seconds_sum{route="/v1/messages"} 2.75',
    'agent_relay_request_duration_seconds_count{route="/v1/messages"} 3',
    "",
  ].join("\n");
  const metrics = prometheusTextToOtlpMetrics(text, 1764672000000, 1764672060000);
  const decoded = decodeMetricsRequest(encodeMetricsRequest([attribute("service.name", "agent-relay")], metrics));
  const read = decoded.resourceMetrics[0].scopeMetrics[0].metrics;
  const byName = Object.fromEntries(read.map((metric: any) => [metric.name, metric]));
  expect(byName.agent_relay_requests_total.description).toBe("Requests.");
  expect(byName.agent_relay_requests_total.sum).toMatchObject({ isMonotonic: true, aggregationTemporality: 2 });
  expect(byName.agent_relay_requests_total.sum.dataPoints[0]).toMatchObject({ asDouble: 3, startTimeUnixNano: "1764672000000000000", timeUnixNano: "1764672060000000000" });
  expect(byName.agent_relay_requests_total.sum.dataPoints[0].attributes).toContainEqual({ key: "status", value: { stringValue: "200" } });
  expect(byName.agent_relay_active.gauge.dataPoints[0].asDouble).toBe(2);
  const histogram = byName.agent_relay_request_duration_seconds.histogram;
  expect(histogram.aggregationTemporality).toBe(2);
  expect(histogram.dataPoints[0]).toMatchObject({ count: "3", sum: 2.75, bucketCounts: ["1", "1", "1"], explicitBounds: [0.5, 1] });
});
