// Run-unique names and the registry of everything a harness run created.
// destroy() and the exit handler only ever delete what is recorded here AND
// carries this run's prefix: a bug elsewhere can never make the harness delete
// a namespace or process it did not create.
import { randomBytes } from "node:crypto";

export class HarnessError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "HarnessError";
  }
}

export interface RunNames {
  /** Letters and digits, e.g. "vc3fa1c2": usable as the data plane prefix too. */
  readonly prefix: string;
  nodeNetns(node: string): string;
  podNetns(): string;
  /** Throws unless `name` carries this run's prefix. */
  assertOurs(name: string): void;
}

const NODE_NAME = /^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/;

export function runNames(prefix = `vc${randomBytes(3).toString("hex")}`): RunNames {
  if (!/^[a-z0-9]{3,12}$/.test(prefix))
    throw new HarnessError(`run prefix ${prefix}: 3-12 lower-case letters/digits`);
  let pods = 0;
  return {
    prefix,
    nodeNetns(node) {
      if (!NODE_NAME.test(node))
        throw new HarnessError(`node name ${JSON.stringify(node)}: DNS label, <= 32 chars`);
      return `${prefix}-n-${node}`;
    },
    podNetns: () => `${prefix}-p${++pods}`,
    assertOurs(name) {
      if (!name.startsWith(`${prefix}-`))
        throw new HarnessError(`refusing to touch ${name}: not created by run ${prefix}`);
    },
  };
}
