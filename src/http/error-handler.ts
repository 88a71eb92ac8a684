// The one place where errors become HTTP answers, in SimpleJWT/DRF's JSON shapes. An error
// nobody expected is logged once with its stack and answered without internals.

import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { AuthenticationError, RequestError, TokenError, ValidationError } from "../errors";
import { writeLog } from "../log";
import { SettingsError } from "../settings";
import type { AppEnv } from "./context";

/** The challenge every 401 carries, naming the first accepted scheme. */
export function authenticateChallenge(c: Context<AppEnv>): string {
  const scheme = c.var.settings?.authHeaderTypes[0] ?? "Bearer";
  return `${scheme} realm="api"`;
}

function unauthorized(c: Context<AppEnv>, body: Record<string, unknown>): Response {
  c.header("WWW-Authenticate", authenticateChallenge(c));
  return c.json(body, 401);
}

/**
 * What of an unexpected error may be logged: its name, the innermost cause's message and the
 * stack frames. Outer messages are left out: a failed query's message carries the query's
 * parameters, which can be a password hash or a username.
 */
export function describeForLog(error: unknown): { error: string; reason?: string; stack?: string } {
  if (!(error instanceof Error)) return { error: "unknown" };

  let innermost: Error = error;
  while (innermost.cause instanceof Error) innermost = innermost.cause;
  const frames = (error.stack ?? "").split("\n").filter((line) => /^\s+at /.test(line));
  const reason = innermost === error ? undefined : innermost.message.split("\n")[0];

  return { error: error.name, reason, stack: frames.join("\n") };
}

function serverError(c: Context<AppEnv>, error: unknown): Response {
  const requestId = c.var.requestId;
  writeLog("error", "server.unexpected_error", { request_id: requestId, ...describeForLog(error) });

  return c.json(
    { detail: "A server error occurred.", code: "server_error", request_id: requestId },
    500,
  );
}

function misconfigured(c: Context<AppEnv>, error: SettingsError): Response {
  const detail = `The server is misconfigured: invalid settings ${error.names.join(", ")}.`;
  return c.json({ detail, code: "invalid_settings", request_id: c.var.requestId }, 500);
}

/** Hono's onError handler: maps each error type to its status and body. */
export function handleError(error: unknown, c: Context<AppEnv>): Response {
  if (error instanceof TokenError) {
    return unauthorized(c, { detail: error.message, code: "token_not_valid" });
  }
  if (error instanceof AuthenticationError) {
    const code = error.code ? { code: error.code } : {};
    return unauthorized(c, { detail: error.detail, ...code, ...error.extra });
  }
  if (error instanceof ValidationError) return c.json(error.fields, 400);
  if (error instanceof RequestError) {
    for (const [name, value] of Object.entries(error.headers)) c.header(name, value);
    const code = error.code ? { code: error.code } : {};
    return c.json({ detail: error.detail, ...code }, error.status);
  }
  if (error instanceof SettingsError) return misconfigured(c, error);
  if (error instanceof HTTPException && error.status < 500) {
    return c.json(
      { detail: error.message || "Bad request." },
      error.status as ContentfulStatusCode,
    );
  }
  return serverError(c, error);
}
