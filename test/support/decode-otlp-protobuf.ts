/**
 * A decoder of OTLP protobuf export requests for the fake collector, written from the field numbers of
 * opentelemetry-proto's .proto files (collector/trace/v1, collector/metrics/v1, trace/v1, metrics/v1,
 * common/v1, resource/v1) and independent of the encoder under test. It yields OTLP's JSON mapping (hex
 * ids, 64-bit integers as strings, camelCase names), so one set of assertions reads both encodings.
 */

type FieldType = "string" | "bytes" | "hex" | "varint" | "int64" | "bool" | "fixed64" | "sfixed64" | "double" | "fixed32" | Schema;
interface Field {
  name: string;
  type: FieldType;
  repeated?: boolean;
}
type Schema = { [fieldNumber: number]: Field };

const anyValue: Schema = {};
const keyValue: Schema = { 1: { name: "key", type: "string" }, 2: { name: "value", type: anyValue } };
Object.assign(anyValue, {
  1: { name: "stringValue", type: "string" },
  2: { name: "boolValue", type: "bool" },
  3: { name: "intValue", type: "int64" },
  4: { name: "doubleValue", type: "double" },
  5: { name: "arrayValue", type: { 1: { name: "values", type: anyValue, repeated: true } } },
  6: { name: "kvlistValue", type: { 1: { name: "values", type: keyValue, repeated: true } } },
  7: { name: "bytesValue", type: "bytes" },
} satisfies Schema);
const attributes = (fieldNumber: number): Schema => ({ [fieldNumber]: { name: "attributes", type: keyValue, repeated: true } });
const resource: Schema = { ...attributes(1), 2: { name: "droppedAttributesCount", type: "varint" } };
const scope: Schema = { 1: { name: "name", type: "string" }, 2: { name: "version", type: "string" }, ...attributes(3) };

const span: Schema = {
  1: { name: "traceId", type: "hex" },
  2: { name: "spanId", type: "hex" },
  3: { name: "traceState", type: "string" },
  4: { name: "parentSpanId", type: "hex" },
  5: { name: "name", type: "string" },
  6: { name: "kind", type: "varint" },
  7: { name: "startTimeUnixNano", type: "fixed64" },
  8: { name: "endTimeUnixNano", type: "fixed64" },
  ...attributes(9),
  15: { name: "status", type: { 2: { name: "message", type: "string" }, 3: { name: "code", type: "varint" } } },
  16: { name: "flags", type: "fixed32" },
};
const traceRequest: Schema = {
  1: {
    name: "resourceSpans",
    repeated: true,
    type: { 1: { name: "resource", type: resource }, 2: { name: "scopeSpans", repeated: true, type: { 1: { name: "scope", type: scope }, 2: { name: "spans", type: span, repeated: true } } } },
  },
};

const numberPoint: Schema = {
  ...attributes(7),
  2: { name: "startTimeUnixNano", type: "fixed64" },
  3: { name: "timeUnixNano", type: "fixed64" },
  4: { name: "asDouble", type: "double" },
  6: { name: "asInt", type: "sfixed64" },
};
const histogramPoint: Schema = {
  ...attributes(9),
  2: { name: "startTimeUnixNano", type: "fixed64" },
  3: { name: "timeUnixNano", type: "fixed64" },
  4: { name: "count", type: "fixed64" },
  5: { name: "sum", type: "double" },
  6: { name: "bucketCounts", type: "fixed64", repeated: true },
  7: { name: "explicitBounds", type: "double", repeated: true },
};
const metric: Schema = {
  1: { name: "name", type: "string" },
  2: { name: "description", type: "string" },
  3: { name: "unit", type: "string" },
  5: { name: "gauge", type: { 1: { name: "dataPoints", type: numberPoint, repeated: true } } },
  7: { name: "sum", type: { 1: { name: "dataPoints", type: numberPoint, repeated: true }, 2: { name: "aggregationTemporality", type: "varint" }, 3: { name: "isMonotonic", type: "bool" } } },
  9: { name: "histogram", type: { 1: { name: "dataPoints", type: histogramPoint, repeated: true }, 2: { name: "aggregationTemporality", type: "varint" } } },
};
const metricsRequest: Schema = {
  1: {
    name: "resourceMetrics",
    repeated: true,
    type: { 1: { name: "resource", type: resource }, 2: { name: "scopeMetrics", repeated: true, type: { 1: { name: "scope", type: scope }, 2: { name: "metrics", type: metric, repeated: true } } } },
  },
};

