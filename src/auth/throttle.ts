// Brute-force throttling of login and registration: fixed-window counters in D1, per client
// address and per target username, counted before any password hashing so a throttled
// attempt costs one database round trip and no CPU-heavy work.

import { RequestError } from "../errors";
import type { Database } from "../db/client";
import { countAttempts, deleteCounter } from "../db/throttle-counters";
import type { RequestLog } from "../log";
import type { RateLimit, Settings } from "../settings";
import { encodeBase64Url } from "./base64url";
import { normalizeUsername } from "./usernames";

/** What a counter counts; also the `reason` of the `auth.throttled` log line. */
export type ThrottleScope =
  "login_per_ip" | "login_per_username" | "register_per_ip" | "password_change_per_user";

interface ThrottleCheck {
  scope: ThrottleScope;
  subject: string;
  rate: RateLimit;
}

/**
 * The subject a client address is counted under. An IPv6 client usually holds a whole /64,
 * so its addresses share one counter; IPv4 (also when mapped into IPv6) counts per address.
 */
export function addressSubject(ip: string): string {
  const address = ip.trim().toLowerCase();
  if (!address.includes(":")) return address;

  const embeddedIpv4 = /(\d{1,3}(?:\.\d{1,3}){3})$/.exec(address);
  if (embeddedIpv4) return embeddedIpv4[1]!;

  const [head = "", tail] = address.split("::");
  const headGroups = head ? head.split(":") : [];
  const tailGroups = tail ? tail.split(":") : [];
  const missing = Math.max(0, 8 - headGroups.length - tailGroups.length);
  const groups = [...headGroups, ...Array<string>(missing).fill("0"), ...tailGroups];

  const prefix = groups.slice(0, 4).map((group) => group.replace(/^0+(?=.)/, ""));
  return `${prefix.join(":")}::/64`;
}

/**
 * The counter's key. Subjects are stored as a digest: people sometimes type their password
 * into the username field, and it must not sit in the table in clear.
 */
async function counterKey(scope: ThrottleScope, subject: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(subject));
  return `${scope}:${encodeBase64Url(new Uint8Array(digest))}`;
}

/** DRF's Throttled wording, singular and plural as it has them. */
function throttledMessage(wait: number): string {
  const unit = wait === 1 ? "second" : "seconds";
  return `Request was throttled. Expected available in ${wait} ${unit}.`;
}

/**
 * Counts one attempt against every check, in one round trip. Throws RequestError(429) with
 * Retry-After when any counter is over its limit; the wait is the longest of them.
 */
async function enforce(
  db: Database,
  checks: ThrottleCheck[],
  log: RequestLog,
  now: number,
): Promise<void> {
  const keys = await Promise.all(checks.map((check) => counterKey(check.scope, check.subject)));
  const counts = checks.map((check, index) => ({
    key: keys[index]!,
    windowSeconds: check.rate.windowSeconds,
  }));
  const states = await countAttempts(db, counts, now);

  const exceeded = checks
    .map((check, index) => ({ scope: check.scope, limit: check.rate.limit, ...states[index]! }))
    .filter((state) => state.attempts > state.limit);
  if (exceeded.length === 0) return;

  const worst = exceeded.reduce((a, b) => (b.expiresAt > a.expiresAt ? b : a));
  const wait = Math.max(1, worst.expiresAt - now);
  log.event("warn", "auth.throttled", { reason: worst.scope, retry_after: wait });
  throw new RequestError(429, throttledMessage(wait), { "Retry-After": String(wait) });
}

/** Counts a login attempt per client address and per target username; throws 429 over either. */
export async function throttleLogin(
  db: Database,
  settings: Settings,
  attempt: { clientIp: string; username: string },
  log: RequestLog,
  now: number,
): Promise<void> {
  const checks: ThrottleCheck[] = [
    {
      scope: "login_per_ip",
      subject: addressSubject(attempt.clientIp),
      rate: settings.loginRatePerIp,
    },
    {
      scope: "login_per_username",
      subject: normalizeUsername(attempt.username),
      rate: settings.loginRatePerUsername,
    },
  ];
  await enforce(db, checks, log, now);
}

/** Forgets the failed attempts on a username once its owner has logged in. */
export async function resetLoginThrottle(db: Database, username: string): Promise<void> {
  await deleteCounter(db, await counterKey("login_per_username", normalizeUsername(username)));
}

/** Counts a registration attempt per client address; throws 429 over the limit. */
export async function throttleRegistration(
  db: Database,
  settings: Settings,
  clientIp: string,
  log: RequestLog,
  now: number,
): Promise<void> {
  const check: ThrottleCheck = {
    scope: "register_per_ip",
    subject: addressSubject(clientIp),
    rate: settings.registerRatePerIp,
  };
  await enforce(db, [check], log, now);
}

/**
 * Counts a password change per account. Its old-password check is a password guess like a
 * login, so a stolen access token must not buy unlimited guesses: same limit as per username.
 */
export async function throttlePasswordChange(
  db: Database,
  settings: Settings,
  userId: number,
  log: RequestLog,
  now: number,
): Promise<void> {
  const check: ThrottleCheck = {
    scope: "password_change_per_user",
    subject: String(userId),
    rate: settings.loginRatePerUsername,
  };
  await enforce(db, [check], log, now);
}
