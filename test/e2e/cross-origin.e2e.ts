import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { RefreshResponse, TokenPair } from "../../src/client/api-types";
import { fetchFromPage, launchBrowser, postJson, type Answer } from "./browser";

const apiOrigin = inject("apiOrigin");
const pageOrigin = inject("pageOrigin");
const PASSWORD = "Correct-Horse-Battery-9";

let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

async function openPage(origin: string): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(`${origin}/`);
  return page;
}

function api(page: Page, path: string, init?: Parameters<typeof fetchFromPage>[2]) {
  return fetchFromPage(page, apiOrigin + path, init);
}

/** The answer's body, after checking the browser let the page read it with this status. */
function bodyOf<T>(answer: Answer, status: number): T {
  expect(answer).toMatchObject({ status });
  return (answer as { body: T }).body;
}

describe("a browser app on an allowed origin", () => {
  it("registers, logs in, reaches the restricted route, refreshes, verifies and logs out", async () => {
    const page = await openPage(pageOrigin);
    const username = `cors_${Date.now()}`;

    const registered = await api(
      page,
      "/api/register/",
      postJson({ username, password: PASSWORD }),
    );
    const login = await api(page, "/api/token/", postJson({ username, password: PASSWORD }));
    const pair = bodyOf<TokenPair>(login, 200);
    const bearer = { headers: { Authorization: `Bearer ${pair.access}` } };
    const restricted = await api(page, "/api/restricted/", bearer);
    const refreshed = await api(page, "/api/token/refresh/", postJson({ refresh: pair.refresh }));
    const rotated = bodyOf<Required<RefreshResponse>>(refreshed, 200);
    const verified = await api(page, "/api/token/verify/", postJson({ token: rotated.access }));
    const logout = await api(page, "/api/token/blacklist/", postJson({ refresh: rotated.refresh }));
    const afterLogout = await api(
      page,
      "/api/token/refresh/",
      postJson({ refresh: rotated.refresh }),
    );

    expect(bodyOf(registered, 201)).toMatchObject({ username });
    expect(login).toMatchObject({ cacheControl: "no-store", pragma: "no-cache" });
    expect(bodyOf(restricted, 200)).toEqual({
      message: "You have access to this restricted content.",
    });
    expect(Object.keys(rotated).sort()).toEqual(["access", "refresh"]);
    expect(bodyOf(verified, 200)).toEqual({});
    expect(bodyOf(logout, 200)).toEqual({});
    expect(bodyOf(afterLogout, 401)).toEqual({
      detail: "Token is blacklisted",
      code: "token_not_valid",
    });
  });

  it("can read the API's error answers, such as a 401 without a token", async () => {
    const page = await openPage(pageOrigin);

    const answer = await api(page, "/api/restricted/");

    expect(bodyOf(answer, 401)).toEqual({
      detail: "Authentication credentials were not provided.",
    });
  });
});

describe("a page on an origin that is not allowed", () => {
  it("cannot read the API's answers", async () => {
    // Same server, but "localhost" is another origin than the allowed "127.0.0.1".
    const page = await openPage(pageOrigin.replace("127.0.0.1", "localhost"));

    const login = await api(page, "/api/token/", postJson({ username: "x", password: "y" }));
    const restricted = await api(page, "/api/restricted/");

    expect(login).toEqual({ blocked: expect.stringContaining("Failed to fetch") });
    expect(restricted).toEqual({ blocked: expect.stringContaining("Failed to fetch") });
  });
});
