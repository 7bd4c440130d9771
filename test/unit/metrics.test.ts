import { describe, expect, test } from "bun:test";
import { Counter, Gauge, Histogram, RelayMetrics } from "../../src/server/metrics.ts";

/** Sample lines only (no HELP/TYPE). */
const samples = (text: string) => text.split("\n").filter((line) => line !== "" && !line.startsWith("#"));

describe("Counter", () => {
  test("HELP and TYPE lines first, then one sample per label set, and a trailing newline", () => {
    const counter = new Counter("relay_requests_total", "Requests by route.");
    counter.inc({ route: "/v1/messages", status: "200" });
    counter.inc({ route: "/v1/messages", status: "200" });
    counter.inc({ route: "/v1/chat/completions", status: "429" }, 3);
    expect(counter.render()).toBe(
      [
        "# HELP relay_requests_total Requests by route.",
        "# TYPE relay_requests_total counter",
        'relay_requests_total{route="/v1/messages",status="200"} 2',
        'relay_requests_total{route="/v1/chat/completions",status="429"} 3',
        "",
      ].join("\n"),
    );
  });

  test("label order does not create a second series", () => {
    const counter = new Counter("c_total", "c");
    counter.inc({ a: "1", b: "2" });
    counter.inc({ b: "2", a: "1" });
    expect(counter.get({ a: "1", b: "2" })).toBe(2);
    expect(samples(counter.render())).toHaveLength(1);
  });

  test("label values escape backslash, double quote and newline", () => {
    const counter = new Counter("c_total", "c");
    counter.inc({ model: 'a\\b"c\nd' });
    expect(samples(counter.render())).toEqual(['c_total{model="a\\\\b\\"c\\nd"} 1']);
  });

  test("no labels: no braces", () => {
    const counter = new Counter("c_total", "c");
    counter.inc();
    expect(samples(counter.render())).toEqual(["c_total 1"]);
  });
});

describe("Gauge", () => {
  test("reads its value at render time", () => {
    let value = 3;
    const gauge = new Gauge("relay_active", "Active.", () => value);
    expect(gauge.render()).toBe("# HELP relay_active Active.\n# TYPE relay_active gauge\nrelay_active 3\n");
    value = 5;
    expect(samples(gauge.render())).toEqual(["relay_active 5"]);
  });
});

describe("Histogram", () => {
  test("buckets are cumulative, +Inf equals _count, and _sum is the total", () => {
    const histogram = new Histogram("relay_seconds", "Duration.", [0.1, 0.5, 1]);
    for (const value of [0.05, 0.1, 0.3, 0.7, 4]) histogram.observe({ route: "/v1/messages" }, value);
    expect(histogram.render()).toBe(
      [
        "# HELP relay_seconds Duration.",
        "# TYPE relay_seconds histogram",
        'relay_seconds_bucket{route="/v1/messages",le="0.1"} 2',
        'relay_seconds_bucket{route="/v1/messages",le="0.5"} 3',
        'relay_seconds_bucket{route="/v1/messages",le="1"} 4',
        'relay_seconds_bucket{route="/v1/messages",le="+Inf"} 5',
        'relay_seconds_sum{route="/v1/messages"} 5.15',
        'relay_seconds_count{route="/v1/messages"} 5',
        "",
      ].join("\n"),
    );
  });

  test("each label set is its own series", () => {
    const histogram = new Histogram("h", "h", [1]);
    histogram.observe({ route: "a" }, 0.5);
    histogram.observe({ route: "b" }, 2);
    expect(samples(histogram.render())).toEqual([
      'h_bucket{route="a",le="1"} 1',
      'h_bucket{route="a",le="+Inf"} 1',
      'h_sum{route="a"} 0.5',
      'h_count{route="a"} 1',
      'h_bucket{route="b",le="1"} 0',
      'h_bucket{route="b",le="+Inf"} 1',
      'h_sum{route="b"} 2',
      'h_count{route="b"} 1',
    ]);
  });
});

describe("RelayMetrics exposition", () => {
  const metrics = new RelayMetrics(() => ({ active: 2, queued: 1, details: { cli_processes: 3, held_tool_rounds: 0, live_conversations: 0, warm_processes: 0 } }));
  metrics.requests.inc({ route: "/v1/messages", status: "200", model: 'odd"model' });
  metrics.duration.observe({ route: "/v1/messages" }, 1.2);
  metrics.tokens.inc({ kind: "input", model: "claude-sonnet-5" }, 40);
  const text = metrics.render();

  test("ends with a newline and has no blank lines", () => {
    expect(text.endsWith("\n")).toBe(true);
    expect(text.slice(0, -1).split("\n")).not.toContain("");
  });

  test("every sample belongs to a family declared by HELP and TYPE before it", () => {
    const declared = new Map<string, string>();
    const helped = new Set<string>();
    for (const line of text.slice(0, -1).split("\n")) {
      const help = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .+$/.exec(line);
      const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram)$/.exec(line);
      if (help) {
        helped.add(help[1]);
        continue;
      }
      if (type) {
        expect(helped.has(type[1])).toBe(true);
        declared.set(type[1], type[2]);
        continue;
      }
      const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*",?)*\})? (-?[0-9.e+]+|\+Inf|NaN)$/.exec(line);
      if (!sample) throw new Error(`not a valid exposition line: ${line}`);
      const family = declared.has(sample[1]) ? sample[1] : sample[1].replace(/_(bucket|sum|count)$/, "");
      expect(declared.has(family)).toBe(true);
    }
  });

  test("live gauges and recorded series are present", () => {
    expect(samples(text)).toContain("agent_relay_active_requests 2");
    expect(samples(text)).toContain("agent_relay_queued_requests 1");
    expect(samples(text)).toContain("agent_relay_cli_processes 3");
    expect(samples(text)).toContain('agent_relay_requests_total{route="/v1/messages",status="200",model="odd\\"model"} 1');
    expect(samples(text)).toContain('agent_relay_request_duration_seconds_count{route="/v1/messages"} 1');
  });
});
