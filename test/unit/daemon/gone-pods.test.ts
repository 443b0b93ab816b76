// decideGone: which assignments the gone-pod sweep releases (ipamd/recovery/gone-pods.ts).
import { describe, expect, it } from "vitest";
import { decideGone, type GoneProbe } from "../../../ipamd/recovery/gone-pods.ts";

const GRACE = 10_000;
const probe = (key: string, netnsExists: boolean, vethExists: boolean, netns = `/run/netns/${key}`) =>
  ({ key, netns, netnsExists, vethExists }) satisfies GoneProbe;

describe("decideGone", () => {
  const cases: {
    name: string;
    p: GoneProbe;
    prev?: number;
    now: number;
    release: boolean;
    tracked: number | undefined;
  }[] = [
    {
      name: "netns and veth present: live",
      p: probe("k", true, true),
      now: 0,
      release: false,
      tracked: undefined,
    },
    {
      name: "netns present, veth gone (ADD in flight): never",
      p: probe("k", true, false),
      prev: 0,
      now: 10 * GRACE,
      release: false,
      tracked: undefined,
    },
    {
      name: "netns gone, veth present (veth survived): not gone",
      p: probe("k", false, true),
      prev: 0,
      now: 10 * GRACE,
      release: false,
      tracked: undefined,
    },
    {
      name: "netns path unknown: never judged",
      p: probe("k", false, false, ""),
      prev: 0,
      now: 10 * GRACE,
      release: false,
      tracked: undefined,
    },
    {
      name: "both gone, first seen now: waits",
      p: probe("k", false, false),
      now: 5,
      release: false,
      tracked: 5,
    },
    {
      name: "both gone, inside the grace: waits",
      p: probe("k", false, false),
      prev: 1000,
      now: 1000 + GRACE - 1,
      release: false,
      tracked: 1000,
    },
    {
      name: "both gone for exactly the grace: released",
      p: probe("k", false, false),
      prev: 1000,
      now: 1000 + GRACE,
      release: true,
      tracked: 1000,
    },
    {
      name: "came back (netns again) after looking gone: forgotten",
      p: probe("k", true, false),
      prev: 0,
      now: GRACE,
      release: false,
      tracked: undefined,
    },
  ];
  for (const c of cases)
    it(c.name, () => {
      const prev = new Map(c.prev === undefined ? [] : [["k", c.prev]]);
      const d = decideGone([c.p], prev, c.now, GRACE);
      expect(d.release).toEqual(c.release ? ["k"] : []);
      expect(d.goneSince.get("k")).toBe(c.tracked);
    });

  it("judges each assignment on its own and drops keys no longer assigned", () => {
    const prev = new Map([
      ["old", 0],
      ["deleted-meanwhile", 0],
    ]);
    const d = decideGone(
      [probe("old", false, false), probe("new", false, false), probe("live", true, true)],
      prev,
      GRACE,
      GRACE,
    );
    expect(d.release).toEqual(["old"]);
    expect([...d.goneSince.keys()].sort()).toEqual(["new", "old"]);
  });
});
