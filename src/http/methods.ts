// DRF's answers for a known path with a method it does not take (405 with Allow), and for
// OPTIONS on it.

import type { Handler } from "hono";
import { RequestError } from "../errors";
import type { AppEnv } from "./context";

/** Answers every method a route does not define: OPTIONS with 200, others with 405. */
export function otherMethods(allowed: string[]): Handler<AppEnv> {
  const allow = [...allowed, "OPTIONS"].join(", ");

  return (c) => {
    if (c.req.method === "OPTIONS") {
      c.header("Allow", allow);
      return c.json({});
    }
    throw new RequestError(405, `Method "${c.req.method}" not allowed.`, { Allow: allow });
  };
}
