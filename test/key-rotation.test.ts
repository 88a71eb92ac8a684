import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { decodeBase64Url, encodeBase64Url, encodeBase64UrlText } from "../src/auth/base64url";
import { buildClaims, systemClock } from "../src/auth/tokens";
import { parseSettings } from "../src/settings";
import { call, createUser, expect401, get, login, postJson, type Overrides } from "./helpers";

const OLD_KEY = "the-previous-signing-key-0123456789-abcdef";
const NEW_KEY = "the-current-signing-key-9876543210-fedcba";
const OTHER_KEY = "a-key-this-service-never-had-000000000000";

const BEFORE = { JWT_SIGNING_KEY: OLD_KEY };
const AFTER = { JWT_SIGNING_KEY: NEW_KEY, JWT_VERIFYING_KEYS: OLD_KEY };
const RETIRED = { JWT_SIGNING_KEY: NEW_KEY };

function headerOf(token: string): Record<string, unknown> {
  const bytes = decodeBase64Url(token.split(".")[0]!);
  return JSON.parse(new TextDecoder().decode(bytes!));
}

/** An access token signed by hand with `key` and exactly this header. */
async function signWithHeader(header: object, key: string, userId: number): Promise<string> {
  const settings = parseSettings({ ...env, JWT_SIGNING_KEY: key });
  const claims = buildClaims({ type: "access", userId, issuedAt: systemClock() }, settings);
  const input = `${encodeBase64UrlText(JSON.stringify(header))}.${encodeBase64UrlText(
    JSON.stringify(claims),
  )}`;

  const hmac = { name: "HMAC", hash: "SHA-256" };
  const raw = new TextEncoder().encode(key);
  const cryptoKey = await crypto.subtle.importKey("raw", raw, hmac, false, ["sign"]);
  const signature = await crypto.subtle.sign("HMAC", cryptoKey, new TextEncoder().encode(input));
  return `${input}.${encodeBase64Url(new Uint8Array(signature))}`;
}

async function restricted(token: string, overrides: Overrides) {
  return call(get("/api/restricted/", `Bearer ${token}`), overrides);
}

describe("signing key rotation", () => {
  it("keeps a token signed with the previous key valid after rotation", async () => {
    const user = await createUser();
    const tokens = await login(user.username, user.password, BEFORE);

    const response = await restricted(tokens.access, AFTER);

    expect(response.status).toBe(200);
  });

  it("refreshes a previous-key refresh token into tokens signed with the new key", async () => {
    const user = await createUser();
    const tokens = await login(user.username, user.password, BEFORE);

    const response = await call(
      postJson("/api/token/refresh/", { refresh: tokens.refresh }),
      AFTER,
    );

    expect(response.status).toBe(200);
    const refreshed = (await response.json()) as { access: string; refresh: string };
    expect(headerOf(refreshed.access).kid).not.toBe(headerOf(tokens.access).kid);
    expect((await restricted(refreshed.access, RETIRED)).status).toBe(200);
  });

  it("accepts any of several comma-separated verifying keys", async () => {
    const user = await createUser();
    const tokens = await login(user.username, user.password, BEFORE);
    const overrides = { JWT_SIGNING_KEY: NEW_KEY, JWT_VERIFYING_KEYS: `${OTHER_KEY}, ${OLD_KEY}` };

    const response = await restricted(tokens.access, overrides);

    expect(response.status).toBe(200);
  });

  it("refuses a token signed with a key that was removed from the verifying keys", async () => {
    const user = await createUser();
    const tokens = await login(user.username, user.password, BEFORE);

    const access = await restricted(tokens.access, RETIRED);
    const refresh = await call(
      postJson("/api/token/refresh/", { refresh: tokens.refresh }),
      RETIRED,
    );

    expect((await expect401(access)).code).toBe("token_not_valid");
    expect(await expect401(refresh)).toEqual({
      detail: "Token is invalid or expired",
      code: "token_not_valid",
    });
  });

  it("refuses a token whose kid names no key, even when the signature is good", async () => {
    const user = await createUser();
    const header = { alg: "HS256", typ: "JWT", kid: "bm90LWEta2lk" };
    const token = await signWithHeader(header, NEW_KEY, user.id);

    const body = await expect401(await restricted(token, AFTER));

    expect(body.code).toBe("token_not_valid");
    expect(body.messages).toEqual([
      { token_class: "AccessToken", token_type: "access", message: "Token is invalid or expired" },
    ]);
  });

  it("refuses a token that names the old key's kid but is signed with another key", async () => {
    const user = await createUser();
    const oldKid = headerOf((await login(user.username, user.password, BEFORE)).access).kid;
    const token = await signWithHeader(
      { alg: "HS256", typ: "JWT", kid: oldKid },
      OTHER_KEY,
      user.id,
    );

    const body = await expect401(await restricted(token, AFTER));

    expect(body.code).toBe("token_not_valid");
  });
});

describe("kid-less tokens, as a SimpleJWT server issues them", () => {
  const SIMPLEJWT_HEADER = { alg: "HS256", typ: "JWT" };

  it("accepts one signed with the current key", async () => {
    const user = await createUser();
    const token = await signWithHeader(SIMPLEJWT_HEADER, NEW_KEY, user.id);

    const response = await restricted(token, RETIRED);

    expect(response.status).toBe(200);
  });

  it("accepts one signed with a verifying key", async () => {
    const user = await createUser();
    const token = await signWithHeader(SIMPLEJWT_HEADER, OLD_KEY, user.id);

    const response = await restricted(token, AFTER);

    expect(response.status).toBe(200);
  });

  it("refuses one signed with a key the service does not have", async () => {
    const user = await createUser();
    const token = await signWithHeader(SIMPLEJWT_HEADER, OTHER_KEY, user.id);

    const body = await expect401(await restricted(token, AFTER));

    expect(body.code).toBe("token_not_valid");
  });
});

describe("the kid header", () => {
  it("names the key by a short fingerprint that reveals nothing of it", async () => {
    const user = await createUser();

    const kid = headerOf((await login(user.username, user.password, RETIRED)).access).kid;

    expect(typeof kid).toBe("string");
    const text = kid as string;
    expect(text.length).toBeLessThanOrEqual(16);
    expect(NEW_KEY).not.toContain(text);
    expect(text).not.toContain(NEW_KEY.slice(0, 4));
    expect(encodeBase64UrlText(NEW_KEY)).not.toContain(text);
  });

  it("is the same for one key everywhere and differs between keys", async () => {
    const user = await createUser();

    const first = headerOf((await login(user.username, user.password, BEFORE)).access).kid;
    const again = headerOf((await login(user.username, user.password, BEFORE)).access).kid;
    const other = headerOf((await login(user.username, user.password, RETIRED)).access).kid;

    expect(again).toBe(first);
    expect(other).not.toBe(first);
  });
});
