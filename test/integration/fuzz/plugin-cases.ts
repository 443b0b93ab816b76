// Hostile inputs for the plugin binary, generated from a fixed seed (a failure
// reproduces). Every case is invalid by construction; `codes` lists the CNI
// error codes the spec allows for it.
import { rng } from "../../support/rng.ts";
import { malformedCases } from "../../unit/cni/malformed-cases.ts";

export interface FuzzCase {
  what: string;
  env: Record<string, string | undefined>;
  stdin: string;
  codes: number[];
}

export function fuzzCases(n: number, o: { socketPath: string; netnsPath: string }, seed = 808): FuzzCase[] {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  const conf = { cniVersion: "1.0.0", name: "aws-cni", type: "vpc-cni", socketPath: o.socketPath };
  const good = JSON.stringify(conf);
  const env = {
    CNI_COMMAND: "ADD",
    CNI_CONTAINERID: "0123456789abcdef",
    CNI_NETNS: o.netnsPath,
    CNI_IFNAME: "eth0",
    CNI_PATH: "/opt/cni/bin",
    CNI_ARGS: "K8S_POD_NAMESPACE=default;K8S_POD_NAME=p",
  };
  const badIds = ["../etc", "a/b", "", " ", "x\ty", "ab;cd", "\u0001", "é", "-".repeat(300)];
  const badIfs = ["", "a/b", "a:b", "a b", "x".repeat(16), ".", "..", "eth0\n"];
  // Malformed paths only: that an absolute path is a pod's namespace (it
  // exists, is not a directory, is not the node's own) is ipamd's check
  // (hostnet/netns.ts openPodNetns; test/integration/hostile/ipamd-surface).
  const badNetns = ["relative/ns", "../../proc/1/ns/net", "/var/run/netns/../../../etc/passwd", "netns", ""];
  const commands = ["ADD", "DEL", "CHECK"];
  const out: FuzzCase[] = [];
  const bad = malformedCases(n, seed);
  for (let i = 0; i < n; i++) {
    const cmd = pick(commands);
    const k = i % 8;
    if (k === 0 || k === 1) {
      // truncated, noise, wrong types, unsupported versions (shared generator)
      out.push({
        what: "malformed config",
        env: { ...env, CNI_COMMAND: cmd },
        stdin: bad[i]!,
        codes: [1, 2, 6, 7],
      });
    } else if (k === 2) {
      const cut = Math.floor(r() * good.length);
      out.push({
        what: "truncated JSON",
        env: { ...env, CNI_COMMAND: cmd },
        stdin: good.slice(0, cut),
        codes: [6],
      });
    } else if (k === 3) {
      const huge =
        r() < 0.5 ? "[".repeat(200_000) : `{"cniVersion":"1.0.0","name":"${"n".repeat(2_000_000)}!"}`;
      out.push({ what: "huge input", env: { ...env, CNI_COMMAND: cmd }, stdin: huge, codes: [6, 7] });
    } else if (k === 4) {
      const v = pick(["0.1.0", "0.2.0", "1.2.0", "2.0.0", "99.0.0", "1.0", "v1.0.0"]);
      // A well-formed but unsupported version is 1; a string that is no version at all may be 7.
      out.push({
        what: `version ${v}`,
        env: { ...env, CNI_COMMAND: cmd },
        stdin: JSON.stringify({ ...conf, cniVersion: v }),
        codes: /^\d+\.\d+\.\d+$/.test(v) ? [1] : [1, 7], // non-versions may be "invalid config"
      });
    } else if (k === 5) {
      const drop = pick(["name", "type"] as const);
      const c: Record<string, unknown> = { ...conf, unknownField: { x: [1, 2] } };
      delete c[drop];
      out.push({
        what: `missing ${drop}`,
        env: { ...env, CNI_COMMAND: cmd },
        stdin: JSON.stringify(c),
        codes: [7],
      });
    } else if (k === 6) {
      const which = pick(["CNI_CONTAINERID", "CNI_IFNAME", "CNI_NETNS"] as const);
      const value =
        which === "CNI_CONTAINERID" ? pick(badIds) : which === "CNI_IFNAME" ? pick(badIfs) : pick(badNetns);
      // DEL must tolerate a namespace that is gone: only ADD/CHECK get odd netns paths.
      const c = which === "CNI_NETNS" ? "ADD" : cmd;
      out.push({
        what: `${which}=${JSON.stringify(value)}`,
        env: { ...env, CNI_COMMAND: c, [which]: value },
        stdin: good,
        codes: [4],
      });
    } else {
      const missing = pick([
        "CNI_CONTAINERID",
        "CNI_IFNAME",
        "CNI_NETNS",
        "CNI_PATH",
        "CNI_COMMAND",
      ] as const);
      const e: Record<string, string | undefined> = {
        ...env,
        CNI_COMMAND: missing === "CNI_NETNS" ? "ADD" : cmd,
      };
      delete e[missing];
      if (missing === "CNI_COMMAND" && r() < 0.5) e["CNI_COMMAND"] = pick(["add", "ATTACH", "", "DEL;ADD"]);
      out.push({ what: `missing/odd ${missing}`, env: e, stdin: good, codes: [4] });
    }
  }
  return out;
}
