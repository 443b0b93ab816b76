// One netlink socket under a burst of pipelined requests (the host socket
// when many ADDs run at once). Without a cap on requests in flight the
// kernel's answers overflowed the socket's receive buffer and the netlink
// package aborted the whole process in native code ("terminate called after
// throwing an instance of 'Napi::Error'"), so the burst runs in a child
// process: a regression fails this test instead of killing the test worker.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createRtNetlink } from "netlink";
import { describe, expect, it } from "vitest";
import { inNetnsSync, openNetns } from "../../../ipamd/hostnet/netns.ts";
import { Rtnl } from "../../../ipamd/hostnet/rtnl.ts";
import { HostnetError } from "../../../ipamd/hostnet/types.ts";
import { createNetns } from "../../support/netns.ts";
import { canUseNetns } from "../../support/privileges.ts";

const NETNS_TS = fileURLToPath(new URL("../../../ipamd/hostnet/netns.ts", import.meta.url));

const burst = (nsPath: string, n: number) => `
  import { openNetns, openRtnlIn } from ${JSON.stringify(NETNS_TS)};
  const ns = openNetns(${JSON.stringify(nsPath)});
  const r = openRtnlIn(ns.fd);
  const res = await Promise.allSettled(Array.from({ length: ${n} }, () => r.linkByName("lo")));
  const ok = res.filter((x) => x.status === "fulfilled" && x.value?.name === "lo").length;
  console.log(JSON.stringify({ ok, failed: res.length - ok }));
  r.close();
  ns.close();
`;

describe.skipIf(!canUseNetns)("Rtnl: a burst of pipelined requests on one socket", () => {
  it("1,000 requests issued at once all get their answers; the process survives", async () => {
    const ns = createNetns("rtnlburst");
    try {
      const out = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = execFile(
          process.execPath,
          ["--input-type=module", "-e", burst(ns.path, 1000)],
          { timeout: 60_000 },
          (err, stdout, stderr) =>
            resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        );
        child.stdin?.end();
      });
      expect(out.stderr).not.toContain("terminate called");
      expect(out.code).toBe(0);
      expect(JSON.parse(out.stdout.trim())).toEqual({ ok: 1000, failed: 0 });
    } finally {
      ns.delete();
    }
  });

  it("a socket error fails the requests in flight (none hangs) and marks the socket broken", async () => {
    const ns = createNetns("rtnlerr");
    const handle = openNetns(ns.path);
    try {
      const raw = inNetnsSync(handle.fd, "test socket", () => createRtNetlink());
      const r = new Rtnl(raw);
      // 40 requests: 16 sent, 24 waiting for a slot, none answered yet (no I/O
      // callback runs between these microtasks and the error below).
      const inFlight = Array.from({ length: 40 }, () => r.linkByName("lo"));
      for (let i = 0; i < 10; i++) await Promise.resolve();
      // What the package emits when a receive fails (e.g. ENOBUFS).
      raw.socket.emit(
        "error",
        Object.assign(new Error("recvmsg ENOBUFS"), {
          name: "ErrnoException" as const,
          errno: -105,
          code: "ENOBUFS",
          syscall: "recvmsg",
        }),
      );
      const res = await Promise.allSettled(inFlight);
      expect(res.map((x) => x.status)).toEqual(Array(40).fill("rejected"));
      for (const x of res) if (x.status === "rejected") expect(x.reason).toBeInstanceOf(HostnetError);
      expect(r.broken).toBe(true);
      await expect(r.linkByName("lo")).rejects.toBeInstanceOf(HostnetError);
      r.close();
    } finally {
      handle.close();
      ns.delete();
    }
  });
});
