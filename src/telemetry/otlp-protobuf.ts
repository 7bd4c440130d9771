/**
 * OTLP/HTTP protobuf bodies (ExportTraceServiceRequest, ExportMetricsServiceRequest) for the spans and
 * metrics the relay builds in OTLP's JSON shape, encoded by OpenTelemetry's own serialisers
 * (@opentelemetry/otlp-transformer). Those take the SDK's span and metric objects; the relay keeps no SDK,
 * so this file adapts its OTLP-shaped records to the few fields the serialisers read.
 */
import { ProtobufMetricsSerializer, ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";
import type { OtlpAttribute, OtlpSpan, OtlpValue } from "./otlp-exporter.ts";

type SdkSpan = Parameters<typeof ProtobufTraceSerializer.serializeRequest>[0][number];
type SdkResourceMetrics = Parameters<typeof ProtobufMetricsSerializer.serializeRequest>[0];
type SdkMetric = SdkResourceMetrics["scopeMetrics"][number]["metrics"][number];
type AttributeValue = string | number | boolean | AttributeValue[];
type HrTime = [seconds: number, nanoseconds: number];

/** The SDK's enum values, as @opentelemetry/sdk-metrics and @opentelemetry/api define them. */
const dataPointType = { histogram: 0, gauge: 2, sum: 3 } as const;
const cumulative = 1;
const doubleValues = 1;

/** A metric as prometheus-to-otlp.ts builds it (OTLP's JSON mapping). */
interface OtlpJsonMetric {
  name: string;
  description?: string;
  sum?: { isMonotonic: boolean; dataPoints: OtlpJsonNumberPoint[] };
  gauge?: { dataPoints: OtlpJsonNumberPoint[] };
  histogram?: { dataPoints: OtlpJsonHistogramPoint[] };
}

interface OtlpJsonNumberPoint {
  attributes: OtlpAttribute[];
  startTimeUnixNano?: string;
  timeUnixNano: string;
  asDouble: number;
}

interface OtlpJsonHistogramPoint {
  attributes: OtlpAttribute[];
  startTimeUnixNano: string;
  timeUnixNano: string;
  count: string;
  sum: number;
  bucketCounts: string[];
  explicitBounds: number[];
}

const scope = { name: "agent-relay", version: "1" };

export function encodeTraceRequest(resourceAttributes: OtlpAttribute[], spans: OtlpSpan[]): Uint8Array {
  // The serialiser groups spans by resource and scope object identity: one of each for the whole batch.
  const resource = { attributes: attributesObject(resourceAttributes) };
  const sdkSpans = spans.map((span) => sdkSpanOf(span, resource));
  return ProtobufTraceSerializer.serializeRequest(sdkSpans) ?? new Uint8Array();
}

export function encodeMetricsRequest(resourceAttributes: OtlpAttribute[], metrics: unknown[]): Uint8Array {
  const request = {
    resource: { attributes: attributesObject(resourceAttributes) },
    scopeMetrics: [{ scope, metrics: (metrics as OtlpJsonMetric[]).flatMap(sdkMetricOf) }],
  };
  return ProtobufMetricsSerializer.serializeRequest(request as unknown as SdkResourceMetrics) ?? new Uint8Array();
}

function sdkSpanOf(span: OtlpSpan, resource: { attributes: Record<string, AttributeValue> }): SdkSpan {
  const context = { traceId: span.traceId, spanId: span.spanId, traceFlags: 1 };
  const adapted = {
    name: span.name,
    // The SDK numbers kinds from 0 (internal); OTLP from 1, which the serialiser adds back.
    kind: span.kind - 1,
    spanContext: () => context,
    parentSpanContext: span.parentSpanId ? { traceId: span.traceId, spanId: span.parentSpanId, traceFlags: 1 } : undefined,
    startTime: hrTimeOf(span.startTimeUnixNano),
    endTime: hrTimeOf(span.endTimeUnixNano),
    attributes: attributesObject(span.attributes),
    status: span.status ?? { code: 0 },
    events: [],
    links: [],
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
    resource,
    instrumentationScope: scope,
  };
  return adapted as unknown as SdkSpan;
}

function sdkMetricOf(metric: OtlpJsonMetric): SdkMetric[] {
  const descriptor = { name: metric.name, description: metric.description ?? "", unit: "", valueType: doubleValues };
  const numberPoint = (point: OtlpJsonNumberPoint) => ({
    attributes: attributesObject(point.attributes),
    startTime: point.startTimeUnixNano ? hrTimeOf(point.startTimeUnixNano) : ([0, 0] as HrTime),
    endTime: hrTimeOf(point.timeUnixNano),
    value: point.asDouble,
  });
  let adapted: object;
  if (metric.sum) {
    adapted = { descriptor, dataPointType: dataPointType.sum, aggregationTemporality: cumulative, isMonotonic: metric.sum.isMonotonic, dataPoints: metric.sum.dataPoints.map(numberPoint) };
  } else if (metric.gauge) {
    adapted = { descriptor, dataPointType: dataPointType.gauge, aggregationTemporality: cumulative, dataPoints: metric.gauge.dataPoints.map(numberPoint) };
  } else if (metric.histogram) {
    const dataPoints = metric.histogram.dataPoints.map((point) => ({
      attributes: attributesObject(point.attributes),
      startTime: hrTimeOf(point.startTimeUnixNano),
      endTime: hrTimeOf(point.timeUnixNano),
      value: { count: Number(point.count), sum: point.sum, buckets: { boundaries: point.explicitBounds, counts: point.bucketCounts.map(Number) } },
    }));
    adapted = { descriptor, dataPointType: dataPointType.histogram, aggregationTemporality: cumulative, dataPoints };
  } else {
    return [];
  }
  return [adapted as unknown as SdkMetric];
}

/** "1733140000123456789" (nanoseconds since the epoch, as OTLP's JSON writes them) as [seconds, nanoseconds]. */
function hrTimeOf(unixNano: string): HrTime {
  const nanoseconds = BigInt(unixNano);
  return [Number(nanoseconds / 1_000_000_000n), Number(nanoseconds % 1_000_000_000n)];
}

function attributesObject(attributes: OtlpAttribute[]): Record<string, AttributeValue> {
  const result: Record<string, AttributeValue> = {};
  for (const { key, value } of attributes) result[key] = plainValue(value);
  return result;
}

function plainValue(value: OtlpValue): AttributeValue {
  if ("stringValue" in value) return value.stringValue;
  if ("intValue" in value) return Number(value.intValue);
  if ("doubleValue" in value) return value.doubleValue;
  if ("boolValue" in value) return value.boolValue;
  return value.arrayValue.values.map(plainValue);
}
