import { defineConfig } from "vitest/config";

// Three projects, so a newcomer can run just the fast ones:
//   unit         pure logic, no privileges, milliseconds each
//   integration  real network namespaces, netlink, the emulator over HTTP (root,
//                or skipped with a printed reason)
//   e2e          the simulated multi-node VPC cluster
export default defineConfig({
  test: {
    projects: [
      { test: { name: "unit", include: ["test/unit/**/*.test.ts"], testTimeout: 20_000 } },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          testTimeout: 300_000,
          hookTimeout: 300_000,
          // The e2e worlds share the host's CPU with a whole simulated VPC: one at a time.
          fileParallelism: false,
        },
      },
    ],
  },
});
