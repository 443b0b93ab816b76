import { describe, expect, it } from "vitest";
import { collectPages, newlyAssigned, type Page } from "../../../cloud/ec2/paginate.ts";

function pager(pages: Record<string, Page<number>>) {
  const seen: (string | undefined)[] = [];
  const fetch = async (token: string | undefined) => {
    seen.push(token);
    const p = pages[token ?? ""];
    if (p === undefined) throw new Error(`unexpected token ${token}`);
    return p;
  };
  return { seen, fetch };
}

describe("collectPages", () => {
  it("follows NextToken to the end", async () => {
    const p = pager({
      "": { items: [1, 2], nextToken: "a" },
      a: { items: [3], nextToken: "b" },
      b: { items: [4] },
    });
    expect(await collectPages(p.fetch)).toEqual([1, 2, 3, 4]);
    expect(p.seen).toEqual([undefined, "a", "b"]);
  });
  it("one call when the endpoint never sends a token (moto)", async () => {
    const p = pager({ "": { items: [1, 2, 3] } });
    expect(await collectPages(p.fetch)).toEqual([1, 2, 3]);
    expect(p.seen).toHaveLength(1);
  });
  it("stops on an empty token and on a repeated token", async () => {
    expect(await collectPages(pager({ "": { items: [1], nextToken: "" } }).fetch)).toEqual([1]);
    const rep = pager({ "": { items: [1], nextToken: "x" }, x: { items: [2], nextToken: "x" } });
    expect(await collectPages(rep.fetch)).toEqual([1, 2]);
  });
});

describe("newlyAssigned", () => {
  it.each([
    ["exact answer (EC2)", 2, ["10.0.0.5", "10.0.0.6"], ["10.0.0.4"], ["10.0.0.5", "10.0.0.6"]],
    [
      "moto: everything, diffed against the snapshot",
      2,
      ["10.0.0.4", "10.0.0.9", "10.0.0.5", "10.0.0.6"],
      ["10.0.0.4", "10.0.0.9"],
      ["10.0.0.5", "10.0.0.6"],
    ],
    ["moto without snapshot: the last N", 1, ["10.0.0.4", "10.0.0.9", "10.0.0.7"], undefined, ["10.0.0.7"]],
    ["nothing asked, nothing answered", 0, [], undefined, []],
  ] as const)("%s", (_l, n, answered, before, expected) => {
    expect(newlyAssigned(n, [...answered], before === undefined ? undefined : new Set(before))).toEqual(
      expected,
    );
  });
});
