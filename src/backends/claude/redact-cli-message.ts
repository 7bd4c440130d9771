/**
 * CLI error texts as clients may see them: the CLI writes them for the person at the terminal, so they name
 * the operator's upstream ("check your inference gateway (127.0.0.1:9200)", proxy URLs). Clients of the
 * relay get the error without those addresses; the log keeps the original (the error's detail).
 */

/** The advice claude 2.1.197 appends to 5xx errors, with the gateway's address. */
const gatewayAdvice = /\s*If it persists, check your inference gateway \([^)]*\)\.?/gi;
const url = /\b[a-z][a-z0-9+.-]*:\/\/[^\s)"'<>]+/gi;
const ipv4WithPort = /\b(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?\b/g;
const ipv6WithPort = /\[[0-9a-f:.]+\](?::\d{1,5})?/gi;
const hostWithPort = /\b(?:[a-z0-9-]+\.)*[a-z0-9-]+:\d{2,5}\b/gi;

/** The message without upstream addresses, trimmed to a length a client error can carry. */
export function redactCliMessage(message: string, maxLength = 2000): string {
  return message
    .replace(gatewayAdvice, "")
    .replace(url, "(upstream address hidden)")
    .replace(ipv6WithPort, "(upstream address hidden)")
    .replace(ipv4WithPort, "(upstream address hidden)")
    .replace(hostWithPort, "(upstream address hidden)")
    .trim()
    .slice(0, maxLength);
}
