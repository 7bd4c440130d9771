/**
 * The exports block in rc files: added after what is there, replaced in place, removed leaving the user's lines
 * exactly as they were; and the file each shell reads.
 */
import { describe, expect, test } from "bun:test";
import { rcFilePath, renderExportBlock, withExportBlock, withoutExportBlock } from "../../src/service/shell-exports.ts";

const block = renderExportBlock("bash", "http://127.0.0.1:18082");
const otherBlock = renderExportBlock("bash", "http://127.0.0.1:19000");

describe("renderExportBlock", () => {
  test("posix shells export both base URLs, OpenAI's with /v1", () => {
    expect(block).toContain("export ANTHROPIC_BASE_URL='http://127.0.0.1:18082'\nexport OPENAI_BASE_URL='http://127.0.0.1:18082/v1'\n");
  });

  test("fish sets global exported variables", () => {
    expect(renderExportBlock("fish", "http://[::1]:18082")).toContain("set -gx ANTHROPIC_BASE_URL 'http://[::1]:18082'\nset -gx OPENAI_BASE_URL 'http://[::1]:18082/v1'\n");
  });

  test("the exports work when the shell reads them", () => {
    const result = Bun.spawnSync(["sh", "-c", `${block}\nprintf '%s %s' "$ANTHROPIC_BASE_URL" "$OPENAI_BASE_URL"`]);
    expect(result.stdout.toString()).toBe("http://127.0.0.1:18082 http://127.0.0.1:18082/v1");
  });
});

describe("adding and removing the block", () => {
  test.each([
    ["an empty file", ""],
    ["a file ending with a newline", "export PATH=$HOME/bin:$PATH\nalias ll='ls -l'\n"],
    ["a file without a final newline", "alias ll='ls -l'"],
  ])("%s comes back as it was (a missing final newline is added)", (_name, original) => {
    const added = withExportBlock(original, block);
    expect(added).toContain(block);
    expect(added.startsWith(original)).toBe(true);
    expect(withoutExportBlock(added)).toBe(original === "" || original.endsWith("\n") ? original : `${original}\n`);
  });

  test("a second install replaces the block in place and keeps what the user added after it", () => {
    const original = "# mine\n";
    const later = `${withExportBlock(original, block)}alias gs='git status'\n`;
    const updated = withExportBlock(later, otherBlock);
    expect(updated).toBe(`# mine\n\n${otherBlock}alias gs='git status'\n`);
    expect(withoutExportBlock(updated)).toBe("# mine\nalias gs='git status'\n");
  });

  test("a file without the block is left untouched", () => {
    expect(withoutExportBlock("export ANTHROPIC_BASE_URL=http://elsewhere\n")).toBe("export ANTHROPIC_BASE_URL=http://elsewhere\n");
  });
});

describe("rcFilePath", () => {
  const env = { ZDOTDIR: undefined, XDG_CONFIG_HOME: undefined };
  test.each([
    ["zsh", "linux", {}, "/home/me/.zshrc"],
    ["zsh", "linux", { ZDOTDIR: "/home/me/.config/zsh" }, "/home/me/.config/zsh/.zshrc"],
    ["bash", "linux", {}, "/home/me/.bashrc"],
    ["bash", "darwin", {}, "/home/me/.bash_profile"],
    ["fish", "linux", {}, "/home/me/.config/fish/config.fish"],
    ["fish", "linux", { XDG_CONFIG_HOME: "/xdg" }, "/xdg/fish/config.fish"],
  ] as const)("%s on %s %j: %s", (shell, platform, extra, expected) => {
    expect(rcFilePath(shell, { ...env, ...extra }, "/home/me", platform)).toBe(expected);
  });
});
