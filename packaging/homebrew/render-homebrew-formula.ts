/**
 * Fills the Homebrew formula template with a release's version, per-platform archive URLs and their sha256 sums
 * (taken from SHA256SUMS, so the formula can only name what the release ships).
 */

/** The platforms the formula installs, as named in the archives (agent-relay-<platform>.tar.gz). */
export const formulaPlatforms = ["darwin-arm64", "darwin-x64", "linux-arm64", "linux-x64"] as const;

export interface RenderHomebrewFormulaOptions {
  template: string;
  version: string;
  /** The folder URL of the release's archives, e.g. https://github.com/OWNER/agent-relay/releases/download/v1.2.3. */
  releaseUrl: string;
  homepage: string;
  /** SHA256SUMS text: "<hex>  <file>" per line. */
  checksums: string;
}

/** Reads `sha256sum` output into file name -> hex digest. */
export function parseChecksums(text: string): Map<string, string> {
  const sums = new Map<string, string>();
  for (const line of text.split("\n")) {
    const match = /^([0-9a-f]{64}) [ *](.+)$/.exec(line.trim());
    if (match) sums.set(match[2]!, match[1]!);
  }
  return sums;
}

/** The formula text; throws when SHA256SUMS lacks an archive or the template names an unknown placeholder. */
export function renderHomebrewFormula(options: RenderHomebrewFormulaOptions): string {
  const sums = parseChecksums(options.checksums);
  const archiveName = (platform: string) => `agent-relay-${platform}.tar.gz`;
  for (const platform of formulaPlatforms) {
    if (!sums.has(archiveName(platform))) throw new Error(`SHA256SUMS has no ${archiveName(platform)}: build every target (--all) before the formula`);
  }
  return options.template.replace(/\{\{([A-Z0-9]+)(?::([a-z0-9-]+))?\}\}/g, (placeholder, name: string, platform: string | undefined) => {
    switch (name) {
      case "VERSION":
        return options.version;
      case "HOMEPAGE":
        return options.homepage;
      case "URL":
        return `${options.releaseUrl.replace(/\/$/, "")}/${archiveName(platform!)}`;
      case "SHA256": {
        const sum = sums.get(archiveName(platform!));
        if (!sum) throw new Error(`SHA256SUMS has no ${archiveName(platform!)}`);
        return sum;
      }
      default:
        throw new Error(`unknown placeholder ${placeholder} in the formula template`);
    }
  });
}
