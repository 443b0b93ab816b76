// The measuring side of bench:add. It runs INSIDE the node's network namespace
// (started under `nsenter --net=...` by bench/add.ts), so both plugins are
// fork/exec'd directly from here, exactly like a runtime living on the node:
// same env shape, config on stdin, no wrapper around either of them.
// Reads one AddJob (JSON) on stdin; writes AddSamples (JSON) on stdout.
import { execTimed } from "../lib/exec.ts";
import { interleave } from "../lib/interleave.ts";
import type { AddJob, AddSamples, Side } from "./job.ts";

const job = JSON.parse(await readStdin()) as AddJob;

function readStdin(): Promise<string> {
  return new Promise((resolve) => {
    let s = "";
    process.stdin.setEncoding("utf8").on("data", (d: string) => {
      s += d;
    });
    process.stdin.on("end", () => resolve(s));
  });
}

function env(side: Side, verb: "ADD" | "DEL", idx: number): Record<string, string> {
  const containerId = `bench${side.tag}${idx.toString().padStart(5, "0")}`;
  return {
    PATH: process.env["PATH"] ?? "/usr/sbin:/usr/bin:/sbin:/bin",
    CNI_COMMAND: verb,
    CNI_CONTAINERID: containerId,
    CNI_NETNS: side.netns[idx]!,
    CNI_IFNAME: "eth0",
    CNI_PATH: job.cniPath,
    CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAMESPACE=bench;K8S_POD_NAME=${side.tag}-${idx};K8S_POD_INFRA_CONTAINER_ID=${containerId}`,
  };
}

/** One contender per side; iteration i (warm-up ones negative) uses pod i + warmup. */
function contenders(verb: "ADD" | "DEL") {
  return job.sides.map((side) => ({
    name: side.name,
    run: async (i: number) => {
      const idx = i + job.warmup;
      const r = await execTimed(side.bin, env(side, verb, idx), JSON.stringify(side.conf));
      if (r.code !== 0) {
        throw new Error(
          `${side.name} ${verb} pod ${idx} exited ${r.code}: ${r.stdout.trim()} ${r.stderr.trim()}`,
        );
      }
    },
  }));
}

const progress = (verb: string) => (done: number, total: number) => {
  if (done % 50 === 0 || done === total) process.stderr.write(`  ${verb} ${done}/${total}\n`);
};
// All ADDs first (pods stay up, as on a busy node), then all DELs.
const add = await interleave(contenders("ADD"), job.n, { warmup: job.warmup, onProgress: progress("ADD") });
const del = await interleave(contenders("DEL"), job.n, { warmup: job.warmup, onProgress: progress("DEL") });
const out: AddSamples = { add: add.samples, del: del.samples };
process.stdout.write(`${JSON.stringify(out)}\n`);
