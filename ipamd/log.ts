// The daemon's one logger factory. JSON lines on stderr (pino), so a node's
// log shipper indexes fields such as pod namespace/name and container id
// without parsing prose. Modules take a child logger with their component
// name instead of importing a global, so tests can pass a silent one.
import { type Logger, pino } from "pino";

export type { Logger };

export interface LogOptions {
  /** pino level name: trace, debug, info, warn, error, fatal, silent. */
  level?: string;
  /** Where lines go; stderr by default (stdout is free for a CLI's answer). */
  destination?: NodeJS.WritableStream;
}

const LEVELS = new Set(["trace", "debug", "info", "warn", "error", "fatal", "silent"]);

export function createLogger(opts: LogOptions = {}): Logger {
  const level = opts.level !== undefined && LEVELS.has(opts.level) ? opts.level : "info";
  return pino(
    { level, base: { component: "ipamd" }, timestamp: pino.stdTimeFunctions.isoTime },
    // Not process.stderr: writes to a pipe or file there are synchronous, one
    // syscall per line on every ADD/DEL. pino's asynchronous destination
    // batches lines written while a write is in flight and is flushed
    // synchronously when the process exits (pino registers that), so fatal
    // lines before process.exit are not lost.
    opts.destination ?? pino.destination({ dest: 2, sync: false }),
  );
}

/** A logger that drops everything, for unit tests. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
