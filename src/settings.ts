// Every setting of the service: its default, how it is parsed from wrangler vars and secrets,
// and the one check that runs per isolate. A bad setting is reported by name, never by value.

/** Production Workers refuse a single PBKDF2 call above this many iterations. */
export const RUNTIME_PBKDF2_CAP = 100_000;

/** Beyond this total, one login would use more CPU than a Worker request is allowed. */
const MAX_PASSWORD_WORK = 2_000_000;

const MIN_SIGNING_KEY_BYTES = 32;

/** Clock skew worth tolerating is seconds to minutes; more would quietly extend every token. */
const MAX_LEEWAY_SECONDS = 300;

/** A client's duplicate refresh arrives within seconds; a longer window only helps a thief. */
const MAX_GRACE_SECONDS = 60;

export type UserCheckMode = "stateless" | "database";

export interface RateLimit {
  limit: number;
  windowSeconds: number;
}

export interface Settings {
  signingKey: string;
  /** Keys that no longer sign but still verify, so a key can be rotated without a logout. */
  verifyingKeys: string[];
  accessTokenLifetime: number;
  refreshTokenLifetime: number;
  leeway: number;
  userCheck: UserCheckMode;
  rotateRefreshTokens: boolean;
  blacklistAfterRotation: boolean;
  refreshGraceSeconds: number;
  authHeaderTypes: string[];
  passwordHashIterations: number;
  corsAllowedOrigins: string[];
  issuer: string | undefined;
  audience: string | undefined;
  loginRatePerIp: RateLimit;
  loginRatePerUsername: RateLimit;
  registerRatePerIp: RateLimit;
}

/** Raised when one or more settings cannot be used; `names` lists them, values never appear. */
export class SettingsError extends Error {
  constructor(readonly names: string[]) {
    super(`Invalid settings: ${names.join(", ")}`);
    this.name = "SettingsError";
  }
}

type RawEnv = Record<string, unknown>;
type Parser<T> = (raw: string) => T | undefined;

const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** "300", "300s", "5m", "12h" or "1d", as whole seconds. */
function parseDuration(raw: string): number | undefined {
  const match = /^(\d{1,9})\s*([smhd]?)$/.exec(raw.trim());
  if (!match) return undefined;

  const seconds = Number(match[1]) * (DURATION_UNITS[match[2] || "s"] ?? 1);
  return Number.isSafeInteger(seconds) ? seconds : undefined;
}

function parsePositiveDuration(raw: string): number | undefined {
  const seconds = parseDuration(raw);
  return seconds && seconds > 0 ? seconds : undefined;
}

function parseBoolean(raw: string): boolean | undefined {
  const value = raw.trim().toLowerCase();
  if (["true", "1", "yes", "on"].includes(value)) return true;
  if (["false", "0", "no", "off"].includes(value)) return false;
  return undefined;
}

