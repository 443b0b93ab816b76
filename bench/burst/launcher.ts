// The pod side of a bench:burst run, in its own process (see pods.ts for why):
// started by the bench inside the node's network namespace. Protocol on
// stdin/stdout, one line each: the job (JSON) in; "ready" out; "go <t0>" in
// (t0 = the burst's start, process.hrtime.bigint() of the bench); the
// outcome (JSON) out, then exit.
import { createInterface } from "node:readline";
import { type BurstJob, runAdds } from "./pods.ts";

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const jobLine = await lines.next();
if (jobLine.done) throw new Error("burst launcher: no job on stdin");
const job = JSON.parse(jobLine.value) as BurstJob;
process.stdout.write("ready\n");
const go = await lines.next();
const m = go.done ? null : /^go (\d+)$/.exec(go.value);
if (!m) throw new Error(`burst launcher: expected "go <t0>", got ${JSON.stringify(go.value)}`);
const out = await runAdds(job, BigInt(m[1]!));
process.stdout.write(`${JSON.stringify(out)}\n`);
process.exit(0);
