/** Adds authorisation to a Bedrock request: a Bearer API key, or a SigV4 signature (service "bedrock"). */
import { Sha256 } from "@aws-crypto/sha256-js";
import { SignatureV4 } from "@smithy/signature-v4";
import type { BedrockAuthorization } from "./bedrock-credentials.ts";

export interface UnsignedBedrockRequest {
  url: URL;
  headers: Record<string, string>;
  body: string;
}

/** Returns the headers to send (the given ones plus authorisation). */
export async function signBedrockRequest(request: UnsignedBedrockRequest, authorization: BedrockAuthorization, region: string): Promise<Record<string, string>> {
  switch (authorization.kind) {
    case "bearer":
      return { ...request.headers, authorization: `Bearer ${authorization.token}` };
    case "sigv4": {
      const signer = new SignatureV4({ service: "bedrock", region, sha256: Sha256, credentials: authorization.credentials });
      const query: Record<string, string> = {};
      request.url.searchParams.forEach((value, key) => (query[key] = value));
      const signed = await signer.sign({
        method: "POST",
        protocol: request.url.protocol,
        hostname: request.url.hostname,
        port: request.url.port ? Number(request.url.port) : undefined,
        // The path is already URL-encoded (model ids and ARNs); the signer encodes it once more for the
        // canonical request, as AWS requires for every service but S3.
        path: request.url.pathname,
        query,
        headers: { ...request.headers, host: request.url.host },
        body: request.body,
      });
      const headers = { ...(signed.headers as Record<string, string>) };
      // fetch sets Host itself (the same value); passing it along is refused by some runtimes.
      delete headers.host;
      return headers;
    }
    default: {
      const unreachable: never = authorization;
      return unreachable;
    }
  }
}
