#!/bin/sh
# Starts ipamd: the pre-bundled build/ipamd/main.js (deploy/build-ipamd.ts)
# with the V8 flags in deploy/ipamd-node-flags. The container entrypoint and
# the test harness (test/harness/ipamd-process.ts) both start ipamd through
# this file, so tests run what production runs. `exec`: the pid stays ipamd's,
# so signals reach it directly. VPC_CNI_NODE: which node (default: PATH's).
here=$(cd "$(dirname "$0")" && pwd)
# glibc gives each thread that allocates its own malloc arena; Node's libuv
# and V8 worker threads then keep partly used arenas resident.
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
# shellcheck disable=SC2046 # one flag per word, by design
exec "${VPC_CNI_NODE:-node}" $(grep -v '^#' "$here/ipamd-node-flags") "$here/../build/ipamd/main.js" "$@"
