// End-to-end tests in a real Chromium against `wrangler dev`. Node-side vitest: the Workers
// pool cannot start a browser, and the `.e2e.ts` suffix keeps `npm test` from loading them.

import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/e2e/**/*.e2e.ts"],
    globalSetup: ["./test/e2e/global-setup.ts"],
    hookTimeout: 90_000,
    testTimeout: 60_000,
    // One wrangler dev and one browser serve the tests in order.
    fileParallelism: false,
  },
});
