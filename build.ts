#!/usr/bin/env bun
/**
 * Compiles src/cli.ts into a standalone agent-relay executable (Bun runtime included).
 *
 *   bun run build                               host binary: dist/agent-relay (dist/agent-relay.exe on Windows)
 *   bun run build --target bun-linux-arm64      one target:  dist/linux-arm64/agent-relay + dist/agent-relay-linux-arm64.tar.gz
 *   bun run build --all                         every release target, each packed (tar.gz; zip for Windows), plus
 *                                               dist/SHA256SUMS over the archives and the Homebrew formula dist/agent-relay.rb
 *
 * The version baked in is AGENT_RELAY_VERSION from the environment, else the tag being built (GitHub Actions'
 * GITHUB_REF_NAME on a tag), else package.json's; the commit and build date go in too (`agent-relay --version`).
 * The formula's archive URLs are AGENT_RELAY_RELEASE_URL/<archive> when set, else the GitHub release of the tag.
 * Cross-compiling downloads the target's Bun runtime from the npm registry once (cached in ~/.bun/install/cache).
 */
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { renderHomebrewFormula } from "./packaging/homebrew/render-homebrew-formula.ts";

const root = import.meta.dir;
const dist = join(root, "dist");

/** What a release ships. x64 needs no -baseline variant: Bun 1.4 has one x64 runtime that picks AVX paths at run time. */
export const releaseTargets: Bun.Build.CompileTarget[] = [
  "bun-linux-x64",
  "bun-linux-arm64",
  "bun-linux-x64-musl",
  "bun-linux-arm64-musl",
  "bun-darwin-x64",
  "bun-darwin-arm64",
  "bun-windows-x64",
];

/** The GitHub repository releases are published from (GITHUB_REPOSITORY in Actions overrides it). */
export const defaultRepository = "agent-relay/agent-relay";

/**
 * AGENT_RELAY_VERSION, else the tag GitHub Actions builds (GITHUB_REF_NAME when GITHUB_REF_TYPE is "tag"), else
 * package.json's; a tag-style leading "v" is dropped ("v1.2.3" -> "1.2.3").
 */
export async function releaseVersion(env: Record<string, string | undefined> = process.env): Promise<string> {
  const fromEnv = env.AGENT_RELAY_VERSION?.trim() || (env.GITHUB_REF_TYPE === "tag" ? env.GITHUB_REF_NAME?.trim() : undefined);
  if (fromEnv) return fromEnv.replace(/^v(?=\d)/, "");
  return (await Bun.file(join(root, "package.json")).json()).version;
}

/** The commit being built (12 hex digits): AGENT_RELAY_COMMIT or GITHUB_SHA, else `git rev-parse HEAD`, else "unknown". */
export function buildCommit(env: Record<string, string | undefined> = process.env): string {
  const fromEnv = env.AGENT_RELAY_COMMIT?.trim() || env.GITHUB_SHA?.trim();
  if (fromEnv) return fromEnv.slice(0, 12);
  const git = Bun.spawnSync(["git", "rev-parse", "HEAD"], { cwd: root, stdout: "pipe", stderr: "ignore" });
  const sha = git.exitCode === 0 ? git.stdout.toString().trim() : "";
  return /^[0-9a-f]{40}$/.test(sha) ? sha.slice(0, 12) : "unknown";
}

