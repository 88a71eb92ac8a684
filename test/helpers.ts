// Shared test helpers: call the Worker as a client would, with optional setting overrides,
// and create users straight in D1 with the real password hasher.

import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import worker from "../src/index";
import { hashPassword } from "../src/auth/passwords";
import { database } from "../src/db/client";
import { insertUser } from "../src/db/users";
import { loadSettings } from "../src/settings";

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
