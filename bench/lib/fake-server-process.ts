/**
 * Starts one of the bench/lib fake upstream servers as its own process (so its work does not share an event
 * loop with the load generator or the relay) and reads the base URL it prints on its first line.
 */
import { join } from "node:path";

export interface FakeServerProcess {
  url: string;
  pid: number;
  stop(): void;
}

/** `script` is a file name in bench/lib, e.g. "fake-openai-server.ts"; `env` is added to this process's. */
export async function startFakeServerProcess(script: string, env: Record<string, string> = {}): Promise<FakeServerProcess> {
  const child = Bun.spawn([process.execPath, join(import.meta.dir, script)], { stdout: "pipe", stderr: "inherit", env: { ...process.env, ...env } });
  const reader = child.stdout.getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`${script} exited before printing its URL`);
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  return { url: text.trim(), pid: child.pid, stop: () => child.kill("SIGTERM") };
}
