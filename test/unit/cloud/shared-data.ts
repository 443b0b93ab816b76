// Locates the public instance-limits table the project may not copy into the
// repository (/work/shared/data, or ../shared/data next to the repo root).

import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export interface PublicLimits {
  bareMetal: boolean;
  defaultNetworkCardIndex: number;
  hypervisor: string;
  ipv4AddressesPerInterface: number;
  maxNetworkInterfaces: number;
  networkCards: { index: number; maxNetworkInterfaces: number }[];
}

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const CANDIDATES = ["/work/shared/data", join(repoRoot, "../shared/data")].map((d) =>
  join(d, "ec2-instance-network-limits.json"),
);

/** The table, or the reason it is not there (tests skip with it). */
export function loadPublicLimits(): { table?: Record<string, PublicLimits>; reason: string } {
  const file = CANDIDATES.find((f) => existsSync(f));
  if (file === undefined) return { reason: `public limits table not found at ${CANDIDATES.join(" or ")}` };
  const parsed = JSON.parse(readFileSync(file, "utf8")) as { instanceTypes: Record<string, PublicLimits> };
  return { table: parsed.instanceTypes, reason: file };
}
