import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createUser, expect401, loggedInUser, login } from "./helpers";
import {
  ageRetirement,
  claimsOf,
  familyRows,
  ledgerRow,
  mintToken,
  refresh,
  restricted,
  verify,
} from "./lifecycle-helpers";

const BLACKLISTED = { detail: "Token is blacklisted", code: "token_not_valid" };

type Pair = { access: string; refresh: string };

afterEach(() => {
  vi.restoreAllMocks();
});

describe("the refresh-token ledger", () => {
  it("records the refresh token issued at login under its jti, user, expiry and a new family", async () => {
    const { user, tokens } = await loggedInUser();

    const row = await ledgerRow(tokens.refresh);

    const claims = claimsOf(tokens.refresh);
    expect(row).toMatchObject({ jti: claims.jti, user_id: user.id, expires_at: claims.exp });
    expect(row?.family_id).toMatch(/^[0-9a-f]{32}$/);
    expect(row?.retired_at).toBeNull();
    expect(row?.revoked_at).toBeNull();
  });

  it("starts a new family at every login", async () => {
    const user = await createUser();

    const first = await login(user.username, user.password);
    const second = await login(user.username, user.password);

    const [a, b] = await Promise.all([ledgerRow(first.refresh), ledgerRow(second.refresh)]);
    expect(a?.family_id).not.toBe(b?.family_id);
  });

  it("records the rotated token in the presented token's family and retires the presented one", async () => {
    const { user, tokens } = await loggedInUser();

    const response = await refresh(tokens.refresh);

    expect(response.status).toBe(200);
    const pair = (await response.json()) as Pair;
    const [parent, child] = await Promise.all([ledgerRow(tokens.refresh), ledgerRow(pair.refresh)]);
    expect(child).toMatchObject({ user_id: user.id, family_id: parent?.family_id });
    expect(child?.expires_at).toBe(claimsOf(pair.refresh).exp);
    expect(parent?.retired_at).not.toBeNull();
    expect(parent?.replaced_by).toBe(claimsOf(pair.refresh).jti);
  });
});

describe("rotation settings", () => {
  it("returns a new access and refresh token and refuses the presented one afterwards", async () => {
    const { tokens } = await loggedInUser();
    const noGrace = { REFRESH_GRACE_SECONDS: "0" };

    const first = await refresh(tokens.refresh, noGrace);
    const again = await refresh(tokens.refresh, noGrace);

    expect(first.status).toBe(200);
    const pair = (await first.json()) as Pair;
    expect(Object.keys(pair).sort()).toEqual(["access", "refresh"]);
    expect(pair.refresh).not.toBe(tokens.refresh);
    expect(await expect401(again)).toEqual(BLACKLISTED);
  });

  it("returns only an access token and keeps the token usable when rotation is off", async () => {
    const { tokens } = await loggedInUser();
    const noRotation = { ROTATE_REFRESH_TOKENS: "false" };

    const first = await refresh(tokens.refresh, noRotation);
    const second = await refresh(tokens.refresh, noRotation);

    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    const body = (await second.json()) as { access: string };
    expect(Object.keys(body)).toEqual(["access"]);
    expect((await restricted(body.access)).status).toBe(200);
    const row = await ledgerRow(tokens.refresh);
    expect(row?.retired_at).toBeNull();
    expect(await familyRows(row!.family_id)).toHaveLength(1);
  });

  it("refuses a token retired by rotation even after rotation is switched off", async () => {
    const { tokens } = await loggedInUser();
    await refresh(tokens.refresh);

    const response = await refresh(tokens.refresh, { ROTATE_REFRESH_TOKENS: "false" });

    expect(await expect401(response)).toEqual(BLACKLISTED);
  });

  it("issues a new refresh token and leaves the old one valid when blacklisting after rotation is off", async () => {
    const { tokens } = await loggedInUser();
    const keepOld = { BLACKLIST_AFTER_ROTATION: "false", REFRESH_GRACE_SECONDS: "0" };

    const first = await refresh(tokens.refresh, keepOld);
    const second = await refresh(tokens.refresh, keepOld);

    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    const [a, b] = (await Promise.all([first.json(), second.json()])) as [Pair, Pair];
    expect(a.refresh).not.toBe(b.refresh);
    expect((await refresh(a.refresh, keepOld)).status).toBe(200);
    const row = await ledgerRow(tokens.refresh);
    expect(row?.retired_at).toBeNull();
    expect(await familyRows(row!.family_id)).toHaveLength(4);
  });
});

describe("concurrent and repeated refreshes", () => {
  it("answers ten parallel refreshes with one token with one identical pair and one child row", async () => {
    const { tokens } = await loggedInUser();

    const responses = await Promise.all(Array.from({ length: 10 }, () => refresh(tokens.refresh)));

    expect(responses.map((response) => response.status)).toEqual(Array(10).fill(200));
    const pairs = (await Promise.all(responses.map((response) => response.json()))) as Pair[];
    expect(new Set(pairs.map((pair) => JSON.stringify(pair))).size).toBe(1);
    const parent = await ledgerRow(tokens.refresh);
    const family = await familyRows(parent!.family_id);
    expect(family).toHaveLength(2);
    expect(parent?.replaced_by).toBe(claimsOf(pairs[0]!.refresh).jti);
  });

  it("lets the child of a parallel refresh refresh normally afterwards", async () => {
    const { tokens } = await loggedInUser();
    const responses = await Promise.all(Array.from({ length: 10 }, () => refresh(tokens.refresh)));
    const child = ((await responses[0]!.json()) as Pair).refresh;

    const next = await refresh(child);

    expect(next.status).toBe(200);
    const grandchild = (await next.json()) as Pair;
    expect(grandchild.refresh).not.toBe(child);
    expect((await restricted(grandchild.access)).status).toBe(200);
    expect((await ledgerRow(child))?.replaced_by).toBe(claimsOf(grandchild.refresh).jti);
  });

  it("returns the same pair again when the token is repeated inside the grace window", async () => {
    const { tokens } = await loggedInUser();

    const first = (await (await refresh(tokens.refresh)).json()) as Pair;
    const repeated = await refresh(tokens.refresh);

    expect(repeated.status).toBe(200);
    expect(await repeated.json()).toEqual(first);
    expect((await restricted(first.access)).status).toBe(200);
    const row = await ledgerRow(tokens.refresh);
    expect(await familyRows(row!.family_id)).toHaveLength(2);
  });

  it("refuses a repeat inside the window once the successor was used, without ending the family", async () => {
    const { tokens } = await loggedInUser();
    const child = (await (await refresh(tokens.refresh)).json()) as Pair;
    const grandchild = (await (await refresh(child.refresh)).json()) as Pair;

    const repeated = await refresh(tokens.refresh);

    expect(await expect401(repeated)).toEqual(BLACKLISTED);
    expect((await refresh(grandchild.refresh)).status).toBe(200);
  });
});