function parseList(raw: string): string[] {
  return raw
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

function parseUserCheck(raw: string): UserCheckMode | undefined {
  const value = raw.trim();
  return value === "stateless" || value === "database" ? value : undefined;
}

function parseHeaderTypes(raw: string): string[] | undefined {
  const types = parseList(raw);
  const valid = types.length > 0 && types.every((type) => /^[A-Za-z][A-Za-z0-9_-]*$/.test(type));
  return valid ? types : undefined;
}

/** PASSWORD_HASH_ITERATIONS as a number, or undefined when the service would refuse it. */
export function parseIterations(raw: string): number | undefined {
  if (!/^\d{1,9}$/.test(raw.trim())) return undefined;
  const value = Number(raw.trim());
  const valid = Number.isSafeInteger(value) && value >= 1000 && value <= MAX_PASSWORD_WORK;
  return valid ? value : undefined;
}

/** "10/60" or "10/1m": at most 10 attempts per window. */
function parseRateLimit(raw: string): RateLimit | undefined {
  const [count = "", window] = raw.split("/");
  if (!/^\d{1,9}$/.test(count.trim())) return undefined;
  const limit = Number(count.trim());
  const windowSeconds = window === undefined ? undefined : parsePositiveDuration(window);
  if (!Number.isSafeInteger(limit) || limit < 1 || windowSeconds === undefined) return undefined;
  return { limit, windowSeconds };
}

/** True for an origin exactly as a browser sends it: scheme, lower-case host, optional port. */
function isCanonicalOrigin(origin: string): boolean {
  if (!/^https?:\/\/[^/\s*]+$/.test(origin)) return false;
  try {
    return new URL(origin).origin === origin;
  } catch {
    return false;
  }
}

function parseOrigins(raw: string): string[] | undefined {
  const origins = parseList(raw);
  return origins.every(isCanonicalOrigin) ? origins : undefined;
}

/** A duration no longer than `max` seconds: a leeway or grace of days would switch checks off. */
function parseBoundedDuration(max: number) {
  return (raw: string) => {
    const seconds = parseDuration(raw);
    return seconds !== undefined && seconds <= max ? seconds : undefined;
  };
}

function parseOptionalText(raw: string): string | undefined {
  return raw.trim() || undefined;
}

function isStrongKey(key: string): boolean {
  return new TextEncoder().encode(key).byteLength >= MIN_SIGNING_KEY_BYTES;
}

/**
 * Every setting's default, as its wrangler var would spell it. The signing keys are secrets and
 * have none; ISSUER and AUDIENCE are empty (not issued, not checked) unless set.
 */
export const DEFAULTS = {
  ACCESS_TOKEN_LIFETIME: "300",
  REFRESH_TOKEN_LIFETIME: "1d",
  JWT_LEEWAY: "0",
  AUTH_USER_CHECK: "stateless",
  ROTATE_REFRESH_TOKENS: "true",
  BLACKLIST_AFTER_ROTATION: "true",
  REFRESH_GRACE_SECONDS: "10",
  AUTH_HEADER_TYPES: "Bearer",
  PASSWORD_HASH_ITERATIONS: "600000",
  CORS_ALLOWED_ORIGINS: "",
  ISSUER: "",
  AUDIENCE: "",
  THROTTLE_LOGIN_PER_IP: "20/1m",
  THROTTLE_LOGIN_PER_USERNAME: "10/5m",
  THROTTLE_REGISTER_PER_IP: "10/1h",
} as const;

type SettingName = keyof typeof DEFAULTS;

/** A var's text; wrangler passes a TOML number or boolean as one, which reads as its text. */
function rawText(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return undefined;
}

/** Reads one setting; records its name in `bad` when present but unparsable. */
function read<T>(env: RawEnv, name: SettingName, parse: Parser<T>, bad: string[]): T {
  const fallback = DEFAULTS[name];
  const present = env[name] !== undefined && env[name] !== null;
  const text = present ? rawText(env[name]) : fallback;
  const value = text === undefined ? undefined : parse(text);
  if (value !== undefined) return value;

  bad.push(name);
  return parse(fallback) as T;
}

function readSigningKeys(env: RawEnv, bad: string[]): { signing: string; verifying: string[] } {
  const signing = typeof env.JWT_SIGNING_KEY === "string" ? env.JWT_SIGNING_KEY : "";
  if (!isStrongKey(signing)) bad.push("JWT_SIGNING_KEY");

  const rawVerifying = typeof env.JWT_VERIFYING_KEYS === "string" ? env.JWT_VERIFYING_KEYS : "";
  const verifying = parseList(rawVerifying);
  if (!verifying.every(isStrongKey)) bad.push("JWT_VERIFYING_KEYS");

  return { signing, verifying };
}

/**
 * The allowed origins alone, or none when that setting is invalid. Lets error answers carry
 * CORS headers even when some other setting is broken.
 */
export function readAllowedOrigins(env: object): string[] {
  const bad: string[] = [];
  const origins = read(env as RawEnv, "CORS_ALLOWED_ORIGINS", parseOrigins, bad);
  return bad.length === 0 ? origins : [];
}

/** Parses and checks every setting; throws SettingsError naming all bad ones. */
export function parseSettings(env: RawEnv): Settings {
  const bad: string[] = [];
  const keys = readSigningKeys(env, bad);
  const optionalText = (text: string) => parseOptionalText(text) ?? null;

  const settings: Settings = {
    signingKey: keys.signing,
    verifyingKeys: keys.verifying,
    accessTokenLifetime: read(env, "ACCESS_TOKEN_LIFETIME", parsePositiveDuration, bad),
    refreshTokenLifetime: read(env, "REFRESH_TOKEN_LIFETIME", parsePositiveDuration, bad),
    leeway: read(env, "JWT_LEEWAY", parseBoundedDuration(MAX_LEEWAY_SECONDS), bad),
    userCheck: read(env, "AUTH_USER_CHECK", parseUserCheck, bad),
    rotateRefreshTokens: read(env, "ROTATE_REFRESH_TOKENS", parseBoolean, bad),
    blacklistAfterRotation: read(env, "BLACKLIST_AFTER_ROTATION", parseBoolean, bad),
    refreshGraceSeconds: read(
      env,
      "REFRESH_GRACE_SECONDS",
      parseBoundedDuration(MAX_GRACE_SECONDS),
      bad,
    ),
    authHeaderTypes: read(env, "AUTH_HEADER_TYPES", parseHeaderTypes, bad),
    passwordHashIterations: read(env, "PASSWORD_HASH_ITERATIONS", parseIterations, bad),
    corsAllowedOrigins: read(env, "CORS_ALLOWED_ORIGINS", parseOrigins, bad),
    issuer: read(env, "ISSUER", optionalText, bad) ?? undefined,
    audience: read(env, "AUDIENCE", optionalText, bad) ?? undefined,
    loginRatePerIp: read(env, "THROTTLE_LOGIN_PER_IP", parseRateLimit, bad),
    loginRatePerUsername: read(env, "THROTTLE_LOGIN_PER_USERNAME", parseRateLimit, bad),
    registerRatePerIp: read(env, "THROTTLE_REGISTER_PER_IP", parseRateLimit, bad),
  };

  if (bad.length > 0) throw new SettingsError(bad);
  return settings;
}

const parsedByEnv = new WeakMap<object, Settings>();

/** The settings for this env, parsed once per isolate and remembered. */
export function loadSettings(env: object): Settings {
  const cached = parsedByEnv.get(env);
  if (cached) return cached;

  const settings = parseSettings(env as RawEnv);
  parsedByEnv.set(env, settings);
  return settings;
}
