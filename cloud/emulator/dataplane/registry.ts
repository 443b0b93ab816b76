// Everything this process's data planes created, so it can be removed even when
// the caller never reaches close() (test crash, Ctrl-C): a synchronous sweep on
// process 'exit'. Only names recorded here are ever deleted: the router's
// namespace and the internet's ("router" below means either).
import { execFileSync } from "node:child_process";

const routerNamespaces = new Set<string>();
let hooked = false;

export function registerRouter(netns: string): void {
  routerNamespaces.add(netns);
  if (!hooked) {
    hooked = true;
    process.on("exit", sweepSync);
  }
}

export function unregisterRouter(netns: string): void {
  routerNamespaces.delete(netns);
}

/** Deletes every router namespace still registered. Deleting the namespace deletes its veths and their peers. */
export function sweepSync(): void {
  for (const ns of routerNamespaces) {
    try {
      execFileSync("ip", ["netns", "del", ns], { stdio: "ignore" });
    } catch {
      // already gone
    }
    routerNamespaces.delete(ns);
  }
}
