// The pool actions of one batch, run concurrently, to which more growth can
// be added while they run (demand that arrives mid-attach starts its own ENIs
// at once instead of after the round; see PoolLoop.#topUp). Each outcome is
// handed to `onSettled` as soon as its action ends, so a failure that stops
// growth stops further top-ups right away and held ADDs wake per action.
import type { PlanAction } from "../planner/types.ts";
import type { ActionDone } from "./executor.ts";

export class ActionBatch {
  readonly #apply: (a: PlanAction) => Promise<ActionDone>;
  readonly #onSettled: (a: PlanAction, outcome: PromiseSettledResult<ActionDone>) => void;
  readonly #pending = new Set<PlanAction>();
  readonly #all: Promise<void>[] = [];

  constructor(
    apply: (a: PlanAction) => Promise<ActionDone>,
    onSettled: (a: PlanAction, outcome: PromiseSettledResult<ActionDone>) => void,
  ) {
    this.#apply = apply;
    this.#onSettled = onSettled;
  }

  launch(a: PlanAction): void {
    this.#pending.add(a);
    const settle = (o: PromiseSettledResult<ActionDone>) => {
      this.#pending.delete(a);
      this.#onSettled(a, o);
    };
    this.#all.push(
      this.#apply(a).then(
        (value) => settle({ status: "fulfilled", value }),
        (reason: unknown) => settle({ status: "rejected", reason }),
      ),
    );
  }

  /** Actions launched and not ended yet. */
  get inFlight(): PlanAction[] {
    return [...this.#pending];
  }

  /** Resolves once every action ended, including ones launched while waiting. */
  async settled(): Promise<void> {
    for (let n = 0; n < this.#all.length; ) {
      const upTo = this.#all.length;
      await Promise.all(this.#all.slice(n, upTo));
      n = upTo;
    }
  }
}
