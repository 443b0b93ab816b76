import { describe, expect, it } from "vitest";
import { svgBars } from "../../../bench/lib/report.ts";
import { percentile, ratio, summarize } from "../../../bench/lib/stats.ts";

describe("bench stats", () => {
  it.each([
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50, 5],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90, 9],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99, 10],
    [[7], 50, 7],
    [[1, 100], 50, 1],
  ])("percentile(%j, %i) = %i", (sorted, q, want) => {
    expect(percentile(sorted, q)).toBe(want);
  });

  it("summarizes unsorted samples", () => {
    const s = summarize([5, 1, 4, 2, 3]);
    expect(s).toMatchObject({ n: 5, p50: 3, min: 1, max: 5, mean: 3 });
  });

  it("ratio < 1 when ours is faster", () => {
    expect(ratio(4, 8)).toBe(0.5);
  });

  it("escapes labels in the SVG", () => {
    const svg = svgBars("t", "ms", [{ label: "a<b", value: 1, compare: 2 }]);
    expect(svg).toContain("a&lt;b");
    expect(svg.match(/<rect/g)?.length).toBe(2);
  });
});
