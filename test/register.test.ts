// POST /api/register/: the created account's public fields, Django's username and password
// rules in DRF's error shape, and exactly one account per username even under a race.

import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, expect401, login, postJson, readUserRow, uniqueName } from "./helpers";

const GOOD_PASSWORD = "Velvet-Orchard-Thunder-58";
const DUPLICATE = { username: ["A user with that username already exists."] };
const INVALID_USERNAME =
  "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.";
const TOO_SHORT = "This password is too short. It must contain at least 8 characters.";
const TOO_SIMILAR = "The password is too similar to the username.";

function register(body: Record<string, unknown>) {
  return call(postJson("/api/register/", body));
}

async function countUsers(username: string): Promise<number> {
  const row = await env.DB.prepare("select count(*) as n from users where username = ?")
    .bind(username)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

describe("POST /api/register/ with acceptable input", () => {
  it("answers 201 with the account's public fields and never a password or hash", async () => {
    const username = uniqueName("newcomer");
    const before = Date.now();

    const response = await register({
      username,
      password: GOOD_PASSWORD,
      email: "new@example.com",
    });

    expect(response.status).toBe(201);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    const text = await response.text();
    const body = JSON.parse(text) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual([
      "date_joined",
      "email",
      "id",
      "is_active",
      "is_staff",
      "last_login",
      "username",
    ]);
    expect(body).toMatchObject({
      username,
      email: "new@example.com",
      is_active: true,
      is_staff: false,
      last_login: null,
    });
    expect(Date.parse(body.date_joined as string)).toBeGreaterThanOrEqual(before - 2000);
    expect(text).not.toMatch(/password|pbkdf2/i);
    expect(text).not.toContain(GOOD_PASSWORD);
  });

  it("stores a PBKDF2 hash in D1, not the password", async () => {
    const username = uniqueName("stored");

    const response = await register({ username, password: GOOD_PASSWORD });
    const { id } = (await response.json()) as { id: number };

    const row = await readUserRow(id);
    expect(row?.username).toBe(username);
    expect(row?.password_hash).toMatch(
      /^pbkdf2_sha256_chained\$100000\$6\$[^$]+\$[A-Za-z0-9+/]+={0,2}$/,
    );
    expect(row?.password_hash).not.toContain(GOOD_PASSWORD);
  });

  it("creates an account that can log in", async () => {
    const username = uniqueName("fresh");

    const response = await register({ username, password: GOOD_PASSWORD });
    const tokens = await login(username, GOOD_PASSWORD);

    expect(response.status).toBe(201);
    expect(Object.keys(tokens).sort()).toEqual(["access", "refresh"]);
  });

  it("accepts a username of exactly 150 characters", async () => {
    const username = uniqueName("long").padEnd(150, "x");

    const response = await register({ username, password: GOOD_PASSWORD });

    expect(response.status).toBe(201);
    expect(await countUsers(username)).toBe(1);
  });

  it("treats usernames that differ only by case as different accounts, as Django does", async () => {
    const username = uniqueName("Mixed");

    const upper = await register({ username, password: GOOD_PASSWORD });
    const lower = await register({ username: username.toLowerCase(), password: GOOD_PASSWORD });

    expect(upper.status).toBe(201);
    expect(lower.status).toBe(201);
  });
});

describe("POST /api/register/ with a password Django's validators refuse", () => {
  const rows: Array<[string, string, string[]]> = [
    ["too short", "Qx7!vb", [TOO_SHORT]],
    ["entirely numeric", "80412579634", ["This password is entirely numeric."]],
    ["too common", "password123", ["This password is too common."]],
    ["too common in other letter case", "PassWord123", ["This password is too common."]],
    [
      "too common and numeric",
      "123456789",
      ["This password is too common.", "This password is entirely numeric."],
    ],
  ];

  it.each(rows)(
    "answers a password that is %s with 400 and no account",
    async (_, password, messages) => {
      const username = uniqueName("rules");

      const response = await register({ username, password });

      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ password: messages });
      expect(await countUsers(username)).toBe(0);
    },
  );

  it("refuses a password too similar to the username", async () => {
    const username = uniqueName("marigold");

    const response = await register({ username, password: `${username.toUpperCase()}!` });

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ password: [TOO_SIMILAR] });
    expect(await countUsers(username)).toBe(0);
  });

  it("refuses a password too similar to the email address", async () => {
    const username = uniqueName("reader");

    const response = await register({
      username,
      password: "QuentinBlake",
      email: "quentin.blake@example.com",
    });

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      password: ["The password is too similar to the email address."],
    });
  });

  it("lists every broken rule in the order Django's validators run", async () => {
    const username = uniqueName("k");

    const response = await register({ username, password: username.slice(0, 7) });

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ password: [TOO_SIMILAR, TOO_SHORT] });
  });
});

