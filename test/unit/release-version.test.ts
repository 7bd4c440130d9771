/**
 * What build.ts bakes into a binary: the version (from AGENT_RELAY_VERSION, the tag being built, or package.json),
 * the commit and the build date.
 */
import { describe, expect, test } from "bun:test";
import { buildCommit, buildDate, releaseVersion } from "../../build.ts";
import packageJson from "../../package.json" with { type: "json" };

describe("releaseVersion", () => {
  test.each([
    [{ AGENT_RELAY_VERSION: "v1.2.3" }, "1.2.3"],
    [{ AGENT_RELAY_VERSION: "2.0.0-rc.1", GITHUB_REF_TYPE: "tag", GITHUB_REF_NAME: "v9.9.9" }, "2.0.0-rc.1"],
    [{ GITHUB_REF_TYPE: "tag", GITHUB_REF_NAME: "v1.4.0" }, "1.4.0"],
    [{ GITHUB_REF_TYPE: "branch", GITHUB_REF_NAME: "main" }, packageJson.version],
    [{}, packageJson.version],
  ])("%j -> %s", async (env, expected) => {
    expect(await releaseVersion(env)).toBe(expected);
  });
});

describe("buildCommit and buildDate", () => {
  test("the commit from the environment, shortened to 12 digits, else git's HEAD", () => {
    expect(buildCommit({ GITHUB_SHA: "0123456789abcdef0123456789abcdef01234567" })).toBe("0123456789ab");
    const head = Bun.spawnSync(["git", "rev-parse", "HEAD"]).stdout.toString().trim();
    expect(buildCommit({})).toBe(head.slice(0, 12));
  });

  test("SOURCE_DATE_EPOCH makes the date reproducible", () => {
    expect(buildDate({ SOURCE_DATE_EPOCH: "1764672000" })).toBe("2025-12-02T10:40:00Z");
    expect(buildDate({})).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });
});
