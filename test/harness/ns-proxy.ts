// Makes a TCP service of the root namespace (the emulator on 127.0.0.1:PORT)
// reachable from inside a node namespace at the SAME address, 127.0.0.1:PORT,
// without touching the root namespace's addresses or routes.
//
// How: the harness process briefly enters the node namespace (setns on this
// thread), creates a listening socket there, and returns. The socket stays
// bound to the node namespace; connections accepted on it are piped to the
// real service from the root namespace. So ipamd, running inside the node
// namespace as a hostNetwork pod does, uses the emulator's endpoint and IMDS
// URLs unchanged, and no veth/address/route is added to the host.
import { closeSync, openSync } from "node:fs";
import net from "node:net";
import { setnsAddon } from "../../native/setns/index.ts";
import { HarnessError } from "./names.ts";

export interface NsProxy {
  readonly port: number;
  close(): Promise<void>;
}

/** Listens on *:port inside `netns` and forwards every connection to 127.0.0.1:port in the root namespace. */
export function proxyIntoNetns(netns: string, port: number): NsProxy {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((inside) => {
    const outside = net.connect(port, "127.0.0.1");
    for (const s of [inside, outside]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => {
        inside.destroy();
        outside.destroy();
      });
    }
    inside.pipe(outside).pipe(inside);
  });
  server.on("error", (e) => process.stderr.write(`harness proxy in ${netns}:${port}: ${e.message}\n`));
  const self = openSync("/proc/self/ns/net", "r");
  let target: number;
  try {
    target = openSync(`/var/run/netns/${netns}`, "r");
  } catch (e) {
    closeSync(self);
    throw new HarnessError(`cannot open namespace ${netns}: ${(e as Error).message}`);
  }
  try {
    setnsAddon.setNetns(target);
    // listen(port) without a host binds synchronously (no DNS lookup tick), so the
    // socket is created while this thread is still inside the node namespace.
    server.listen(port);
  } finally {
    setnsAddon.setNetns(self);
    closeSync(self);
    closeSync(target);
  }
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
