// The headless Chromium the end-to-end tests drive, and a way to call the API from a page.

import { chromium, type Browser, type Page } from "playwright-core";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

// No sandbox (we run as root in a container) and no background traffic to Google's services.
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/** What a page's fetch saw: the answer, or the error the browser raised instead. */
export type Answer =
  | { status: number; body: unknown; cacheControl: string | null; pragma: string | null }
  | { blocked: string };

export interface CallInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

/** Runs fetch inside the page, so the browser applies CORS exactly as it would for an app. */
export function fetchFromPage(page: Page, url: string, init: CallInit = {}): Promise<Answer> {
  return page.evaluate(
    async ({ url, init }) => {
      try {
        const response = await fetch(url, init);
        const text = await response.text();
        return {
          status: response.status,
          body: text === "" ? null : JSON.parse(text),
          cacheControl: response.headers.get("cache-control"),
          pragma: response.headers.get("pragma"),
        };
      } catch (error) {
        return { blocked: String(error) };
      }
    },
    { url, init },
  );
}

/** A JSON POST, as a browser app sends it (this content type needs a preflight). */
export function postJson(body: unknown): CallInit {
  return {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  };
}
