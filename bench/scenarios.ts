// The load scenarios: what each sends, to which host, and how its tokens are prepared outside
// the measured window. Ceilings are the same Worker's 404 route, which does no auth work.

import type { LoadRequest } from "./load.ts";
import type { ServerProcess } from "./workerd-host.ts";

export type HostName = "workerd" | "miniflare";

/** What the scenarios share: the servers, a token minter with the run's key, seeded users. */
export interface BenchContext {
  hosts: Partial<Record<HostName, ServerProcess>>;
  mintAccess: (userId: number, extraClaims?: Record<string, number>) => string;
  /** A seeded user for access tokens, with the session version its tokens must carry. */
  tokenUser: { id: number; sessionVersion: number };
  loginUser: { username: string; password: string };
  /** Live refresh tokens, each used once: refreshes and logins put their new ones back. */
  refreshPool: string[];
  /** Logs `loginUser` in through the API and adds its refresh token to the pool. */
  topUpRefreshPool(count: number): Promise<void>;
}

export interface Scenario {
  id: string;
  title: string;
  host: HostName;
  expectedStatus: number;
  connections: number;
  /** Runs for this many seconds per round, or for `amount` requests when set. */
  seconds: number;
  amount?: number;
  prepare(context: BenchContext, seconds: number): Promise<LoadRequest> | LoadRequest;
}

export const CONNECTIONS = 10;
const CEILING_PATH = "/api/bench-ceiling/";
/** Generous upper bound on requests per second, to size token pools minted before a run. */
const MAX_RATE = 12_000;

const json = { "content-type": "application/json" };

/** A pool of distinct access tokens minted before the run; more are minted if it runs dry. */
function freshTokens(context: BenchContext, seconds: number, extraClaims?: Record<string, number>) {
  const mint = () => context.mintAccess(context.tokenUser.id, extraClaims);
  const pool = Array.from({ length: Math.ceil(seconds * MAX_RATE) }, mint);
  let next = 0;
  return () => pool[next++] ?? mint();
}

function freshTokenRequest(context: BenchContext, seconds: number, path: string): LoadRequest {
  const nextToken = freshTokens(context, seconds);
  return {
    method: "GET",
    path,
    next: () => ({ headers: { authorization: `Bearer ${nextToken()}` } }),
  };
}

function ceiling(host: HostName): Scenario {
  return {
    id: host === "workerd" ? "ceiling" : "ceiling-miniflare",
    title: `ceiling: GET ${CEILING_PATH} (404, no auth) in ${host}`,
    host,
    expectedStatus: 404,
    connections: CONNECTIONS,
    seconds: 4,
    prepare: () => ({ method: "GET", path: CEILING_PATH }),
  };
}

export const SCENARIOS: Scenario[] = [
  ceiling("workerd"),
  {
    id: "restricted-repeated",
    title: "GET /api/restricted/, stateless, one token repeated",
    host: "workerd",
    expectedStatus: 200,
    connections: CONNECTIONS,
    seconds: 4,
    prepare: (context) => {
      const token = context.mintAccess(context.tokenUser.id);
      return {
        method: "GET",
        path: "/api/restricted/",
        headers: { authorization: `Bearer ${token}` },
      };
    },
  },
  {
    id: "restricted-fresh",
    title: "GET /api/restricted/, stateless, a fresh token per request",
    host: "workerd",
    expectedStatus: 200,
    connections: CONNECTIONS,
    seconds: 4,
    prepare: (context, seconds) => freshTokenRequest(context, seconds, "/api/restricted/"),
  },
  {
    // A control: the same requests as restricted-fresh, built the same way by the load
    // generator, sent to the route that does no auth work.
    id: "ceiling-fresh-header",
    title: `GET ${CEILING_PATH} with a fresh token per request (control for restricted-fresh)`,
    host: "workerd",
    expectedStatus: 404,
    connections: CONNECTIONS,
    seconds: 4,
    prepare: (context, seconds) => freshTokenRequest(context, seconds, CEILING_PATH),
  },
  {
    id: "verify",
    title: "POST /api/token/verify/, a fresh access token per request",
    host: "workerd",
    expectedStatus: 200,
    connections: CONNECTIONS,
    seconds: 4,
    prepare: (context, seconds) => {
      const nextToken = freshTokens(context, seconds);
      return {
        method: "POST",
        path: "/api/token/verify/",
        headers: json,
        next: () => ({ body: JSON.stringify({ token: nextToken() }) }),
      };
    },
  },
  ceiling("miniflare"),
  {
    id: "restricted-database",
    title: "GET /api/restricted/, AUTH_USER_CHECK=database, one token repeated",
    host: "miniflare",
    expectedStatus: 200,
    connections: CONNECTIONS,
    seconds: 4,
    prepare: (context) => {
      const { id, sessionVersion } = context.tokenUser;
      const token = context.mintAccess(id, { session_version: sessionVersion });
      return {
        method: "GET",
        path: "/api/restricted/",
        headers: { authorization: `Bearer ${token}` },
      };
    },
  },
  {
    id: "refresh",
    title: "POST /api/token/refresh/ with rotation, each refresh token used once",
    host: "miniflare",
    expectedStatus: 200,
    connections: CONNECTIONS,
    seconds: 4,
    prepare: async (context) => {
      await context.topUpRefreshPool(2 * CONNECTIONS - context.refreshPool.length);
      return {
        method: "POST",
        path: "/api/token/refresh/",
        headers: json,
        next: () => ({ body: JSON.stringify({ refresh: context.refreshPool.shift() ?? "" }) }),
        onResponse: (status, body) => keepRefreshToken(context, status, body),
      };
    },
  },
  {
    id: "login",
    title: "POST /api/token/ (login, PBKDF2 at the configured work factor)",
    host: "miniflare",
    expectedStatus: 200,
    connections: 2,
    seconds: 0,
    amount: 12,
    prepare: (context) => ({
      method: "POST",
      path: "/api/token/",
      headers: json,
      body: JSON.stringify(context.loginUser),
      onResponse: (status, body) => keepRefreshToken(context, status, body),
    }),
  },
];

/** Puts the refresh token of a successful answer back in the pool for the next refresh. */
function keepRefreshToken(context: BenchContext, status: number, body: string): void {
  if (status !== 200) return;

  const refresh = (JSON.parse(body) as { refresh?: unknown }).refresh;
  if (typeof refresh === "string") context.refreshPool.push(refresh);
}
