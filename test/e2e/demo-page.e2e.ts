import { mkdirSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { launchBrowser } from "./browser";

const apiOrigin = inject("apiOrigin");
const SCREENSHOT_DIR = "test/e2e/artifacts";

let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

/** Waits until the live result region says `text`, and returns everything it shows. */
async function waitForResult(page: Page, text: string): Promise<string> {
  const summary = page.locator("#result-summary", { hasText: text });
  await summary.waitFor();
  return page.locator("#result").innerText();
}

describe("the demo page", () => {
  it("signs up, logs in, reaches the restricted route, refreshes and logs out", async () => {
    const page = await browser.newPage({ viewport: { width: 900, height: 1100 } });
    const username = `demo_${Date.now()}`;
    await page.goto(`${apiOrigin}/`);

    await page.getByLabel("Username").fill(username);
    await page.getByLabel("Password").fill("Correct-Horse-Battery-9");
    await page.getByRole("button", { name: "Sign up" }).click();
    const signedUp = await waitForResult(page, "Signed up");

    await page.getByRole("button", { name: "Log in" }).click();
    await waitForResult(page, "Logged in");
    await page.getByRole("button", { name: "Call /api/restricted/" }).click();
    const restricted = await waitForResult(page, "restricted route answered 200");
    const claimsAtLogin = JSON.parse(await page.locator("#claims").innerText());
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await page.screenshot({ path: `${SCREENSHOT_DIR}/demo-after-login.png`, fullPage: true });

    await page.getByRole("button", { name: "Refresh" }).click();
    await waitForResult(page, "Refreshed");
    const claimsAfterRefresh = JSON.parse(await page.locator("#claims").innerText());

    await page.getByRole("button", { name: "Log out" }).click();
    await waitForResult(page, "Logged out");
    const statusAfterLogout = await page.locator("#session-status").innerText();
    await page.getByRole("button", { name: "Call /api/restricted/" }).click();
    const refused = await waitForResult(page, "failed");

    expect(signedUp).toContain(`"username": "${username}"`);
    expect(restricted).toContain("You have access to this restricted content.");
    expect(claimsAtLogin).toMatchObject({ token_type: "access", user_id: expect.any(Number) });
    expect(claimsAfterRefresh.jti).not.toBe(claimsAtLogin.jti);
    expect(statusAfterLogout).toBe("Signed out.");
    expect(refused).toContain("the API answered 401");
    expect(refused).toContain('"detail": "Authentication credentials were not provided."');
  });

  it("shows a validation error exactly as the API words it", async () => {
    const page = await browser.newPage();
    await page.goto(`${apiOrigin}/`);

    await page.getByRole("button", { name: "Log in" }).click();
    const answer = await waitForResult(page, "failed");

    expect(answer).toContain("the API answered 400");
    expect(answer).toContain('"username": [\n    "This field may not be blank."\n  ]');
  });
});
