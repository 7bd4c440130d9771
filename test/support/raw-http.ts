/** Sends raw bytes over TCP and returns what the server answered (for requests fetch will not send). */
export async function rawHttp(url: string, text: string, timeoutMs = 10_000): Promise<{ status: number; headers: string; body: string }> {
  const { hostname, port } = new URL(url);
  let received = "";
  const { promise: closed, resolve } = Promise.withResolvers<void>();
  const socket = await Bun.connect({
    hostname,
    port: Number(port),
    socket: {
      data(_socket, data) {
        received += new TextDecoder().decode(data);
      },
      close() {
        resolve();
      },
      error() {
        resolve();
      },
    },
  });
  socket.write(text);
  const timer = setTimeout(() => socket.end(), timeoutMs);
  await closed;
  clearTimeout(timer);
  const [head = "", body = ""] = received.split("\r\n\r\n", 2);
  return { status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0), headers: head, body };
}
