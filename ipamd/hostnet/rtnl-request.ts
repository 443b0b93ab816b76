// Hand-encoded requests (rtnl-encode.ts) on the netlink package's socket:
// one datagram out, answers routed back by sequence number. Used by Rtnl for
// the per-pod hot path instead of the package's own request(), which formats
// and parses generically and sends one datagram per request.
import { getSystemErrorName } from "node:util";
import { type BatchMessage, frameBatch, NLMSG_ERROR } from "./rtnl-encode.ts";

/**
 * The parts of the package's NetlinkSocket a batch needs. makeRef/dropRef are
 * protected in its typings but are how request() routes answers by sequence
 * number; netlink 0.3.x, pinned by the lockfile.
 * test/integration/hostnet/rtnl-batch.test.ts runs them against the kernel.
 */
export interface BatchSocket {
  generateSeq(): number;
  makeRef(seq: number, cb: (err: Error | null, msgs?: { type: number; data: Buffer }[]) => void): number;
  dropRef(seq: number): void;
  socket: { send(msg: Buffer, options: object, cb: (err?: Error) => void): void };
}

/** Rtnl.batch: each message's errno name, undefined when done. */
export function sendBatch(sock: BatchSocket, msgs: readonly BatchMessage[]): Promise<(string | undefined)[]> {
  return new Promise((resolve, reject) => {
    const outcomes: (string | undefined)[] = msgs.map(() => undefined);
    const seqs = msgs.map(() => sock.generateSeq());
    let open = true;
    const finish = (err: Error | undefined) => {
      if (!open) return;
      open = false;
      for (const seq of seqs) sock.dropRef(seq);
      if (err) reject(err);
      else resolve(outcomes);
    };
    const last = seqs.length - 1;
    seqs.forEach((seq, i) => {
      sock.makeRef(seq, (err, answer) => {
        if (err) {
          finish(err);
          return;
        }
        const m = answer?.[0];
        if (m?.type === NLMSG_ERROR && m.data.length >= 4) {
          const errno = -m.data.readInt32LE(0);
          if (errno !== 0) outcomes[i] = errnoName(errno);
        }
        if (i === last) finish(undefined);
      });
    });
    sock.socket.send(frameBatch(msgs, seqs, 0), {}, (err) => {
      if (err) finish(err);
    });
  });
}

/**
 * One request, finished by its ACK: an error rejects (as the package's own
 * requests do: "Request rejected: EEXIST"), a plain ACK resolves undefined,
 * and an NLM_F_ECHO answer (the new link) resolves with that message once its
 * ACK has come too. The ACK is awaited, not left behind: a message with no
 * waiter goes to the package's generic parser, which throws for an ACK
 * ("Unsupported message type 2"), and building that Error cost ~0.15 ms of
 * every ADD (ipamd CPU profile under bench:add). The kernel queues the echo
 * and the ACK together while handling the request, so waiting costs nothing.
 */
export function sendOne(
  sock: BatchSocket,
  msg: BatchMessage,
): Promise<{ type: number; data: Buffer } | undefined> {
  return new Promise((resolve, reject) => {
    const seq = sock.generateSeq();
    let open = true;
    let echo: { type: number; data: Buffer } | undefined;
    const finish = (err: Error | undefined) => {
      if (!open) return;
      open = false;
      sock.dropRef(seq);
      if (err) reject(err);
      else resolve(echo);
    };
    sock.makeRef(seq, (err, answer) => {
      if (err) return finish(err);
      const m = answer?.[0];
      if (m === undefined) return finish(undefined);
      if (m.type !== NLMSG_ERROR) {
        echo = m;
        return;
      }
      const errno = m.data.length >= 4 ? -m.data.readInt32LE(0) : 0;
      finish(errno === 0 ? undefined : new Error(`Request rejected: ${errnoName(errno)}`));
    });
    sock.socket.send(frameBatch([msg], [seq], 0), {}, (err) => {
      if (err) finish(err);
    });
  });
}

function errnoName(errno: number): string {
  try {
    return getSystemErrorName(-errno);
  } catch {
    return `E${errno}`;
  }
}
