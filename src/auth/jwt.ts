// The JWS layer: compact serialisation, HS256 signing and strict verification with Web Crypto.
// Claims are not looked at here; `tokens.ts` checks them once the signature is known good.

import { TokenError } from "../errors";
import { decodeBase64Url, encodeBase64Url, encodeBase64UrlText } from "./base64url";

/** Tokens longer than this are refused before any parsing or crypto. */
export const MAX_TOKEN_LENGTH = 4096;

const ALGORITHM = "HS256";
const HMAC = { name: "HMAC", hash: "SHA-256" } as const;
const KNOWN_HEADER_FIELDS = new Set(["alg", "typ", "kid"]);

interface SigningKey {
  kid: string;
  key: CryptoKey;
}

/** The key that signs new tokens and every key that may still verify one, by `kid`. */
export interface Keyring {
  signing: SigningKey;
  byKid: Map<string, CryptoKey>;
}

const keyringCache = new Map<string, Promise<Keyring>>();

/** Header segments already checked, per keyring; tokens from one issuer share a handful. */
const MAX_REMEMBERED_HEADERS = 64;
const checkedHeaders = new WeakMap<Keyring, Map<string, CryptoKey[]>>();

const encoder = new TextEncoder();
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

async function importKey(secret: string): Promise<SigningKey> {
  const raw = encoder.encode(secret);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", raw));
  const key = await crypto.subtle.importKey("raw", raw, HMAC, false, ["sign", "verify"]);

  // The kid is a short fingerprint: it names the key without revealing anything usable.
  return { kid: encodeBase64Url(digest.slice(0, 9)), key };
}

async function buildKeyring(signing: string, verifying: string[]): Promise<Keyring> {
  const keys = await Promise.all([signing, ...verifying].map(importKey));
  const byKid = new Map(keys.map((entry) => [entry.kid, entry.key]));
  return { signing: keys[0]!, byKid };
}

/** The keyring for these secrets, imported once per isolate. */
export function loadKeyring(signing: string, verifying: string[] = []): Promise<Keyring> {
  const cacheKey = JSON.stringify([signing, ...verifying]);
  let keyring = keyringCache.get(cacheKey);
  if (!keyring) {
    keyring = buildKeyring(signing, verifying);
    keyringCache.set(cacheKey, keyring);
  }
  return keyring;
}

/** Signs a claims object as a compact HS256 JWS. */
export async function signJwt(claims: object, keyring: Keyring): Promise<string> {
  const header = { alg: ALGORITHM, typ: "JWT", kid: keyring.signing.kid };
  const signingInput = `${encodeBase64UrlText(JSON.stringify(header))}.${encodeBase64UrlText(
    JSON.stringify(claims),
  )}`;

  const signature = await crypto.subtle.sign("HMAC", keyring.signing.key, encode(signingInput));
  return `${signingInput}.${encodeBase64Url(new Uint8Array(signature))}`;
}

/**
 * Checks structure, header and signature, then returns the payload object.
 * Throws TokenError("invalid") for every failure; `detail` names the rule for tests and logs.
 */
export async function verifyJwt(token: string, keyring: Keyring): Promise<Record<string, unknown>> {
  if (token.length > MAX_TOKEN_LENGTH) throw invalid("token too long");

  const parts = token.split(".");
  if (parts.length !== 3) throw invalid("not three segments");
  const [encodedHeader, encodedPayload, encodedSignature] = parts as [string, string, string];

  const candidates = keysForHeader(encodedHeader, keyring);

  const signature = decodeBase64Url(encodedSignature);
  if (!signature || signature.byteLength !== 32) throw invalid("bad signature encoding");
  const payloadBytes = decodeBase64Url(encodedPayload);
  if (!payloadBytes) throw invalid("bad payload encoding");

  const signingInput = encode(`${encodedHeader}.${encodedPayload}`);
  if (!(await verifyWithAny(candidates, signature, signingInput))) throw invalid("bad signature");

  return parseJsonObject(payloadBytes, "payload");
}

/** The keys a header segment allows, checked once and then remembered for this keyring. */
function keysForHeader(encodedHeader: string, keyring: Keyring): CryptoKey[] {
  let remembered = checkedHeaders.get(keyring);
  const known = remembered?.get(encodedHeader);
  if (known) return known;

  const keys = pickKeys(decodeJsonObject(encodedHeader, "header"), keyring);

  if (!remembered) checkedHeaders.set(keyring, (remembered = new Map()));
  if (remembered.size >= MAX_REMEMBERED_HEADERS) remembered.clear();
  remembered.set(encodedHeader, keys);
  return keys;
}

function checkHeader(header: Record<string, unknown>): void {
  if (header.alg !== ALGORITHM) throw invalid("algorithm not allowed");
  if ("typ" in header && header.typ !== "JWT") throw invalid("bad typ");
  if ("kid" in header && typeof header.kid !== "string") throw invalid("bad kid");

  // RFC 7515 section 4.1.11: a critical extension we do not understand must be refused.
  for (const field of Object.keys(header)) {
    if (!KNOWN_HEADER_FIELDS.has(field)) throw invalid(`unknown header field ${field}`);
  }
}

function pickKeys(header: Record<string, unknown>, keyring: Keyring): CryptoKey[] {
  checkHeader(header);
  if (typeof header.kid !== "string") return [...keyring.byKid.values()];

  const key = keyring.byKid.get(header.kid);
  if (!key) throw invalid("unknown kid");
  return [key];
}

async function verifyWithAny(keys: CryptoKey[], signature: Uint8Array, input: Uint8Array) {
  for (const key of keys) {
    if (await crypto.subtle.verify("HMAC", key, signature, input)) return true;
  }
  return false;
}

function decodeJsonObject(segment: string, what: string): Record<string, unknown> {
  const bytes = decodeBase64Url(segment);
  if (!bytes) throw invalid(`bad ${what} encoding`);
  return parseJsonObject(bytes, what);
}

function parseJsonObject(bytes: Uint8Array, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(strictUtf8.decode(bytes));
  } catch {
    throw invalid(`${what} is not JSON`);
  }

  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalid(`${what} is not an object`);
  }
  return value as Record<string, unknown>;
}

function encode(text: string): Uint8Array {
  return encoder.encode(text);
}

function invalid(detail: string): TokenError {
  return new TokenError("invalid", detail);
}
