/**
 * OpenTelemetry export against a fake OTLP/HTTP collector: a span per request with the GenAI semantic
 * conventions' attribute names, a child span per client tool call, message contents only when asked for,
 * and the relay's metrics as OTLP metrics. The collector decodes protobuf bodies (the default encoding)
 * with a decoder written from the .proto field numbers, and JSON bodies when http/json is asked for.
 */
import Anthropic from "@anthropic-ai/sdk";
import { afterAll, expect, test } from "bun:test";
import { attributesOf, spansOf, startOtlpCollector as startCollector } from "../support/fake-otlp-collector.ts";
import { startTestRelay, type TestRelay } from "../support/test-relay.ts";

const relays: TestRelay[] = [];
const collectors: Array<ReturnType<typeof startCollector>> = [];
afterAll(async () => {
  for (const relay of relays) await relay.close();
  for (const collector of collectors) collector.stop();
});


async function waitFor<T>(read: () => T | undefined, what: string): Promise<T> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const value = read();
    if (value !== undefined) return value;
    await Bun.sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

test("a request becomes a GenAI span with usage and finish reasons, its tool call a child span; contents only when enabled; metrics arrive as OTLP protobuf by default", async () => {
  const collector = startCollector();
  collectors.push(collector);
  const relay = await startTestRelay({
    telemetryEnv: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_SERVICE_NAME: "relay-under-test", OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: "true" },
  });
  relays.push(relay);
  relay.upstream.enqueue({
    kind: "tool-use",
    text: "Checking.",
    calls: [{ id: "toolu_otel_1", name: "mcp__relay__get_weather", input: { city: "Oslo" } }],
    usage: { input_tokens: 30, output_tokens: 12, cache_read_input_tokens: 200, cache_creation_input_tokens: 10 },
  });
  const anthropic = new Anthropic({ baseURL: relay.url, apiKey: "x", maxRetries: 0 });
  await anthropic.messages.create({
    model: "sonnet",
    max_tokens: 300,
    messages: [{ role: "user", content: "Weather in Oslo?" }],
    tools: [{ name: "get_weather", description: "Weather", input_schema: { type: "object", properties: { city: { type: "string" } } } }],
  });
  const spans = await waitFor(() => {
    const all = spansOf(collector.received);
    return all.some((span: any) => span.name.startsWith("chat")) ? all : undefined;
  }, "the request span");
  const span = spans.find((item: any) => item.name === "chat sonnet");
  const attributes = attributesOf(span);
  expect(attributes["gen_ai.operation.name"]).toBe("chat");
  expect(attributes["gen_ai.provider.name"]).toBe("anthropic");
  expect(attributes["gen_ai.request.model"]).toBe("sonnet");
  expect(attributes["gen_ai.response.model"]).toBeString();
  expect(attributes["gen_ai.usage.input_tokens"]).toBe("240");
  expect(attributes["gen_ai.usage.output_tokens"]).toBe("12");
  expect(attributes["gen_ai.usage.cache_read.input_tokens"]).toBe("200");
  expect(attributes["gen_ai.usage.cache_creation.input_tokens"]).toBe("10");
  expect(attributes["gen_ai.response.finish_reasons"]).toEqual({ values: [{ stringValue: "tool_use" }] });
  expect(typeof attributes["gen_ai.response.time_to_first_chunk"]).toBe("number");
  expect(attributes["gen_ai.conversation.id"]).toBeString();
  expect(attributes["gen_ai.input.messages"]).toContain("Weather in Oslo?");
  expect(attributes["gen_ai.output.messages"]).toContain("get_weather");
  const tool = spans.find((item: any) => item.name === "execute_tool get_weather");
  expect(tool.parentSpanId).toBe(span.spanId);
  expect(tool.traceId).toBe(span.traceId);
  expect(attributesOf(tool)["gen_ai.tool.call.id"]).toBe("toolu_otel_1");
  expect(collector.received.every((item) => item.contentType === "application/x-protobuf")).toBe(true);
  const resource = collector.received.find((item) => item.path === "/v1/traces")!.body.resourceSpans[0].resource;
  expect(attributesOf(resource)["service.name"]).toBe("relay-under-test");

  // Metrics go out on shutdown at the latest.
  await relay.close();
  relays.pop();
  const metrics = collector.received.filter((item) => item.path === "/v1/metrics").flatMap((item) => item.body.resourceMetrics[0].scopeMetrics[0].metrics);
  const requests = metrics.find((metric: any) => metric.name === "agent_relay_requests_total");
  expect(requests.sum.isMonotonic).toBe(true);
  expect(requests.sum.dataPoints.some((point: any) => point.asDouble >= 1)).toBe(true);
  expect(metrics.find((metric: any) => metric.name === "agent_relay_request_duration_seconds").histogram.dataPoints[0].count).toBe("1");
}, 120_000);

test("without OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT the span carries no message contents; http/json is sent when asked for", async () => {
  const collector = startCollector();
  collectors.push(collector);
  const relay = await startTestRelay({ telemetryEnv: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "http/json" } });
  relays.push(relay);
  relay.upstream.enqueue({ kind: "text", chunks: ["private answer"] });
  const anthropic = new Anthropic({ baseURL: relay.url, apiKey: "x", maxRetries: 0 });
  await anthropic.messages.create({ model: "haiku", max_tokens: 50, messages: [{ role: "user", content: "private question" }] });
  const spans = await waitFor(() => {
    const all = spansOf(collector.received);
    return all.length ? all : undefined;
  }, "a span");
  expect(collector.received.find((item) => item.path === "/v1/traces")!.contentType).toBe("application/json");
  const text = JSON.stringify(spans);
  expect(text).toContain("gen_ai.usage.output_tokens");
  expect(text).not.toContain("private question");
  expect(text).not.toContain("private answer");
}, 120_000);
