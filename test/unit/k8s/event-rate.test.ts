import { describe, expect, it } from "vitest";
import { type CauseState, decideEvent } from "../../../ipamd/k8s/event-rate.ts";

const I = 300_000;
const st = (o: Partial<CauseState>): CauseState => ({
  eventName: undefined,
  written: 0,
  pending: 0,
  lastWriteMs: 0,
  ...o,
});

describe("decideEvent", () => {
  it("nothing pending: nothing to do", () => {
    expect(decideEvent(st({ eventName: "e", written: 3 }), 10 * I, I)).toEqual({ kind: "none" });
  });
  it("first failure of a cause creates an Event", () => {
    expect(decideEvent(st({ pending: 1 }), 5, I)).toEqual({ kind: "create", count: 1 });
  });
  it("failures within the interval wait until it ends", () => {
    expect(
      decideEvent(st({ eventName: "e", written: 1, pending: 40, lastWriteMs: 1000 }), 1000 + I - 1, I),
    ).toEqual({
      kind: "wait",
      atMs: 1000 + I,
    });
  });
  it("after the interval the series is patched with the total count", () => {
    expect(
      decideEvent(st({ eventName: "e", written: 1, pending: 40, lastWriteMs: 1000 }), 1000 + I, I),
    ).toEqual({
      kind: "patch",
      count: 41,
    });
  });
  it("a cause quiet for two intervals starts a new Event", () => {
    expect(decideEvent(st({ eventName: "e", written: 41, pending: 1, lastWriteMs: 0 }), 2 * I, I)).toEqual({
      kind: "create",
      count: 1,
    });
  });
  it("at most one write per interval however many failures come", () => {
    let s = st({ pending: 0 });
    let writes = 0;
    for (let t = 0; t < 10 * I; t += 1000) {
      s.pending++;
      const d = decideEvent(s, t, I);
      if (d.kind === "create" || d.kind === "patch") {
        writes++;
        s = { ...s, eventName: "e", written: d.count, pending: 0, lastWriteMs: t };
      }
    }
    expect(writes).toBe(10);
    expect(s.written + s.pending).toBe(10 * (I / 1000));
  });
});
