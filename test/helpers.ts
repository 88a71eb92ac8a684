// Shared test helpers: call the Worker as a client would, with optional setting overrides,
// and create users straight in D1 with the real password hasher.

import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import worker from "../src/index";
import { hashPassword } from "../src/auth/passwords";
import { database } from "../src/db/client";
import { insertUser } from "../src/db/users";
import { decodeBase64Url } from "../src/auth/base64url";
import {
  buildClaims,
  signClaims,
  systemClock,
  type TokenClaims,
  type TokenType,
} from "../src/auth/tokens";
import { loadSettings, parseSettings } from "../src/settings";

export const BASE = "http://api.test";

/** Settings overrides, as wrangler vars would give them (`{ AUTH_USER_CHECK: "database" }`). */
export type Overrides = Record<string, string>;

/** Sends a request to the Worker's fetch handler, with settings overridden when asked. */
export async function call(request: Request, overrides: Overrides = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const testEnv = Object.keys(overrides).length > 0 ? { ...env, ...overrides } : env;

  const response = await worker.fetch(request, testEnv, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

/** POSTs a JSON body. */
export function postJson(path: string, body: unknown, headers: Record<string, string> = {}) {
  return new Request(BASE + path, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

/** POSTs a form-encoded body, as the blog's curl commands do. */
export function postForm(path: string, fields: Record<string, string>) {
  return new Request(BASE + path, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields).toString(),
  });
}

/** A GET with an optional Authorization header. */
export function get(path: string, authorization?: string) {
  const headers: Record<string, string> = authorization ? { authorization } : {};
  return new Request(BASE + path, { headers });
}

let counter = 0;

/** A username no other test of this file uses. */
export function uniqueName(prefix = "user"): string {
  counter++;
  return `${prefix}${counter}_${crypto.randomUUID().slice(0, 8)}`;
}

export const PASSWORD = "Correct-Horse-Battery-9";

/** Creates a user directly in D1 with the configured hash; returns the row. */
export async function createUser(
  options: { username?: string; password?: string; isActive?: boolean; isStaff?: boolean } = {},
) {
  const settings = loadSettings(env);
  const user = await insertUser(database(env.DB), {
    username: options.username ?? uniqueName(),
    email: "",
    passwordHash: await hashPassword(options.password ?? PASSWORD, settings.passwordHashIterations),
    isStaff: options.isStaff ?? false,
  });
  if (!user) throw new Error("username taken");

  if (options.isActive === false) {
    await env.DB.prepare("update users set is_active = 0 where id = ?").bind(user.id).run();
  }
  return { ...user, password: options.password ?? PASSWORD };
}

/** Logs a user in through the API and returns the pair. */
export async function login(username: string, password = PASSWORD, overrides: Overrides = {}) {
  const response = await call(postJson("/api/token/", { username, password }), overrides);
  if (response.status !== 200) throw new Error(`login failed: ${response.status}`);
  return (await response.json()) as { access: string; refresh: string };
}

/** A fresh user, logged in. */
export async function loggedInUser(overrides: Overrides = {}) {
  const user = await createUser();
  const tokens = await login(user.username, user.password, overrides);
  return { user, tokens };
}

/** Asserts the headers every 401 must carry, and returns the JSON body. */
export async function expect401(response: Response) {
  if (response.status !== 401) {
    throw new Error(`expected 401, got ${response.status}: ${await response.text()}`);
  }
  if (response.headers.get("www-authenticate") !== 'Bearer realm="api"') {
    throw new Error(`missing WWW-Authenticate: ${response.headers.get("www-authenticate")}`);
  }
  return (await response.json()) as Record<string, unknown>;
}

/** The settings the Worker parses from the test env, with overrides applied. */
export function settingsFor(overrides: Overrides = {}) {
  return parseSettings({ ...env, ...overrides });
}

/** How to mint a token: a real one by default, or one with claims removed, added or mis-signed. */
export interface MintRequest {
  userId: number;
  type?: TokenType;
  /** The clock the token is issued at, in seconds; a past one makes an expired token. */
  issuedAt?: number;
  without?: string[];
  with?: Record<string, unknown>;
  /** Signs with this key instead of the configured one. */
  signingKey?: string;
}

/** Mints a token with the Worker's own claim builder and signer. */
export async function mintToken(request: MintRequest): Promise<string> {
  const settings = settingsFor();
  const options = {
    type: request.type ?? "access",
    userId: request.userId,
    issuedAt: request.issuedAt ?? systemClock(),
  };
  const claims: Record<string, unknown> = { ...buildClaims(options, settings), ...request.with };
  for (const name of request.without ?? []) delete claims[name];

  const signer = request.signingKey
    ? { ...settings, signingKey: request.signingKey, verifyingKeys: [] }
    : settings;
  return signClaims(claims as unknown as TokenClaims, signer);
}

/** The decoded header and claims of a compact JWT, without checking anything. */
export function decodeJwt(token: string) {
  const [header, payload] = token
    .split(".")
    .slice(0, 2)
    .map((part) => {
      const bytes = decodeBase64Url(part);
      if (!bytes) throw new Error("not base64url");
      return JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
    });
  return { header: header!, payload: payload! };
}

/** Creates a user row with a given stored hash, without hashing (a Django import, say). */
export async function createUserWithHash(
  passwordHash: string,
  options: { username?: string; isActive?: boolean } = {},
) {
  const user = await insertUser(database(env.DB), {
    username: options.username ?? uniqueName(),
    email: "",
    passwordHash,
  });
  if (!user) throw new Error("username taken");

  if (options.isActive === false) {
    await env.DB.prepare("update users set is_active = 0 where id = ?").bind(user.id).run();
  }
  return user;
}

/** The users row as D1 holds it (snake_case columns), or null. */
export async function readUserRow(id: number) {
  return env.DB.prepare("select * from users where id = ?").bind(id).first<{
    username: string;
    password_hash: string;
    last_login: number | null;
    is_active: number;
  }>();
}

/** POSTs a multipart/form-data body, as an HTML form with enctype="multipart/form-data" does. */
export function postMultipart(path: string, fields: Record<string, string>) {
  const body = new FormData();
  for (const [name, value] of Object.entries(fields)) body.append(name, value);
  return new Request(BASE + path, { method: "POST", body });
}
