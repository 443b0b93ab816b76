// Exec one program the way a container runtime execs a CNI plugin: fork/exec
// with a given environment (nothing inherited but PATH), the configuration on
// stdin, the result read from stdout. Resolves with the wall time from spawn
// to exit, so two plugins exec'd through this are timed identically.
//
// stdin, stdout and stderr are real pipes, as a Go runtime gives them
// (libcni's exec: os.Pipe for a bytes.Buffer), not the Unix socketpairs
// Node's child_process uses for "pipe": a plugin may read and write them
// through different code paths (the Bun-compiled plugin's ADD p50 was ~0.2 ms
// apart between the two). Node has no pipe(2), so each exec gets named pipes
// (FIFOs) from a small pool.
import { execFileSync, spawn } from "node:child_process";
import { closeSync, constants, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface ExecResult {
  ms: number;
  code: number;
  stdout: string;
  stderr: string;
}

/** Three FIFOs for one exec at a time; returned to the pool when it ends. */
interface FifoSet {
  stdin: string;
  stdout: string;
  stderr: string;
}

let fifoDir: string | undefined;
let made = 0;
const idle: FifoSet[] = [];

function takeFifos(): FifoSet {
  const free = idle.pop();
  if (free) return free;
  if (!fifoDir) {
    const dir = mkdtempSync(join(tmpdir(), "bench-exec-"));
    fifoDir = dir;
    process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  }
  const n = made++;
  const set = { stdin: `${fifoDir}/${n}.in`, stdout: `${fifoDir}/${n}.out`, stderr: `${fifoDir}/${n}.err` };
  execFileSync("mkfifo", [set.stdin, set.stdout, set.stderr]);
  return set;
}

/** A fresh pipe through a FIFO: [read end, write end]. The read end is opened first (non-blocking) so the write end's open does not wait. */
function openPipe(fifo: string): [number, number] {
  const r = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  return [r, openSync(fifo, constants.O_WRONLY)];
}

/** Everything written to a pipe's read end until EOF. */
function drain(fd: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = new Socket({ fd, readable: true, writable: false });
    let text = "";
    s.setEncoding("utf8").on("data", (d: string) => {
      text += d;
    });
    s.on("end", () => resolve(text));
    s.on("error", reject);
  });
}

export async function execTimed(
  bin: string,
  env: Record<string, string>,
  stdin: string,
): Promise<ExecResult> {
  // A pipe holds 64 KiB; more would block the write below with nobody reading yet.
  if (Buffer.byteLength(stdin) > 60_000) throw new Error("execTimed: stdin over 60 KB");
  const fifos = takeFifos();
  // stdin: written whole and closed before the exec (it fits the pipe buffer),
  // as a Go runtime's copier does right after it.
  const [inR, inW] = openPipe(fifos.stdin);
  writeSync(inW, stdin);
  closeSync(inW);
  const [outR, outW] = openPipe(fifos.stdout);
  const [errR, errW] = openPipe(fifos.stderr);
  const t0 = process.hrtime.bigint();
  const exited = new Promise<number>((resolve, reject) => {
    const child = spawn(bin, [], { env, stdio: [inR, outW, errW] });
    child.on("error", reject);
    child.on("exit", (code) => resolve(code ?? -1));
  });
  // The child holds its own copies now: ours go, so EOF comes when it exits.
  for (const fd of [inR, outW, errW]) closeSync(fd);
  const [code, stdout, stderr] = await Promise.all([exited, drain(outR), drain(errR)]);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  idle.push(fifos);
  return { ms, code, stdout, stderr };
}
