// The blog's restricted view: answers only callers with a valid access token.

import { Hono } from "hono";
import { requireAccessToken } from "../auth/require-access-token";
import type { AppEnv } from "../http/context";
import { otherMethods } from "../http/methods";

export const restrictedRoutes = new Hono<AppEnv>();

restrictedRoutes.get("/api/restricted/", requireAccessToken(), (c) =>
  c.json({ message: "You have access to this restricted content." }),
);

restrictedRoutes.all("/api/restricted/", otherMethods(["GET", "HEAD"]));
