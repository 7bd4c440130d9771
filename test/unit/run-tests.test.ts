import { describe, expect, test } from "bun:test";
import { parseBunTestSummary, parseRunnerArguments } from "../run-tests.ts";

describe("parseBunTestSummary", () => {
  test("reads the pass and fail counts of bun's closing summary", () => {
    const output = "(pass) a [1.00ms]\n(fail) b [2.00ms]\n\n 12 pass\n 1 fail\n 30 expect() calls\nRan 13 tests across 2 files. [1.00s]\n";
    expect(parseBunTestSummary(output)).toEqual({ passed: 12, failed: 1 });
  });

  test("errors outside any test (a crashed worker, an unhandled error) count as failures", () => {
    expect(parseBunTestSummary(" 3 pass\n 2 fail\n 1 error\n")).toEqual({ passed: 3, failed: 3 });
    expect(parseBunTestSummary(" 3 pass\n 0 fail\n 2 errors\n")).toEqual({ passed: 3, failed: 2 });
  });

  test("the last summary wins over a look-alike line a test printed, and colour codes are ignored", () => {
    expect(parseBunTestSummary(" 99 pass\n 0 fail\n(pass) x\n\x1b[32m 4 pass\x1b[0m\n\x1b[31m 1 fail\x1b[0m\n")).toEqual({ passed: 4, failed: 1 });
  });

  test("no summary (bun itself failed) is undefined, not zero failures", () => {
    expect(parseBunTestSummary("error: could not start\n")).toBeUndefined();
    expect(parseBunTestSummary(" 5 pass\n")).toBeUndefined();
  });
});

describe("parseRunnerArguments", () => {
  test("defaults: the CPU count but at least 2 workers, type check on, everything else goes to bun test", () => {
    const options = parseRunnerArguments(["test/integration/faults.test.ts", "-t", "crash"], {});
    expect(options.jobs).toBeGreaterThanOrEqual(2);
    expect(options).toMatchObject({ typecheck: true, updateTimings: false, bunArguments: ["test/integration/faults.test.ts", "-t", "crash"] });
  });

  test("--jobs, TEST_JOBS, --no-typecheck and --update-timings", () => {
    expect(parseRunnerArguments(["--jobs", "3"], {}).jobs).toBe(3);
    expect(parseRunnerArguments(["--jobs=1"], { TEST_JOBS: "5" }).jobs).toBe(1);
    expect(parseRunnerArguments([], { TEST_JOBS: "5" }).jobs).toBe(5);
    expect(parseRunnerArguments(["--no-typecheck", "--update-timings"], {})).toMatchObject({ typecheck: false, updateTimings: true, bunArguments: [] });
  });

  test("a job count that is not a whole number of 1 or more is an error naming where it came from", () => {
    expect(() => parseRunnerArguments(["--jobs", "0"], {})).toThrow("--jobs");
    expect(() => parseRunnerArguments(["--jobs"], {})).toThrow("--jobs");
    expect(() => parseRunnerArguments([], { TEST_JOBS: "many" })).toThrow("TEST_JOBS");
  });
});