/** The build time (UTC, seconds): SOURCE_DATE_EPOCH when set (reproducible builds), else now. */
export function buildDate(env: Record<string, string | undefined> = process.env): string {
  const epoch = Number(env.SOURCE_DATE_EPOCH);
  const date = env.SOURCE_DATE_EPOCH && Number.isFinite(epoch) ? new Date(epoch * 1000) : new Date();
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

export interface CompileOptions {
  /** Where the executable goes (give Windows targets a .exe name). */
  outfile: string;
  /** A cross-compile target; the host when omitted. */
  target?: Bun.Build.CompileTarget;
  /** Defaults to releaseVersion(). */
  version?: string;
  /** Defaults to buildCommit(). */
  commit?: string;
  /** Defaults to buildDate(). */
  date?: string;
}

export interface CompiledBinary {
  outfile: string;
  bytes: number;
  ms: number;
}

/** Compiles the relay once; throws (an AggregateError of build messages) when Bun cannot build it. */
export async function compileRelay(options: CompileOptions): Promise<CompiledBinary> {
  const version = options.version ?? (await releaseVersion());
  const outfile = resolve(options.outfile);
  mkdirSync(dirname(outfile), { recursive: true });
  const started = performance.now();
  await Bun.build({
    // Workers are not followed from `new Worker(url)`: each must be an entrypoint of its own (Bun 1.4.5).
    entrypoints: [join(root, "src", "cli.ts"), join(root, "src", "inspector", "inspector-writer-worker.ts")],
    compile: {
      // Bun 1.4.5 rejects an explicit `target: undefined` ("Expected compile target to start with 'bun-'"): omit it for the host.
      ...(options.target ? { target: options.target } : {}),
      outfile,
      // A compiled binary loads .env and bunfig.toml from the directory it is *started in* unless told not to
      // (Bun 1.4.5 defaults both to true); a stray .env must not reconfigure the relay.
      autoloadDotenv: false,
      autoloadBunfig: false,
      // Already false by default in Bun 1.4.5; pinned so a changed default cannot leak a cwd's files in either.
      autoloadTsconfig: false,
      autoloadPackageJson: false,
    },
    minify: true,
    // Bun 1.4.5 embeds the (zstd) sourcemap in the executable for every mode, so stack traces point at src/*.ts.
    sourcemap: "linked",
    // Bytecode roughly quarters startup time but makes Bun 1.4.5 default to CJS output, in which cli.ts's top-level
    // await fails to build ("Unexpected ."); esm keeps it working.
    bytecode: true,
    format: "esm",
    define: {
      AGENT_RELAY_VERSION: JSON.stringify(version),
      AGENT_RELAY_COMMIT: JSON.stringify(options.commit ?? buildCommit()),
      AGENT_RELAY_BUILD_DATE: JSON.stringify(options.date ?? buildDate()),
    },
  }); // Bun.build throws on failure (its default `throw: true` since Bun 1.2).
  // ...and also writes a sourcemap file next to it (agent-relay.map, even for agent-relay.exe) that nothing needs.
  rmSync(`${outfile.replace(/\.exe$/, "")}.map`, { force: true });
  return { outfile, bytes: statSync(outfile).size, ms: performance.now() - started };
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const relative = (path: string) => path.slice(root.length + 1);

async function run(cmd: string[]): Promise<void> {
  const exitCode = await Bun.spawn(cmd, { stdout: "inherit", stderr: "inherit" }).exited;
  if (exitCode !== 0) throw new Error(`${cmd.join(" ")} exited with ${exitCode}`);
}

/** Packs a target's binary as dist/agent-relay-<name>.tar.gz, or .zip for Windows (what its users can open). */
async function pack(binary: string, name: string): Promise<string> {
  const useZip = name.startsWith("windows-");
  if (useZip && Bun.which("zip") === null) throw new Error("packing the Windows archive needs `zip` (apt-get install zip, brew install zip)");
  const archive = join(dist, `agent-relay-${name}.${useZip ? "zip" : "tar.gz"}`);
  rmSync(archive, { force: true });
  if (useZip) await run(["zip", "-q", "-j", archive, binary]);
  else await run(["tar", "-C", dirname(binary), "-czf", archive, basename(binary)]);
  return archive;
}

/** `sha256sum` format: "<hex>  <file name>" per line, written to dist/SHA256SUMS. */
export async function writeChecksums(archives: string[], directory: string = dist): Promise<string> {
  const lines: string[] = [];
  for (const archive of archives) {
    const hasher = new Bun.CryptoHasher("sha256");
    for await (const chunk of Bun.file(archive).stream()) hasher.update(chunk);
    lines.push(`${hasher.digest("hex")}  ${basename(archive)}`);
  }
  const file = join(directory, "SHA256SUMS");
  await Bun.write(file, lines.join("\n") + "\n");
  return file;
}

/** Writes the Homebrew formula (directory/agent-relay.rb) from the template and directory/SHA256SUMS. */
export function writeHomebrewFormula(options: { version: string; directory?: string; env?: Record<string, string | undefined> }): string {
  const { version, directory = dist, env = process.env } = options;
  const repository = env.GITHUB_REPOSITORY || defaultRepository;
  const homepage = `${env.GITHUB_SERVER_URL || "https://github.com"}/${repository}`;
  const formula = renderHomebrewFormula({
    template: readFileSync(join(root, "packaging", "homebrew", "agent-relay.rb.template"), "utf8"),
    version,
    releaseUrl: env.AGENT_RELAY_RELEASE_URL || `${homepage}/releases/download/v${version}`,
    homepage,
    checksums: readFileSync(join(directory, "SHA256SUMS"), "utf8"),
  });
  const file = join(directory, "agent-relay.rb");
  writeFileSync(file, formula);
  return file;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Bun.argv.slice(2),
    options: { all: { type: "boolean" }, target: { type: "string" } },
  });
  const version = await releaseVersion();
  const commit = buildCommit();
  const date = buildDate();
  const started = performance.now();

  if (!values.all && !values.target) {
    const built = await compileRelay({ outfile: join(dist, process.platform === "win32" ? "agent-relay.exe" : "agent-relay"), version, commit, date });
    console.log(`built ${relative(built.outfile)} (agent-relay ${version}, commit ${commit}, host): ${mb(built.bytes)} in ${seconds(built.ms)}`);
    return;
  }

  // --target accepts "bun-linux-arm64" or just "linux-arm64".
  const targets = values.all ? releaseTargets : [`bun-${values.target!.replace(/^bun-/, "")}` as Bun.Build.CompileTarget];
  console.log(`building agent-relay ${version} (commit ${commit}) for ${targets.length} target(s)`);
  // Compiling is quick; gzipping ~100 MB takes longer, so each archive is packed while the next target compiles.
  const packing: Promise<string>[] = [];
  for (const target of targets) {
    const name = target.slice("bun-".length);
    const built = await compileRelay({ outfile: join(dist, name, name.startsWith("windows-") ? "agent-relay.exe" : "agent-relay"), target, version, commit, date });
    console.log(`  ${name.padEnd(17)} ${relative(built.outfile).padEnd(36)} ${mb(built.bytes).padStart(9)}  (${seconds(built.ms)})`);
    packing.push(pack(built.outfile, name));
  }
  const archives = await Promise.all(packing);
  for (const archive of archives) console.log(`  ${relative(archive).padEnd(54)} ${mb(statSync(archive).size).padStart(9)}`);
  // Only a full release run owns SHA256SUMS; a single --target build leaves an existing one alone.
  if (values.all) {
    console.log(`wrote ${relative(await writeChecksums(archives))}`);
    console.log(`wrote ${relative(writeHomebrewFormula({ version }))}`);
  }
  console.log(`total ${seconds(performance.now() - started)}`);
}

if (import.meta.main) {
  try {
    await main();
  } catch (error) {
    // Bun.build's AggregateError carries the individual build messages in .errors.
    const messages = error instanceof AggregateError ? error.errors.map(String) : [String(error)];
    console.error(`build failed:\n  ${messages.join("\n  ")}`);
    process.exit(1);
  }
}
