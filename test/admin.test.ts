import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  BASE,
  call,
  createUser,
  expect401,
  login,
  postJson,
  uniqueName,
  type Overrides,
} from "./helpers";

const FORBIDDEN = { detail: "You do not have permission to perform this action." };

/** A request to the admin API with an optional bearer token and JSON or form body. */
function adminRequest(
  method: string,
  path: string,
  token?: string,
  body?: { json?: unknown; form?: Record<string, string> },
) {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  let payload: string | undefined;
  if (body?.json !== undefined) {
    headers["content-type"] = "application/json";
    payload = JSON.stringify(body.json);
  } else if (body?.form) {
    headers["content-type"] = "application/x-www-form-urlencoded";
    payload = new URLSearchParams(body.form).toString();
  }
  return new Request(BASE + path, { method, headers, body: payload });
}

async function staffToken(overrides: Overrides = {}) {
  const staff = await createUser({ isStaff: true });
  const tokens = await login(staff.username, staff.password, overrides);
  return { staff, token: tokens.access };
}

async function superuserToken() {
  const { staff, token } = await staffToken();
  await env.DB.prepare("update users set is_superuser = 1 where id = ?").bind(staff.id).run();
  return { superuser: staff, token };
}

async function userRow(id: number) {
  return env.DB.prepare("select is_active, is_staff, session_version from users where id = ?")
    .bind(id)
    .first<{ is_active: number; is_staff: number; session_version: number }>();
}

