// Helpers for hostnet integration tests: a "node" namespace standing in for
// the host (so the real root namespace is never touched), state snapshots, and
// a TCP reachability probe (ping is not installed on these machines).
import { execFileSync, spawn } from "node:child_process";
import { ip, ipJson } from "../../support/netns.ts";

export function sysctlIn(ns: string, key: string): string {
  return execFileSync("ip", ["netns", "exec", ns, "cat", `/proc/sys/${key}`], { encoding: "utf8" }).trim();
}

export function sysctlSet(ns: string, key: string, value: string): void {
  execFileSync("ip", ["netns", "exec", ns, "sh", "-c", `echo ${value} > /proc/sys/${key}`]);
}

interface JLink {
  ifname: string;
}
interface JRoute {
  dst: string;
  dev?: string;
  table?: string;
  gateway?: string;
  scope?: string;
}
interface JRule {
  priority: number;
  src?: string;
  dst?: string;
  table?: string;
}

export function links(ns: string): string[] {
  return ipJson<JLink[]>(["link"], ns)
    .map((l) => l.ifname)
    .sort();
}

/** Everything in a namespace that pod plumbing could leave behind, as comparable strings. */
export function snapshot(ns: string): { links: string[]; routes: string[]; rules: string[] } {
  return {
    links: links(ns),
    routes: ipJson<JRoute[]>(["-4", "route", "show", "table", "all"], ns)
      .map((r) => `${r.dst} dev ${r.dev} table ${r.table ?? "main"} via ${r.gateway ?? "-"}`)
      .sort(),
    rules: ipJson<JRule[]>(["-4", "rule"], ns)
      .map((r) => `${r.priority} from ${r.src} to ${r.dst ?? "-"} table ${r.table}`)
      .sort(),
  };
}

export function rulesOf(ns: string): JRule[] {
  return ipJson<JRule[]>(["rule"], ns);
}

export function routesOf(ns: string, table = "main"): JRoute[] {
  return ipJson<JRoute[]>(["route", "show", "table", table], ns);
}

/**
 * True when a TCP connection from namespace `from` to ip:port reaches a
 * listener in namespace `to`. Each side is a short node process run with
 * `ip netns exec`.
 */
export async function tcpReachable(from: string, to: string, addr: string, port: number): Promise<boolean> {
  const server = spawn(
    "ip",
    [
      "netns",
      "exec",
      to,
      process.execPath,
      "-e",
      `const s=require("net").createServer(c=>{c.end("ok");s.close()});` +
        `s.listen(${port},"0.0.0.0",()=>console.log("ready"));setTimeout(()=>process.exit(3),5000)`,
    ],
    { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, NODE_EXTRA_CA_CERTS: "" } },
  );
  try {
    await new Promise<void>((resolve, reject) => {
      server.stdout.once("data", () => resolve());
      server.once("exit", (code) => reject(new Error(`probe server exited ${code}`)));
    });
    const out = execFileSync(
      "ip",
      [
        "netns",
        "exec",
        from,
        process.execPath,
        "-e",
        `const c=require("net").connect(${port},"${addr}");let d="";c.on("data",x=>d+=x);` +
          `c.on("end",()=>{console.log(d);process.exit(0)});c.on("error",()=>process.exit(1));` +
          `setTimeout(()=>process.exit(2),2000)`,
      ],
      { encoding: "utf8", env: { ...process.env, NODE_EXTRA_CA_CERTS: "" } },
    );
    return out.trim() === "ok";
  } catch {
    return false;
  } finally {
    server.kill();
  }
}

export { ip };