describe("reuse detection", () => {
  function reuseLines(spy: { mock: { calls: unknown[][] } }) {
    return spy.mock.calls
      .map((args) => String(args[0]))
      .filter((line) => line.includes("auth.refresh_token_reuse"));
  }

  it("revokes the whole family when a retired token comes back after the grace window", async () => {
    const { user, tokens } = await loggedInUser();
    const noGrace = { REFRESH_GRACE_SECONDS: "0" };
    const victim = (await (await refresh(tokens.refresh, noGrace)).json()) as Pair;
    const warn = vi.spyOn(console, "warn");

    const reused = await refresh(tokens.refresh, noGrace);
    const victimNext = await refresh(victim.refresh, noGrace);

    expect(await expect401(reused)).toEqual(BLACKLISTED);
    expect(await expect401(victimNext)).toEqual(BLACKLISTED);
    const family = await familyRows((await ledgerRow(tokens.refresh))!.family_id);
    expect(family.every((row) => row.revoked_at !== null)).toBe(true);
    const lines = reuseLines(warn);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ user_id: user.id, level: "warn" });
  });

  it("treats a retired token as reused once its retirement is older than the default window", async () => {
    const { tokens } = await loggedInUser();
    const victim = (await (await refresh(tokens.refresh)).json()) as Pair;
    await ageRetirement(tokens.refresh, 11);

    const reused = await refresh(tokens.refresh);

    expect(await expect401(reused)).toEqual(BLACKLISTED);
    expect(await expect401(await refresh(victim.refresh))).toEqual(BLACKLISTED);
  });

  it("writes no token into any log line while detecting reuse", async () => {
    const { tokens } = await loggedInUser();
    const victim = (await (await refresh(tokens.refresh)).json()) as Pair;
    await ageRetirement(tokens.refresh, 60);
    const spies = (["log", "info", "warn", "error"] as const).map((name) =>
      vi.spyOn(console, name),
    );

    await refresh(tokens.refresh);
    await refresh(victim.refresh);

    const lines = spies.flatMap((spy) => spy.mock.calls.map((args) => args.map(String).join(" ")));
    expect(lines.some((line) => line.includes("auth.refresh_token_reuse"))).toBe(true);
    for (const secret of [tokens.refresh, tokens.access, victim.refresh, victim.access]) {
      const signature = secret.split(".")[2]!;
      expect(lines.filter((line) => line.includes(signature))).toEqual([]);
    }
  });

  it("leaves the user's other logins alone when one family is revoked", async () => {
    const user = await createUser();
    const stolen = await login(user.username, user.password);
    const otherDevice = await login(user.username, user.password);
    await refresh(stolen.refresh);
    await ageRetirement(stolen.refresh, 60);

    const reused = await refresh(stolen.refresh);

    expect(reused.status).toBe(401);
    expect((await refresh(otherDevice.refresh)).status).toBe(200);
  });
});

describe("verify and the ledger", () => {
  it("answers blacklisted for a refresh token retired by rotation, even inside the window", async () => {
    const { tokens } = await loggedInUser();
    await refresh(tokens.refresh);

    const response = await verify(tokens.refresh);

    expect(await expect401(response)).toEqual(BLACKLISTED);
  });

  it("answers blacklisted for a token whose family was revoked by reuse detection", async () => {
    const { tokens } = await loggedInUser();
    const victim = (await (await refresh(tokens.refresh)).json()) as Pair;
    await ageRetirement(tokens.refresh, 60);
    await refresh(tokens.refresh);

    const response = await verify(victim.refresh);

    expect(await expect401(response)).toEqual(BLACKLISTED);
  });

  it("answers 200 for the live refresh token and its access token", async () => {
    const { tokens } = await loggedInUser();

    const [live, access] = await Promise.all([verify(tokens.refresh), verify(tokens.access)]);

    expect(live.status).toBe(200);
    expect(access.status).toBe(200);
    expect(await live.json()).toEqual({});
  });

  it("answers blacklisted for a well-signed refresh token the ledger never recorded", async () => {
    const user = await createUser();
    const token = await mintToken(user.id, "refresh");

    const [verified, refreshed] = await Promise.all([verify(token), refresh(token)]);

    expect(await expect401(verified)).toEqual(BLACKLISTED);
    expect(await expect401(refreshed)).toEqual(BLACKLISTED);
    expect(
      await env.DB.prepare("select count(*) as n from refresh_tokens where user_id = ?")
        .bind(user.id)
        .first("n"),
    ).toBe(0);
  });
});
