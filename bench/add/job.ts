// What bench/add.ts hands to its worker inside the node namespace, and back.

export interface Side {
  name: string;
  /** Short tag for container ids and pod names. */
  tag: string;
  /** Plugin executable. */
  bin: string;
  /** The network configuration on stdin (cniVersion and name included). */
  conf: Record<string, unknown>;
  /** CNI_NETNS per pod index (warm-up pods first). */
  netns: string[];
}

export interface AddJob {
  n: number;
  warmup: number;
  cniPath: string;
  sides: Side[];
}

export interface AddSamples {
  /** Milliseconds per side name. */
  add: Record<string, number[]>;
  del: Record<string, number[]>;
}
