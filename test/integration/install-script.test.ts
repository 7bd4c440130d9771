/**
 * install.sh as a user runs it (`sh install.sh`, dash on Debian) in a temporary HOME, downloading from a local HTTP
 * server that serves a dist/-like folder of small stand-in archives and their SHA256SUMS.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { projectRoot } from "../support/test-relay.ts";

const installScript = join(projectRoot, "install.sh");
const platforms = ["linux-x64", "linux-arm64", "linux-x64-musl", "linux-arm64-musl", "darwin-x64", "darwin-arm64"];
let temp: string;
let server: ReturnType<typeof Bun.serve>;
const served = new Map<string, Uint8Array>();
const requested: string[] = [];

/** The archive install.sh should pick on this machine (no Rosetta here: tests run natively). */
function hostPlatform(): string {
  const os = process.platform === "darwin" ? "darwin" : "linux";
  const arch = process.arch === "arm64" ? "arm64" : "x64";
  const musl = os === "linux" && Bun.spawnSync(["sh", "-c", "ls /lib/ld-musl-*.so.1"], { stderr: "ignore" }).exitCode === 0;
  return `${os}-${arch}${musl ? "-musl" : ""}`;
}

function sha256(bytes: Uint8Array): string {
  return new Bun.CryptoHasher("sha256").update(bytes).digest("hex");
}

/** A tar.gz holding an `agent-relay` script that reports the given version, like the real binary. */
function standInArchive(version: string, platform: string): Uint8Array {
  const directory = join(temp, "pack", platform, version);
  mkdirSync(directory, { recursive: true });
  writeFileSync(join(directory, "agent-relay"), `#!/bin/sh\necho "agent-relay ${version} (commit 0123456789ab, built 2026-12-01T00:00:00Z) ${platform}"\n`);
  chmodSync(join(directory, "agent-relay"), 0o755);
  const archive = join(directory, "archive.tar.gz");
  expect(Bun.spawnSync(["tar", "-C", directory, "-czf", archive, "agent-relay"]).exitCode).toBe(0);
  return new Uint8Array(readFileSync(archive));
}

/** Serves folder/<archive> and folder/SHA256SUMS; `corrupt` flips a byte after the sums are taken. */
function publish(folder: string, version: string, options: { corrupt?: boolean; omitFromSums?: boolean } = {}): void {
  const sums: string[] = [];
  for (const platform of platforms) {
    const bytes = standInArchive(version, platform);
    const name = `agent-relay-${platform}.tar.gz`;
    if (!(options.omitFromSums && platform === hostPlatform())) sums.push(`${sha256(bytes)}  ${name}`);
    if (options.corrupt) bytes[bytes.length - 5]! ^= 0xff;
    served.set(`/${folder}/${name}`, bytes);
  }
  served.set(`/${folder}/SHA256SUMS`, new TextEncoder().encode(`${sums.join("\n")}\n`));
}

beforeAll(() => {
  temp = mkdtempSync(join(tmpdir(), "agent-relay-install-script-"));
  server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch(request) {
      const path = new URL(request.url).pathname;
      requested.push(path);
      const bytes = served.get(path);
      return bytes ? new Response(bytes) : new Response("not found", { status: 404 });
    },
  });
  publish("good", "1.2.3");
  publish("newer", "1.3.0");
  publish("corrupt", "1.2.3", { corrupt: true });
  publish("unlisted", "1.2.3", { omitFromSums: true });
});

afterAll(() => {
  server.stop(true);
  rmSync(temp, { recursive: true, force: true });
});

