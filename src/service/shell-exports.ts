/**
 * The marked block of ANTHROPIC_BASE_URL / OPENAI_BASE_URL exports in the user's shell rc file: added or updated
 * by install, removed by uninstall, and nothing else in the file touched.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";

export type ShellKind = "zsh" | "bash" | "fish";

const beginMarker = "# >>> agent-relay service >>>";
const endMarker = "# <<< agent-relay service <<<";
const blockPattern = /(?:^|\n)# >>> agent-relay service >>>\n[\s\S]*?\n# <<< agent-relay service <<<\n?/;

/** The base URLs SDKs and agents read: Anthropic's without /v1, OpenAI's with it. */
export function baseUrlExports(url: string): Record<string, string> {
  return { ANTHROPIC_BASE_URL: url, OPENAI_BASE_URL: `${url}/v1` };
}

/** The user's shell from $SHELL, when it is one we write for. */
export function detectShell(env: Record<string, string | undefined>): ShellKind | undefined {
  const name = basename(env.SHELL ?? "");
  return name === "zsh" || name === "bash" || name === "fish" ? name : undefined;
}

/** The rc file an interactive shell of that kind reads (macOS Terminal starts bash as a login shell). */
export function rcFilePath(shell: ShellKind, env: Record<string, string | undefined>, home: string, platform: string): string {
  switch (shell) {
    case "zsh":
      return join(env.ZDOTDIR || home, ".zshrc");
    case "bash":
      return join(home, platform === "darwin" ? ".bash_profile" : ".bashrc");
    case "fish":
      return join(env.XDG_CONFIG_HOME || join(home, ".config"), "fish", "config.fish");
    default: {
      const unreachable: never = shell;
      throw new Error(`unknown shell ${unreachable}`);
    }
  }
}

/** Every rc file a block may have been written to, for uninstall. */
export function allRcFilePaths(env: Record<string, string | undefined>, home: string, platform: string): string[] {
  const paths = (["zsh", "bash", "fish"] as const).map((shell) => rcFilePath(shell, env, home, platform));
  return [...new Set([...paths, join(home, ".bashrc"), join(home, ".bash_profile")])];
}

function quotePosix(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** The block's text for a shell, markers included, ending with a newline. */
export function renderExportBlock(shell: ShellKind, url: string): string {
  const lines = Object.entries(baseUrlExports(url)).map(([name, value]) =>
    shell === "fish" ? `set -gx ${name} ${quotePosix(value)}` : `export ${name}=${quotePosix(value)}`,
  );
  return [beginMarker, "# Added by `agent-relay service install`; `agent-relay service uninstall` removes it.", ...lines, endMarker, ""].join("\n");
}

/** The file's text with the block added, or replaced where it already is. */
export function withExportBlock(text: string, block: string): string {
  if (blockPattern.test(text)) return text.replace(blockPattern, (match) => (match.startsWith("\n") ? `\n${block}` : block));
  if (text === "") return block;
  return `${text}${text.endsWith("\n") ? "" : "\n"}\n${block}`;
}

/** The file's text without the block (and without the blank line install put before it). */
export function withoutExportBlock(text: string): string {
  const match = blockPattern.exec(text);
  if (!match) return text;
  const before = text.slice(0, match.index);
  const after = text.slice(match.index + match[0].length);
  // The match starts with the newline of the blank line install put before the block; a line the block ended keeps its own.
  const restoreNewline = match[0].startsWith("\n") && before !== "" && !before.endsWith("\n");
  return `${before}${restoreNewline ? "\n" : ""}${after}`;
}

/** Writes the block into the file (created when missing); returns whether the file existed before. */
export function writeExportBlock(path: string, block: string): { created: boolean } {
  const created = !existsSync(path);
  const text = created ? "" : readFileSync(path, "utf8");
  writeFileSync(path, withExportBlock(text, block));
  return { created };
}

/** Removes the block from the file if it holds one; returns whether it did. */
export function removeExportBlock(path: string): boolean {
  if (!existsSync(path)) return false;
  const text = readFileSync(path, "utf8");
  const updated = withoutExportBlock(text);
  if (updated === text) return false;
  writeFileSync(path, updated);
  return true;
}
