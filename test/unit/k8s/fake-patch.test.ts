// The stand-in's patch semantics must match the real API server's, or the
// integration tests would prove nothing about kubelet-safe condition patches.

import { describe, expect, it } from "vitest";
import { jsonPatch, mergePatch, strategicMergePatch } from "../../support/fake-apiserver/patch.ts";

const node = {
  status: {
    conditions: [
      { type: "Ready", status: "True" },
      { type: "MemoryPressure", status: "False" },
    ],
  },
};
const patch = { status: { conditions: [{ type: "IPAMExhausted", status: "True" }] } };

describe("stand-in patch semantics", () => {
  it("merge patch replaces lists (why node-condition.ts must not use it)", () => {
    expect(mergePatch(node, patch)).toEqual(patch);
  });
  it("strategic merge patch merges conditions by type", () => {
    const r = strategicMergePatch(node, patch) as typeof node;
    expect(r.status.conditions.map((c) => c.type)).toEqual(["Ready", "MemoryPressure", "IPAMExhausted"]);
    const r2 = strategicMergePatch(r, {
      status: { conditions: [{ type: "Ready", status: "False" }] },
    }) as typeof node;
    expect(r2.status.conditions[0]).toEqual({ type: "Ready", status: "False" });
  });
  it("merge patch null deletes a key", () => {
    expect(mergePatch({ a: 1, b: { c: 2 } }, { b: null })).toEqual({ a: 1 });
  });
  it("JSON patch add/replace/remove", () => {
    expect(
      jsonPatch({ a: { b: 1 } }, [
        { op: "replace", path: "/a/b", value: 2 },
        { op: "add", path: "/c", value: 3 },
      ]),
    ).toEqual({
      a: { b: 2 },
      c: 3,
    });
  });
});