/** Runs install.sh asynchronously: the HTTP server it downloads from lives in this very process. */
async function runInstall(home: string, env: Record<string, string>) {
  mkdirSync(home, { recursive: true });
  const child = Bun.spawn(["sh", installScript], {
    env: { HOME: home, PATH: "/usr/local/bin:/usr/bin:/bin", SHELL: "/bin/bash", ...env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, exitCode] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  return { exitCode, stdout, stderr };
}

const folderUrl = (folder: string) => `http://127.0.0.1:${server.port}/${folder}`;

describe("install.sh", () => {
  test.skipIf(!Bun.which("shellcheck"))("passes shellcheck as POSIX sh", () => {
    const result = Bun.spawnSync(["shellcheck", "--shell=sh", installScript]);
    expect(`${result.stdout}${result.stderr}`).toBe("");
    expect(result.exitCode).toBe(0);
  });
  if (!Bun.which("shellcheck")) console.warn("skipped: shellcheck is not installed (Debian package shellcheck); install.sh is not linted");

  test("downloads the archive for this machine, verifies it and installs into ~/.local/bin with a PATH hint", async () => {
    const home = join(temp, "home-default");
    const run = await runInstall(home, { AGENT_RELAY_DOWNLOAD_URL: folderUrl("good") });
    expect(run.stderr).toBe("");
    expect(run.exitCode).toBe(0);
    const binary = join(home, ".local", "bin", "agent-relay");
    expect(statSync(binary).mode & 0o777).toBe(0o755);
    expect(Bun.spawnSync([binary, "--version"]).stdout.toString()).toContain(`agent-relay 1.2.3 (commit 0123456789ab, built 2026-12-01T00:00:00Z) ${hostPlatform()}`);
    expect(requested).toContain(`/good/agent-relay-${hostPlatform()}.tar.gz`);
    expect(run.stdout).toContain(`verified  sha256 ${sha256(served.get(`/good/agent-relay-${hostPlatform()}.tar.gz`)!)}`);
    expect(run.stdout).toContain(`${join(home, ".local", "bin")} is not on your PATH. Add it with:`);
    expect(run.stdout).toContain("agent-relay service install");
  });

  test("AGENT_RELAY_INSTALL_DIR on PATH: installs there, replaces an older binary, and gives no PATH hint", async () => {
    const home = join(temp, "home-custom");
    const installDirectory = join(temp, "custom bin");
    expect((await runInstall(home, { AGENT_RELAY_DOWNLOAD_URL: folderUrl("good"), AGENT_RELAY_INSTALL_DIR: installDirectory })).exitCode).toBe(0);
    const run = await runInstall(home, {
      AGENT_RELAY_DOWNLOAD_URL: `${folderUrl("newer")}/`,
      AGENT_RELAY_INSTALL_DIR: installDirectory,
      AGENT_RELAY_VERSION: "v1.3.0",
      PATH: `${installDirectory}:/usr/bin:/bin`,
    });
    expect(run.exitCode).toBe(0);
    expect(run.stderr).toBe("");
    expect(Bun.spawnSync([join(installDirectory, "agent-relay")]).stdout.toString()).toStartWith("agent-relay 1.3.0 ");
    expect(run.stdout).not.toContain("is not on your PATH");
    expect(existsSync(join(home, ".local"))).toBe(false);
  });

  test("refuses an archive whose checksum does not match, and installs nothing", async () => {
    const home = join(temp, "home-corrupt");
    const run = await runInstall(home, { AGENT_RELAY_DOWNLOAD_URL: folderUrl("corrupt") });
    expect(run.exitCode).not.toBe(0);
    expect(run.stderr).toContain(`agent-relay install: checksum mismatch for agent-relay-${hostPlatform()}.tar.gz`);
    expect(run.stderr).toContain("refusing to install it");
    expect(existsSync(join(home, ".local", "bin", "agent-relay"))).toBe(false);
  });

  test("refuses an archive SHA256SUMS does not list", async () => {
    const home = join(temp, "home-unlisted");
    const run = await runInstall(home, { AGENT_RELAY_DOWNLOAD_URL: folderUrl("unlisted") });
    expect(run.exitCode).not.toBe(0);
    expect(run.stderr).toContain(`SHA256SUMS lists no agent-relay-${hostPlatform()}.tar.gz`);
    expect(existsSync(join(home, ".local", "bin", "agent-relay"))).toBe(false);
  });

  test("fails clearly when the download fails", async () => {
    const run = await runInstall(join(temp, "home-missing"), { AGENT_RELAY_DOWNLOAD_URL: folderUrl("nothing-here") });
    expect(run.exitCode).not.toBe(0);
    expect(run.stderr).toContain(`could not download ${folderUrl("nothing-here")}/agent-relay-${hostPlatform()}.tar.gz`);
  });

  test("without a download URL it asks the release page: the pinned tag, or the latest release", async () => {
    // A curl stand-in that records the URL it was asked for and fails, so nothing leaves this machine.
    const fakeBin = join(temp, "fake-curl-bin");
    mkdirSync(fakeBin, { recursive: true });
    const log = join(temp, "curl-urls");
    writeFileSync(join(fakeBin, "curl"), `#!/bin/sh\nfor last; do :; done\necho "$last" >> "${log}"\nexit 22\n`);
    chmodSync(join(fakeBin, "curl"), 0o755);
    const path = `${fakeBin}:/usr/bin:/bin`;
    expect((await runInstall(join(temp, "home-pinned"), { AGENT_RELAY_VERSION: "v2.0.1", PATH: path })).exitCode).not.toBe(0);
    expect((await runInstall(join(temp, "home-latest"), { PATH: path })).exitCode).not.toBe(0);
    expect(readFileSync(log, "utf8").split("\n").filter(Boolean)).toEqual([
      `https://github.com/agent-relay/agent-relay/releases/download/v2.0.1/agent-relay-${hostPlatform()}.tar.gz`,
      `https://github.com/agent-relay/agent-relay/releases/latest/download/agent-relay-${hostPlatform()}.tar.gz`,
    ]);
  });
});