describe("POST /api/register/ with a username it cannot take", () => {
  it.each([
    ["a space", "two words"],
    ["an exclamation mark", "hello!"],
    ["a slash", "a/b"],
    ["a colon", "user:name"],
  ])("refuses a username containing %s", async (_, username) => {
    const response = await register({ username, password: GOOD_PASSWORD });

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ username: [INVALID_USERNAME] });
    expect(await countUsers(username)).toBe(0);
  });

  it("refuses a username longer than 150 characters", async () => {
    const username = uniqueName("long").padEnd(151, "x");

    const response = await register({ username, password: GOOD_PASSWORD });

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      username: ["Ensure this field has no more than 150 characters."],
    });
    expect(await countUsers(username)).toBe(0);
  });

  it("refuses a username that is taken, keeping the first account's password", async () => {
    const username = uniqueName("taken");
    await register({ username, password: GOOD_PASSWORD });

    const response = await register({ username, password: "Another-Good-Password-77" });

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual(DUPLICATE);
    expect(await countUsers(username)).toBe(1);
    const stolen = await call(
      postJson("/api/token/", { username, password: "Another-Good-Password-77" }),
    );
    await expect401(stolen);
  });

  it("refuses a username that differs from a taken one only by Unicode normal form", async () => {
    const suffix = crypto.randomUUID().slice(0, 6);

    const fullwidth = await register({
      username: `ｃｏｌｌｉｄｅ${suffix}`,
      password: GOOD_PASSWORD,
    });
    const ascii = await register({ username: `collide${suffix}`, password: GOOD_PASSWORD });

    expect(fullwidth.status).toBe(201);
    expect(ascii.status).toBe(400);
    expect(await ascii.json()).toEqual(DUPLICATE);
    expect(await countUsers(`collide${suffix}`)).toBe(1);
  });

  it("lets exactly one of two concurrent registrations of one name succeed, never with a 500", async () => {
    const username = uniqueName("race");

    const responses = await Promise.all([
      register({ username, password: GOOD_PASSWORD }),
      register({ username, password: "Second-Racer-Password-31" }),
    ]);

    const statuses = responses.map((response) => response.status).sort();
    expect(statuses).toEqual([201, 400]);
    const loser = responses.find((response) => response.status === 400)!;
    expect(await loser.json()).toEqual(DUPLICATE);
    expect(await countUsers(username)).toBe(1);
  });
});

describe("POST /api/register/ with other bad fields", () => {
  it.each(["not-an-email", "two@at@signs.com", "spaces in@example.com", "missing@tld"])(
    "refuses the email %s",
    async (email) => {
      const username = uniqueName("mail");

      const response = await register({ username, password: GOOD_PASSWORD, email });

      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ email: ["Enter a valid email address."] });
      expect(await countUsers(username)).toBe(0);
    },
  );

  it("answers missing username and password with DRF's required messages", async () => {
    const response = await register({});

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      username: ["This field is required."],
      password: ["This field is required."],
    });
  });

  it("reports a bad username and a bad password together", async () => {
    const response = await register({ username: "no spaces allowed", password: "short" });

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      username: [INVALID_USERNAME],
      password: [TOO_SHORT],
    });
  });
});