async function refreshTokenCount(userId: number) {
  const row = await env.DB.prepare("select count(*) as n from refresh_tokens where user_id = ?")
    .bind(userId)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

/** Every admin operation on one target user id. */
function operations(id: number) {
  return [
    ["list", "GET", "/api/admin/users/", undefined],
    ["show", "GET", `/api/admin/users/${id}/`, undefined],
    ["update", "PATCH", `/api/admin/users/${id}/`, { json: { is_active: false } }],
    ["revoke sessions", "POST", `/api/admin/users/${id}/revoke-sessions/`, undefined],
    ["delete", "DELETE", `/api/admin/users/${id}/`, undefined],
  ] as const;
}

describe("admin API access", () => {
  it("answers 401 to every operation without a token, and changes nothing", async () => {
    const target = await createUser();

    for (const [, method, path, body] of operations(target.id)) {
      const response = await call(adminRequest(method, path, undefined, body));

      expect(await expect401(response)).toEqual({
        detail: "Authentication credentials were not provided.",
      });
    }
    expect(await userRow(target.id)).toMatchObject({ is_active: 1 });
  });

  it("answers 403 to every operation for a user who is not staff, and changes nothing", async () => {
    const target = await createUser();
    const member = await createUser();
    const { access } = await login(member.username, member.password);

    for (const [, method, path, body] of operations(target.id)) {
      const response = await call(adminRequest(method, path, access, body));

      expect(response.status).toBe(403);
      expect(await response.json()).toEqual(FORBIDDEN);
    }
    expect(await userRow(target.id)).toMatchObject({ is_active: 1 });
  });

  it("answers 401 token_not_valid to a bad token", async () => {
    const response = await call(adminRequest("GET", "/api/admin/users/", "not.a.token"));

    expect((await expect401(response)).code).toBe("token_not_valid");
  });

  it("reads staff status from D1, so a demoted user's token loses its access", async () => {
    const { staff, token } = await staffToken();
    await env.DB.prepare("update users set is_staff = 0 where id = ?").bind(staff.id).run();

    const response = await call(adminRequest("GET", "/api/admin/users/", token));

    expect(response.status).toBe(403);
    expect(await response.json()).toEqual(FORBIDDEN);
  });

  it("answers 401 user_inactive to a deactivated staff user's token", async () => {
    const { staff, token } = await staffToken();
    await env.DB.prepare("update users set is_active = 0 where id = ?").bind(staff.id).run();

    const response = await call(adminRequest("GET", "/api/admin/users/", token));

    expect(await expect401(response)).toEqual({
      detail: "User is inactive",
      code: "user_inactive",
    });
  });

  it("answers 401 user_not_found to a deleted staff user's token", async () => {
    const { staff, token } = await staffToken();
    await env.DB.prepare("delete from users where id = ?").bind(staff.id).run();

    const response = await call(adminRequest("GET", "/api/admin/users/", token));

    expect(await expect401(response)).toEqual({ detail: "User not found", code: "user_not_found" });
  });

  it("answers 405 with Allow to a method the path does not take", async () => {
    const { staff, token } = await staffToken();

    const response = await call(adminRequest("PUT", `/api/admin/users/${staff.id}/`, token));

    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("GET, HEAD, PATCH, DELETE, OPTIONS");
    expect(await response.json()).toEqual({ detail: 'Method "PUT" not allowed.' });
  });
});

describe("listing users", () => {
  async function usersWithPrefix(count: number) {
    const prefix = `pg${crypto.randomUUID().slice(0, 8)}`;
    const created = [];
    for (let index = 0; index < count; index++) {
      created.push(await createUser({ username: `${prefix}-${index}` }));
    }
    return { prefix, ids: created.map((user) => user.id) };
  }

  async function list(token: string, query: string) {
    return call(adminRequest("GET", `/api/admin/users/?${query}`, token));
  }

  it("pages through the search results with DRF's count, next and previous", async () => {
    const { token } = await staffToken();
    const { prefix, ids } = await usersWithPrefix(5);

    const first = await list(token, `search=${prefix}&page_size=2`);
    const second = await list(token, `search=${prefix}&page_size=2&page=2`);
    const last = await list(token, `search=${prefix}&page_size=2&page=3`);

    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({
      count: 5,
      next: `${BASE}/api/admin/users/?page=2&page_size=2&search=${prefix}`,
      previous: null,
      results: [{ id: ids[0] }, { id: ids[1] }],
    });
    expect(await second.json()).toMatchObject({
      next: `${BASE}/api/admin/users/?page=3&page_size=2&search=${prefix}`,
      previous: `${BASE}/api/admin/users/?page_size=2&search=${prefix}`,
      results: [{ id: ids[2] }, { id: ids[3] }],
    });
    expect(await last.json()).toMatchObject({ count: 5, next: null, results: [{ id: ids[4] }] });
  });

  it("answers page=last with the last page", async () => {
    const { token } = await staffToken();
    const { prefix, ids } = await usersWithPrefix(3);

    const response = await list(token, `search=${prefix}&page_size=2&page=last`);

    expect(await response.json()).toMatchObject({ count: 3, results: [{ id: ids[2] }] });
  });

  it.each(["0", "4", "abc", "-1", "1.5"])("answers 404 Invalid page. to page=%s", async (page) => {
    const { token } = await staffToken();
    const { prefix } = await usersWithPrefix(3);

    const response = await list(token, `search=${prefix}&page_size=1&page=${page}`);

    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ detail: "Invalid page." });
  });

  it("falls back to the default page size for a bad one and caps a large one", async () => {
    const { token } = await staffToken();
    const { prefix } = await usersWithPrefix(3);

    const bad = (await (await list(token, `search=${prefix}&page_size=zero`)).json()) as {
      results: unknown[];
    };
    const large = (await (await list(token, `search=${prefix}&page_size=100000`)).json()) as {
      results: unknown[];
    };

    expect(bad.results).toHaveLength(3);
    expect(large.results).toHaveLength(3);
  });

  it("answers an empty first page when nothing matches", async () => {
    const { token } = await staffToken();

    const response = await list(token, `search=nobody-${crypto.randomUUID()}`);

    expect(await response.json()).toEqual({ count: 0, next: null, previous: null, results: [] });
  });

  it("searches usernames case-insensitively, every term having to match", async () => {
    const { token } = await staffToken();
    const tag = crypto.randomUUID().slice(0, 8);
    const alpha = await createUser({ username: `alpha-${tag}-one` });
    await createUser({ username: `beta-${tag}-two` });

    const response = await list(token, `search=${encodeURIComponent(`ALPHA ${tag}`)}`);

    const body = (await response.json()) as { count: number; results: { id: number }[] };
    expect(body.count).toBe(1);
    expect(body.results[0]!.id).toBe(alpha.id);
  });

  it("treats % and _ in a search as plain characters", async () => {
    const { token } = await staffToken();
    const { prefix } = await usersWithPrefix(2);

    const percent = await list(token, `search=${encodeURIComponent(`${prefix}%`)}`);
    const underscore = await list(token, `search=${encodeURIComponent(`${prefix}_0`)}`);

    expect(await percent.json()).toMatchObject({ count: 0 });
    expect(await underscore.json()).toMatchObject({ count: 0 });
  });

  it("refuses more search terms than it queries for, in DRF's field shape", async () => {
    const { token } = await staffToken();
    const search = Array.from({ length: 11 }, (_, index) => `t${index}`).join(" ");

    const response = await list(token, `search=${encodeURIComponent(search)}`);

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ search: ["Use at most 10 search terms."] });
  });

  it("never includes a password hash", async () => {
    const { token } = await staffToken();
    const { prefix } = await usersWithPrefix(2);

    const response = await list(token, `search=${prefix}`);

    const text = await response.text();
    expect(text).not.toMatch(/pbkdf2|password|session_version/);
  });
});

