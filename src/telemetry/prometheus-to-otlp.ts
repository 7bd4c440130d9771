/**
 * The relay's metrics as OTLP metrics: read from the Prometheus text the registry already renders, so every
 * metric /metrics shows is exported, with no second registry to keep in step. Counters become cumulative
 * monotonic sums, gauges gauges, histograms explicit-bucket histograms.
 */

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parseSample(line: string): Sample | undefined {
  const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)$/.exec(line);
  if (!match) return undefined;
  const labels: Record<string, string> = {};
  for (const pair of (match[3] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]] = pair[2].replace(/\\n/g, "\n").replace(/\\"/g, '"').replace(/\\\\/g, "\\");
  const value = match[4] === "+Inf" ? Infinity : Number(match[4]);
  return { name: match[1], labels, value };
}

const attributesOf = (labels: Record<string, string>) => Object.entries(labels).map(([key, value]) => ({ key, value: { stringValue: value } }));

export function prometheusTextToOtlpMetrics(text: string, startedAtMs: number, nowMs = Date.now()): unknown[] {
  const types = new Map<string, string>();
  const helps = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line.startsWith("# TYPE ")) {
      const [, , name, type] = line.split(" ");
      types.set(name, type);
    } else if (line.startsWith("# HELP ")) {
      const rest = line.slice(7);
      helps.set(rest.slice(0, rest.indexOf(" ")), rest.slice(rest.indexOf(" ") + 1));
    } else if (line && !line.startsWith("#")) {
      const sample = parseSample(line);
      if (sample) samples.push(sample);
    }
  }
  const start = (BigInt(startedAtMs) * 1_000_000n).toString();
  const now = (BigInt(nowMs) * 1_000_000n).toString();
  const metrics: unknown[] = [];
  for (const [name, type] of types) {
    const description = helps.get(name) ?? "";
    if (type === "counter") {
      const points = samples.filter((sample) => sample.name === name).map((sample) => ({ attributes: attributesOf(sample.labels), startTimeUnixNano: start, timeUnixNano: now, asDouble: sample.value }));
      metrics.push({ name, description, sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: points } });
    } else if (type === "gauge") {
      const points = samples.filter((sample) => sample.name === name).map((sample) => ({ attributes: attributesOf(sample.labels), timeUnixNano: now, asDouble: sample.value }));
      metrics.push({ name, description, gauge: { dataPoints: points } });
    } else if (type === "histogram") {
      const series = new Map<string, { labels: Record<string, string>; bounds: number[]; cumulative: number[]; sum: number; count: number }>();
      for (const sample of samples) {
        if (!sample.name.startsWith(name)) continue;
        const { le, ...labels } = sample.labels;
        const key = JSON.stringify(labels);
        const entry = series.get(key) ?? { labels, bounds: [], cumulative: [], sum: 0, count: 0 };
        series.set(key, entry);
        if (sample.name === `${name}_bucket` && le !== "+Inf") {
          entry.bounds.push(Number(le));
          entry.cumulative.push(sample.value);
        } else if (sample.name === `${name}_sum`) entry.sum = sample.value;
        else if (sample.name === `${name}_count`) entry.count = sample.value;
      }
      const points = [...series.values()].map((entry) => {
        const counts = [...entry.cumulative, entry.count].map((value, index, all) => String(value - (index ? all[index - 1] : 0)));
        return { attributes: attributesOf(entry.labels), startTimeUnixNano: start, timeUnixNano: now, count: String(entry.count), sum: entry.sum, bucketCounts: counts, explicitBounds: entry.bounds };
      });
      metrics.push({ name, description, histogram: { aggregationTemporality: 2, dataPoints: points } });
    }
  }
  return metrics;
}
