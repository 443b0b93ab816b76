// Resource ids and MAC addresses shaped like AWS's (17 hex digits after the
// prefix; locally administered unicast MACs), unique within one emulator.

import { randomBytes } from "node:crypto";

export class IdSource {
  readonly #seen = new Set<string>();
  next(prefix: string): string {
    for (;;) {
      const id = `${prefix}-0${randomBytes(8).toString("hex")}`;
      if (!this.#seen.has(id)) {
        this.#seen.add(id);
        return id;
      }
    }
  }
  mac(): string {
    for (;;) {
      // 0x02 in the first octet: locally administered, unicast (AWS uses 02/06/0a/0e/...).
      const bytes = [0x02, ...randomBytes(5)];
      const mac = bytes.map((b) => b.toString(16).padStart(2, "0")).join(":");
      if (!this.#seen.has(mac)) {
        this.#seen.add(mac);
        return mac;
      }
    }
  }
}