describe("one user", () => {
  it("shows a user's administrative view", async () => {
    const { token } = await staffToken();
    const target = await createUser();

    const response = await call(adminRequest("GET", `/api/admin/users/${target.id}/`, token));

    expect(response.status).toBe(200);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({
      id: target.id,
      username: target.username,
      email: "",
      is_active: true,
      is_staff: false,
      is_superuser: false,
      date_joined: expect.any(String),
      last_login: null,
    });
    expect(text).not.toMatch(/pbkdf2/);
  });

  it.each(["999999999", "abc", "1e3", "99999999999999999999999"])(
    "answers 404 Not found. for the id %s",
    async (id) => {
      const { token } = await staffToken();

      const show = await call(adminRequest("GET", `/api/admin/users/${id}/`, token));
      const patch = await call(
        adminRequest("PATCH", `/api/admin/users/${id}/`, token, { json: { is_staff: true } }),
      );
      const revoke = await call(
        adminRequest("POST", `/api/admin/users/${id}/revoke-sessions/`, token),
      );
      const remove = await call(adminRequest("DELETE", `/api/admin/users/${id}/`, token));

      for (const response of [show, patch, revoke, remove]) {
        expect(response.status).toBe(404);
        expect(await response.json()).toEqual({ detail: "Not found." });
      }
    },
  );
});

describe("changing a user", () => {
  it("deactivates a user, ending their sessions and their logins", async () => {
    const { token } = await staffToken();
    const target = await createUser();
    const tokens = await login(target.username, target.password);

    const response = await call(
      adminRequest("PATCH", `/api/admin/users/${target.id}/`, token, {
        json: { is_active: false },
      }),
    );

    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ id: target.id, is_active: false });
    expect(await userRow(target.id)).toMatchObject({ is_active: 0, session_version: 1 });
    const refresh = await call(postJson("/api/token/refresh/", { refresh: tokens.refresh }));
    expect(await expect401(refresh)).toMatchObject({ code: "token_not_valid" });
    const relogin = await call(
      postJson("/api/token/", { username: target.username, password: target.password }),
    );
    expect(relogin.status).toBe(401);
  });

  it("activates a user again from a form-encoded body", async () => {
    const { token } = await staffToken();
    const target = await createUser({ isActive: false });

    const response = await call(
      adminRequest("PATCH", `/api/admin/users/${target.id}/`, token, {
        form: { is_active: "true" },
      }),
    );

    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ is_active: true });
    expect((await login(target.username, target.password)).access).toEqual(expect.any(String));
  });

  it("grants staff status, which opens the admin API to that user, and revokes it", async () => {
    const { token } = await superuserToken();
    const target = await createUser();
    const targetToken = (await login(target.username, target.password)).access;
    const path = `/api/admin/users/${target.id}/`;

    const grant = await call(adminRequest("PATCH", path, token, { json: { is_staff: true } }));
    const asStaff = await call(adminRequest("GET", "/api/admin/users/", targetToken));
    const revoke = await call(adminRequest("PATCH", path, token, { json: { is_staff: "no" } }));
    const afterRevoke = await call(adminRequest("GET", "/api/admin/users/", targetToken));

    expect(await grant.json()).toMatchObject({ is_staff: true });
    expect(asStaff.status).toBe(200);
    expect(await revoke.json()).toMatchObject({ is_staff: false });
    expect(afterRevoke.status).toBe(403);
    expect(await userRow(target.id)).toMatchObject({ is_staff: 0 });
  });

  it("answers an empty change with the user unchanged", async () => {
    const { token } = await staffToken();
    const target = await createUser();

    const response = await call(
      adminRequest("PATCH", `/api/admin/users/${target.id}/`, token, { json: {} }),
    );

    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ is_active: true, is_staff: false });
  });

  it.each([
    [{ is_active: "maybe" }, { is_active: ["Must be a valid boolean."] }],
    [{ is_staff: null }, { is_staff: ["This field may not be null."] }],
    [{ is_staff: 2 }, { is_staff: ["Must be a valid boolean."] }],
    [
      { is_active: [true], is_staff: {} },
      { is_active: ["Must be a valid boolean."], is_staff: ["Must be a valid boolean."] },
    ],
  ])("answers 400 in DRF's shape to %j and changes nothing", async (body, errors) => {
    const { token } = await staffToken();
    const target = await createUser();

    const response = await call(
      adminRequest("PATCH", `/api/admin/users/${target.id}/`, token, { json: body }),
    );

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual(errors);
    expect(await userRow(target.id)).toMatchObject({ is_active: 1, is_staff: 0 });
  });

  it("answers 400 to a body that is not an object", async () => {
    const { token } = await staffToken();
    const target = await createUser();

    const response = await call(
      adminRequest("PATCH", `/api/admin/users/${target.id}/`, token, { json: [true] }),
    );

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      non_field_errors: ["Invalid data. Expected a dictionary, but got list."],
    });
  });
});

