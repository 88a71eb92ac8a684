import { describe, expect, it } from "vitest";
import { call, createUser, get, login, postForm } from "./helpers";

describe("the blog's flow", () => {
  it("logs in with a form, reaches the restricted route and refreshes", async () => {
    const user = await createUser();

    const tokens = await login(user.username, user.password);
    const restricted = await call(get("/api/restricted/", `Bearer ${tokens.access}`));
    const refreshed = await call(postForm("/api/token/refresh/", { refresh: tokens.refresh }));

    expect(restricted.status).toBe(200);
    expect(await restricted.json()).toEqual({
      message: "You have access to this restricted content.",
    });
    expect(refreshed.status).toBe(200);
    expect(Object.keys(await refreshed.json()).sort()).toEqual(["access", "refresh"]);
  });
});
