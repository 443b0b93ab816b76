// Calls the optional data plane's hooks for instances bound to a network
// namespace. Hooks are awaited (so interfaces exist by the time EC2 reports
// them), but a failing hook never corrupts EC2 state: the error is recorded
// and shown in admin state, because a real EC2 does not depend on our Linux.

import type { DataPlane, DataPlaneEni } from "../dataplane/types.ts";

export class DataPlaneBridge {
  readonly #dataPlane: DataPlane | undefined;
  readonly #bound = new Map<string, string>();
  /** ENIs the data plane was told about (bind or eniAttached), so eniDetached is only sent for those. */
  readonly #announced = new Set<string>();
  readonly errors: string[] = [];

  constructor(dataPlane: DataPlane | undefined) {
    this.#dataPlane = dataPlane;
  }

  get enabled(): boolean {
    return this.#dataPlane !== undefined;
  }

  bindings(): Record<string, string> {
    return Object.fromEntries(this.#bound);
  }

  async bind(instanceId: string, netnsName: string, enis: DataPlaneEni[]): Promise<void> {
    if (!this.#dataPlane) throw new Error("bindInstance: the emulator was started without a dataPlane");
    if (this.#bound.has(instanceId)) {
      throw new Error(`bindInstance: ${instanceId} is already bound to ${this.#bound.get(instanceId)}`);
    }
    await this.#dataPlane.bindInstance(instanceId, netnsName, enis);
    this.#bound.set(instanceId, netnsName);
    for (const e of enis) this.#announced.add(e.eniId);
  }

  unbind(instanceId: string): void {
    this.#bound.delete(instanceId);
  }

  async attached(eni: DataPlaneEni): Promise<void> {
    if (this.#bound.has(eni.instanceId))
      await this.#call("eniAttached", () => this.#dataPlane!.eniAttached(eni));
  }

  async detached(instanceId: string, eniId: string): Promise<void> {
    if (this.#bound.has(instanceId))
      await this.#call("eniDetached", () => this.#dataPlane!.eniDetached(eniId));
  }

  async addressesChanged(eni: DataPlaneEni): Promise<void> {
    if (this.#bound.has(eni.instanceId)) {
      await this.#call("addressesChanged", () => this.#dataPlane!.addressesChanged(eni));
    }
  }

  async close(): Promise<void> {
    this.#bound.clear();
    this.#announced.clear();
    await this.#dataPlane?.close();
  }

  async #call(hook: string, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (e) {
      this.errors.push(`${hook}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}