describe("revoking sessions", () => {
  it("revokes every refresh token and, in the database mode, every access token", async () => {
    const database = { AUTH_USER_CHECK: "database" };
    const { token } = await staffToken(database);
    const target = await createUser();
    const tokens = await login(target.username, target.password, database);

    const response = await call(
      adminRequest("POST", `/api/admin/users/${target.id}/revoke-sessions/`, token),
      database,
    );

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({});
    const refresh = await call(postJson("/api/token/refresh/", { refresh: tokens.refresh }));
    expect(await expect401(refresh)).toEqual({
      detail: "Token is blacklisted",
      code: "token_not_valid",
    });
    const restricted = await call(adminRequest("GET", "/api/restricted/", tokens.access), database);
    expect((await expect401(restricted)).code).toBe("token_not_valid");
  });
});

describe("deleting a user", () => {
  it("answers 204 and removes the user with their refresh tokens", async () => {
    const { token } = await staffToken();
    const target = await createUser({ username: uniqueName("gone") });
    await login(target.username, target.password);

    const response = await call(adminRequest("DELETE", `/api/admin/users/${target.id}/`, token));

    expect(response.status).toBe(204);
    expect(await response.text()).toBe("");
    expect(await userRow(target.id)).toBeNull();
    expect(await refreshTokenCount(target.id)).toBe(0);
    const again = await call(adminRequest("GET", `/api/admin/users/${target.id}/`, token));
    expect(again.status).toBe(404);
  });
});

describe("who may administer whom", () => {
  const patch = (id: number, token: string, json: Record<string, unknown>) =>
    call(adminRequest("PATCH", `/api/admin/users/${id}/`, token, { json }));
  const denied = { detail: "You do not have permission to perform this action." };

  it("refuses a staff user who would deactivate, demote or delete another staff user", async () => {
    const { token } = await staffToken();
    const { staff: other } = await staffToken();
    const path = `/api/admin/users/${other.id}/`;

    const deactivate = await patch(other.id, token, { is_active: false });
    const demote = await patch(other.id, token, { is_staff: false });
    const remove = await call(adminRequest("DELETE", path, token));
    const revoke = await call(adminRequest("POST", `${path}revoke-sessions/`, token));

    for (const response of [deactivate, demote, remove, revoke]) {
      expect(response.status).toBe(403);
      expect(await response.json()).toEqual(denied);
    }
    expect(await userRow(other.id)).toMatchObject({ is_active: 1, is_staff: 1 });
  });

  it("refuses a staff user who is not a superuser the power to grant staff", async () => {
    const { token } = await staffToken();
    const target = await createUser();

    const response = await patch(target.id, token, { is_staff: true });

    expect(response.status).toBe(403);
    expect(await userRow(target.id)).toMatchObject({ is_staff: 0 });
  });

  it("refuses anyone who would deactivate, demote or delete themselves", async () => {
    const { superuser, token } = await superuserToken();

    const deactivate = await patch(superuser.id, token, { is_active: false });
    const remove = await call(adminRequest("DELETE", `/api/admin/users/${superuser.id}/`, token));

    expect([deactivate.status, remove.status]).toEqual([403, 403]);
    expect(await userRow(superuser.id)).toMatchObject({ is_active: 1, is_staff: 1 });
  });

  it("lets a superuser deactivate a staff user", async () => {
    const { token } = await superuserToken();
    const { staff } = await staffToken();

    const response = await patch(staff.id, token, { is_active: false });

    expect(response.status).toBe(200);
    expect(await userRow(staff.id)).toMatchObject({ is_active: 0 });
  });
});
