// What every demo step gets and returns. A step is one concern in its own file
// (steps/*.ts); main.ts runs the list in steps/index.ts in order. A step
// throws when its check fails; what it returns is the one-line result shown
// after the ✓. `note` prints indented lines under the step (messages a user
// would see: the plugin's error, STATUS, metrics).
import type { Cluster, Pod } from "../../test/harness/index.ts";

export interface DemoContext {
  readonly cluster: Cluster;
  /** Pods by demo name ("web-1", ...), added by the schedule step. */
  readonly pods: Map<string, Pod>;
  note(line: string): void;
}

export interface Step {
  title: string;
  run(ctx: DemoContext): Promise<string>;
}

/** The pod a step needs, or a clear error if an earlier step did not create it. */
export function pod(ctx: DemoContext, name: string): Pod {
  const p = ctx.pods.get(name);
  if (!p) throw new Error(`pod ${name} does not exist (an earlier step failed)`);
  return p;
}
