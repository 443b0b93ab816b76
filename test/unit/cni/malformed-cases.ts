// Malformed network configurations, generated deterministically (fixed seed)
// so a failure reproduces. Shared by the in-process unit test and the test that
// feeds some of them to the real binary.

import { rng } from "../../support/rng.ts";

const conf = { cniVersion: "1.0.0", name: "vpc", type: "vpc-cni", socketPath: "/run/test.sock" };

/** Inputs that are invalid by construction: truncations, byte noise, or one field made invalid. */
export function malformedCases(n: number, seed = 20261122): string[] {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  const valid = JSON.stringify({ ...conf, mtu: 9001, prevResult: { ips: [{ address: "10.0.0.1/32" }] } });
  const badFields: [string, readonly unknown[]][] = [
    ["cniVersion", ["0.1.0", "0.2.0", "2.0.0", "", 1, null, "1.0", "x.y.z", true]],
    ["name", ["", " x", "a b", "-x", 7, [], {}, "a/b", "é"]],
    ["type", ["", 1, false, [], {}]],
    ["mtu", [0, -1, 65536, "9001", 1.5, [], true]],
    ["vethPrefix", ["", "eth", "ens", "e.n", "toolong", 3, "a b"]],
    ["socketPath", ["", "rel.sock", 1, "/" + "x".repeat(200)]],
    ["logFile", ["rel.log", 2, {}]],
    ["ipamdTimeoutMs", [0, -5, 1e9, "1000", 1.5]],
    ["prevResult", ["x", 3, [], true]],
    ["ipam", [{ type: "host-local" }, "x", 1, []]],
  ];
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const kind = i % 3;
    if (kind === 0) out.push(valid.slice(0, Math.floor(r() * valid.length)));
    else if (kind === 1) {
      const len = Math.floor(r() * 40);
      let s = pick(["", "{", "[", '"', "nul", "1", '{"a":']);
      for (let j = 0; j < len; j++) s += String.fromCharCode(Math.floor(r() * 128));
      out.push(s);
    } else {
      const [k, vs] = pick(badFields);
      const v = pick(vs);
      const c: Record<string, unknown> = { ...conf, [k]: v };
      if (v === undefined) delete c[k];
      out.push(JSON.stringify(c));
    }
  }
  return out;
}
