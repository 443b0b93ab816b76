// Typed errors of the VPC data plane, so callers (the emulator, the harness)
// can tell bad input from a kernel refusal without parsing message strings.

export type DataPlaneErrorKind =
  /** A malformed value in a hook's arguments (MAC, address, CIDR, prefix, name). */
  | "invalid"
  /** A namespace or interface we would have to touch was not created by this data plane. */
  | "not-ours"
  /** The instance namespace named in bindInstance does not exist. */
  | "no-netns"
  /** `ip` refused a command (EEXIST, ENODEV, ...): stderr is in the message. */
  | "ip-failed"
  /** The data plane was closed. */
  | "closed";

export class DataPlaneError extends Error {
  readonly kind: DataPlaneErrorKind;
  constructor(kind: DataPlaneErrorKind, message: string) {
    super(message);
    this.name = "DataPlaneError";
    this.kind = kind;
  }
}
