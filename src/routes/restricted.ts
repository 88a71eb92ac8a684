// The blog's restricted view: answers only callers with a valid access token.

import { Hono } from "hono/quick";
import { requireAccessToken } from "../auth/require-access-token";
import type { AppEnv } from "../http/context";
import { otherMethods } from "../http/methods";

export const restrictedRoutes = new Hono<AppEnv>();

const authenticate = requireAccessToken();

restrictedRoutes.get("/api/restricted/", authenticate, (c) =>
  c.json({ message: "You have access to this restricted content." }),
);

// DRF authenticates before it looks at the method: without a valid token a POST is a 401, and
// only an authenticated caller learns it is a 405. OPTIONS stays open for CORS preflights.
restrictedRoutes.on(["POST", "PUT", "PATCH", "DELETE"], "/api/restricted/", authenticate);
restrictedRoutes.all("/api/restricted/", otherMethods(["GET", "HEAD"]));