export const decodeTraceRequest = (bytes: Uint8Array) => decodeMessage(bytes, traceRequest);
export const decodeMetricsRequest = (bytes: Uint8Array) => decodeMessage(bytes, metricsRequest);

class Reader {
  position = 0;
  private readonly view: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  get done() {
    return this.position >= this.bytes.length;
  }
  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.position >= this.bytes.length) throw new Error("truncated varint");
      const byte = this.bytes[this.position++];
      result |= BigInt(byte & 0x7f) << shift;
      if (!(byte & 0x80)) return result;
      shift += 7n;
    }
  }
  take(length: number): Uint8Array {
    if (this.position + length > this.bytes.length) throw new Error("truncated field");
    const slice = this.bytes.subarray(this.position, this.position + length);
    this.position += length;
    return slice;
  }
  fixed64(): bigint {
    const value = this.view.getBigUint64(this.position, true);
    this.position += 8;
    return value;
  }
  double(): number {
    const value = this.view.getFloat64(this.position, true);
    this.position += 8;
    return value;
  }
  fixed32(): number {
    const value = this.view.getUint32(this.position, true);
    this.position += 4;
    return value;
  }
}

function decodeMessage(bytes: Uint8Array, schema: Schema): Record<string, any> {
  const reader = new Reader(bytes);
  const result: Record<string, any> = {};
  const store = (field: Field, value: unknown) => {
    if (field.repeated) (result[field.name] ??= []).push(value);
    else result[field.name] = value;
  };
  while (!reader.done) {
    const tag = Number(reader.varint());
    const fieldNumber = tag >>> 3;
    const wireType = tag & 7;
    const field = schema[fieldNumber];
    if (!field) {
      skip(reader, wireType);
      continue;
    }
    if (wireType === 2 && field.repeated && typeof field.type === "string" && ["fixed64", "double"].includes(field.type)) {
      // A packed repeated scalar.
      const packed = new Reader(reader.take(Number(reader.varint())));
      while (!packed.done) store(field, field.type === "double" ? packed.double() : packed.fixed64().toString());
      continue;
    }
    store(field, readValue(reader, wireType, field.type));
  }
  return result;
}

function readValue(reader: Reader, wireType: number, type: FieldType): unknown {
  if (typeof type === "object") return decodeMessage(reader.take(Number(reader.varint())), type);
  switch (type) {
    case "string":
      return new TextDecoder().decode(reader.take(Number(reader.varint())));
    case "bytes":
      return Buffer.from(reader.take(Number(reader.varint()))).toString("base64");
    case "hex":
      return Buffer.from(reader.take(Number(reader.varint()))).toString("hex");
    case "varint":
      return Number(reader.varint());
    case "int64":
      return BigInt.asIntN(64, reader.varint()).toString();
    case "bool":
      return reader.varint() !== 0n;
    case "fixed64":
      return reader.fixed64().toString();
    case "sfixed64":
      return BigInt.asIntN(64, reader.fixed64()).toString();
    case "double":
      return reader.double();
    case "fixed32":
      return reader.fixed32();
  }
  throw new Error(`unexpected wire type ${wireType}`);
}

function skip(reader: Reader, wireType: number): void {
  if (wireType === 0) reader.varint();
  else if (wireType === 1) reader.take(8);
  else if (wireType === 2) reader.take(Number(reader.varint()));
  else if (wireType === 5) reader.take(4);
  else throw new Error(`unsupported wire type ${wireType}`);
}
