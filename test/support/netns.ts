// Throwaway network namespaces for tests: unique names, always cleaned up.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";

/** A short unique name with a recognisable prefix (interface names are limited to 15 chars). */
export function uniqueName(prefix: string): string {
  return `${prefix}${randomBytes(3).toString("hex")}`;
}

export function ip(args: string[], netns?: string): string {
  const full = netns ? ["-n", netns, ...args] : args;
  return execFileSync("ip", full, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** `ip -j ...` parsed. */
export function ipJson<T = unknown>(args: string[], netns?: string): T {
  return JSON.parse(ip(["-j", ...args], netns) || "[]") as T;
}

export interface TestNetns {
  name: string;
  path: string;
  exec(args: string[]): string;
  delete(): void;
}

const created = new Set<string>();

export function createNetns(prefix = "t"): TestNetns {
  const name = uniqueName(`vcni-${prefix}-`);
  ip(["netns", "add", name]);
  created.add(name);
  ip(["link", "set", "lo", "up"], name);
  return {
    name,
    path: `/var/run/netns/${name}`,
    exec: (args) => ip(args, name),
    delete: () => deleteNetns(name),
  };
}

export function deleteNetns(name: string): void {
  created.delete(name);
  try {
    ip(["netns", "del", name]);
  } catch {
    // already gone
  }
}

// Last line of defence if a test forgets its afterAll.
process.on("exit", () => {
  for (const name of created) deleteNetns(name);
});
