/** The one id generator: a prefix and random hex digits, e.g. newId("msg_") -> "msg_3f9a...". */
export function newId(prefix: string, hexDigits = 24): string {
  let hex = "";
  while (hex.length < hexDigits) hex += crypto.randomUUID().replaceAll("-", "");
  return `${prefix}${hex.slice(0, hexDigits)}`;
}
