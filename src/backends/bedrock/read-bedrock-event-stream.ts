/**
 * Reads a Bedrock streaming answer: the binary event stream's `event` messages become their JSON payloads
 * (InvokeModelWithResponseStream's `chunk` payloads unwrapped from base64, so the Anthropic event arrives as
 * the exact bytes the model service produced); an `exception` message becomes a mapped RelayError thrown at
 * that point, so output already sent stays sent and the rest becomes an in-band error.
 */
import { decodeAwsEventStream, AwsEventStreamError } from "./aws-event-stream.ts";
import { mapBedrockError } from "./map-bedrock-error.ts";
import { RelayError } from "../../core/relay-error.ts";

/** One event of a Bedrock stream: its type (`chunk`, `messageStart`, ...) and the JSON text of its payload. */
export interface BedrockStreamEvent {
  eventType: string;
  /** For `chunk` events the decoded inner bytes (an Anthropic stream event); otherwise the payload itself. */
  json: string;
}

export interface ReadBedrockStreamOptions {
  provider: string;
  modelId: string;
  region: string;
}

const textDecoder = new TextDecoder();

// The status each exception type implies when it arrives inside a 200 stream.
const exceptionStatus: Record<string, number> = {
  throttlingexception: 429,
  validationexception: 400,
  modeltimeoutexception: 408,
  serviceunavailableexception: 503,
};

export async function* readBedrockEventStream(body: ReadableStream<Uint8Array>, options: ReadBedrockStreamOptions): AsyncGenerator<BedrockStreamEvent> {
  try {
    for await (const message of decodeAwsEventStream(body)) {
      const messageType = String(message.headers[":message-type"] ?? "event");
      const payload = textDecoder.decode(message.payload);
      if (messageType === "exception" || messageType === "error") {
        const exceptionType = String(message.headers[":exception-type"] ?? message.headers[":error-code"] ?? "InternalServerException");
        let text = payload;
        try {
          const parsed = JSON.parse(payload) as Record<string, unknown>;
          text = String(parsed.message ?? parsed.Message ?? payload);
        } catch {
          // A non-JSON payload is the message itself.
        }
        throw mapBedrockError({
          status: exceptionStatus[exceptionType.toLowerCase()] ?? 500,
          errorType: exceptionType,
          message: String(message.headers[":error-message"] ?? text),
          ...options,
        });
      }
      const eventType = String(message.headers[":event-type"] ?? "");
      if (eventType === "chunk") {
        const wrapper = JSON.parse(payload) as { bytes?: string };
        if (typeof wrapper.bytes !== "string") continue;
        yield { eventType, json: Buffer.from(wrapper.bytes, "base64").toString("utf8") };
      } else {
        yield { eventType, json: payload };
      }
    }
  } catch (error) {
    if (error instanceof AwsEventStreamError) {
      throw new RelayError("api_error", `Bedrock provider "${options.provider}" sent a malformed event stream: ${error.message}`, { status: 502, retryable: true });
    }
    throw error;
  }
}
