// Logging never touches stdout (that is the CNI result channel). Routine lines
// go only to the optional log file; warnings also go to stderr, which runtimes
// collect (containerd/CRI-O put it in their own log).

export interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
}

// `stderr` is a getter, not the stream: under Bun the first touch of
// process.stderr builds a node:stream Writable (~2-4 ms of a ~10 ms process
// start, measured with strace -r), and routine ADD/DEL never write to it.
export function createLogger(
  prefix: string,
  logFile?: string,
  stderr: () => NodeJS.WritableStream = () => process.stderr,
): Logger {
  const write = (level: string, msg: string, toStderr: boolean) => {
    // Routine lines with no log file go nowhere: skip building them (the
    // first Date costs a time-zone load in a process that lives ~10 ms).
    if (!toStderr && !logFile) return;
    const line = `${new Date().toISOString()} ${level} vpc-cni ${prefix}: ${msg}\n`;
    if (toStderr) stderr().write(line);
    if (logFile) {
      try {
        // Loaded on first use: node:fs costs ~1 ms to load in the Bun binary.
        (process.getBuiltinModule("node:fs") as typeof import("node:fs")).appendFileSync(logFile, line);
      } catch {
        // A broken log file must not fail the CNI operation itself.
      }
    }
  };
  return { info: (m) => write("info", m, false), warn: (m) => write("warn", m, true) };
}

export const silentLogger: Logger = { info: () => {}, warn: () => {} };
