/** Reads recorded CLI transcripts from test/fixtures/claude-cli-2.1.197/. */
import { readFileSync } from "node:fs";
import { join } from "node:path";

const fixtureDirectory = join(import.meta.dir, "..", "fixtures", "claude-cli-2.1.197");

/** The raw text of a fixture file. */
export function readFixture(name: string): string {
  return readFileSync(join(fixtureDirectory, name), "utf8");
}

/** Every stdout message of a transcript, one parsed object per non-empty line. */
export function readTranscript(name: string): any[] {
  return readFixture(name)
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line));
}
