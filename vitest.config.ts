import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig(async () => {
  const migrations = await readD1Migrations("./migrations");

  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: migrations,
            JWT_SIGNING_KEY: "test-signing-key-that-is-long-enough-for-hs256",
            THROTTLE_LOGIN_PER_IP: "1000/1m",
            THROTTLE_LOGIN_PER_USERNAME: "1000/1m",
            THROTTLE_REGISTER_PER_IP: "1000/1m",
          },
        },
      }),
    ],
    test: {
      include: ["test/**/*.test.ts"],
      setupFiles: ["./test/apply-migrations.ts"],
    },
  };
});
