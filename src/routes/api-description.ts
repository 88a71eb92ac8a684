// The API's own description: GET /api/schema/ (OpenAPI 3.1) and GET /api/docs/ (an HTML page
// that renders it). Both files are static assets, generated at build time, so the Worker
// bundle carries none of the description.

import type { Context } from "hono";
import { Hono } from "hono/quick";
import type { AppEnv } from "../http/context";
import { otherMethods } from "../http/methods";

/** Fetches a static asset with the request's method and headers (HEAD, conditional GET). */
function serveAsset(c: Context<AppEnv>, assetPath: string): Promise<Response> {
  const url = new URL(assetPath, c.req.url);
  return c.env.ASSETS.fetch(new Request(url, c.req.raw));
}

export const apiDescriptionRoutes = new Hono<AppEnv>();

apiDescriptionRoutes.get("/api/schema/", (c) => serveAsset(c, "/openapi.json"));

// The assets layer serves public/api-docs.html at /api-docs (it drops ".html").
apiDescriptionRoutes.get("/api/docs/", (c) => serveAsset(c, "/api-docs"));

apiDescriptionRoutes.all("/api/schema/", otherMethods(["GET", "HEAD"]));
apiDescriptionRoutes.all("/api/docs/", otherMethods(["GET", "HEAD"]));
