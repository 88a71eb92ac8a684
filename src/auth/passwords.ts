// Password hashes: PBKDF2-HMAC-SHA256 through Web Crypto, stored self-describing.
//
// Two formats are read and written:
// - Django's `pbkdf2_sha256$<iterations>$<salt>$<base64 hash>`, so a Django user table imports
//   as it is. Used when the configured work fits one PBKDF2 call.
// - `pbkdf2_sha256_chained$<iterations>$<rounds>$<salt>$<base64 hash>`: `rounds` PBKDF2 calls
//   in sequence, each keyed with the previous output, so the total work can exceed the runtime's
//   per-call cap (see README, "Password hashing").

import { RUNTIME_PBKDF2_CAP } from "../settings";
import { encodeBase64, encodeBase64Url, decodeBase64 } from "./base64url";

const DJANGO_ALGORITHM = "pbkdf2_sha256";
const CHAINED_ALGORITHM = "pbkdf2_sha256_chained";
const HASH_BYTES = 32;
const SALT_BYTES = 16;
const MAX_ROUNDS = 20;
const MIN_ITERATIONS = 1000;
/** A Django hash asking for more than this is treated as corrupt rather than as merely old. */
const MAX_DJANGO_ITERATIONS = 10_000_000;

/** What checking a password against a stored hash found. */
export type PasswordCheck =
  | "match"
  | "mismatch"
  /** The stored value is not a hash we can read, or asks for absurd work. */
  | "unusable"
  /** A well-formed Django hash whose iteration count the runtime refuses in one call. */
  | "too_costly";

/** The parameters a stored hash records. */
export interface HashParameters {
  algorithm: typeof DJANGO_ALGORITHM | typeof CHAINED_ALGORITHM;
  iterations: number;
  rounds: number;
  salt: string;
  hash: Uint8Array;
}

/** Hashes and checks passwords; an interface so tests can count the work done. */
export interface PasswordHasher {
  hash(password: string, totalIterations: number): Promise<string>;
  check(password: string, stored: string): Promise<PasswordCheck>;
}

/** Splits a total work factor into calls the runtime accepts: `rounds` × `iterations`. */
export function planWork(totalIterations: number): { iterations: number; rounds: number } {
  const rounds = Math.ceil(totalIterations / RUNTIME_PBKDF2_CAP);
  return { iterations: Math.ceil(totalIterations / rounds), rounds };
}

/** Parses a stored hash; undefined when malformed or outside the accepted bounds. */
export function parseStoredHash(stored: string): HashParameters | undefined {
  const parts = stored.split("$");
  const [algorithm] = parts;

  if (algorithm === DJANGO_ALGORITHM && parts.length === 4) {
    const [, iterations, salt, hash] = parts as [string, string, string, string];
    return readParameters(algorithm, iterations, "1", salt, hash, MAX_DJANGO_ITERATIONS);
  }
  if (algorithm === CHAINED_ALGORITHM && parts.length === 5) {
    const [, iterations, rounds, salt, hash] = parts as [string, string, string, string, string];
    return readParameters(algorithm, iterations, rounds, salt, hash, RUNTIME_PBKDF2_CAP);
  }
  return undefined;
}

function readParameters(
  algorithm: HashParameters["algorithm"],
  iterationsText: string,
  roundsText: string,
  salt: string,
  hashText: string,
  maxIterations: number,
): HashParameters | undefined {
  if (!/^[1-9]\d{0,8}$/.test(iterationsText) || !/^[1-9]\d?$/.test(roundsText)) return undefined;

  const iterations = Number(iterationsText);
  const rounds = Number(roundsText);
  const hash = decodeBase64(hashText);
  const saltOk = salt.length > 0 && salt.length <= 64 && !/[\s$]/.test(salt);

  if (iterations < MIN_ITERATIONS || iterations > maxIterations || rounds > MAX_ROUNDS) {
    return undefined;
  }
  if (!saltOk || !hash || hash.byteLength !== HASH_BYTES) return undefined;
  return { algorithm, iterations, rounds, salt, hash };
}

/** True when a stored hash was made with other parameters than the configured work factor. */
export function needsRehash(stored: string, totalIterations: number): boolean {
  const parameters = parseStoredHash(stored);
  if (!parameters) return true;

  const wanted = planWork(totalIterations);
  const wantedAlgorithm = wanted.rounds === 1 ? DJANGO_ALGORITHM : CHAINED_ALGORITHM;
  return (
    parameters.algorithm !== wantedAlgorithm ||
    parameters.iterations !== wanted.iterations ||
    parameters.rounds !== wanted.rounds
  );
}

async function pbkdf2(secret: Uint8Array, salt: Uint8Array, iterations: number) {
  const key = await crypto.subtle.importKey("raw", secret, "PBKDF2", false, ["deriveBits"]);
  const parameters = { name: "PBKDF2", hash: "SHA-256", salt, iterations };
  return new Uint8Array(await crypto.subtle.deriveBits(parameters, key, HASH_BYTES * 8));
}

/** Runs the derivation a stored hash describes. Each call stays within the runtime's cap. */
export async function derive(
  password: string,
  salt: string,
  iterations: number,
  rounds: number,
): Promise<Uint8Array> {
  const encoder = new TextEncoder();
  let output = await pbkdf2(encoder.encode(password), encoder.encode(salt), iterations);

  // Each round is keyed with the previous output, so the rounds cannot run in parallel.
  for (let round = 1; round < rounds; round++) {
    output = await pbkdf2(output, encoder.encode(`${salt}$${round}`), iterations);
  }
  return output;
}

/** Compares two byte strings in time that depends only on their length. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;

  let difference = 0;
  for (let index = 0; index < a.byteLength; index++) difference |= a[index]! ^ b[index]!;
  return difference === 0;
}

function randomSalt(): string {
  return encodeBase64Url(crypto.getRandomValues(new Uint8Array(SALT_BYTES)));
}

function format(parameters: Omit<HashParameters, "hash">, hash: Uint8Array): string {
  const encoded = encodeBase64(hash);
  const { algorithm, iterations, rounds, salt } = parameters;
  return algorithm === DJANGO_ALGORITHM
    ? `${algorithm}$${iterations}$${salt}$${encoded}`
    : `${algorithm}$${iterations}$${rounds}$${salt}$${encoded}`;
}

/** Hashes a password with a fresh salt and the given total work factor. */
export async function hashPassword(password: string, totalIterations: number): Promise<string> {
  const { iterations, rounds } = planWork(totalIterations);
  const algorithm = rounds === 1 ? DJANGO_ALGORITHM : CHAINED_ALGORITHM;
  const salt = randomSalt();

  const hash = await derive(password, salt, iterations, rounds);
  return format({ algorithm, iterations, rounds, salt }, hash);
}

/** Checks a password against a stored hash without ever doing more work than it allows. */
export async function checkPassword(password: string, stored: string): Promise<PasswordCheck> {
  const parameters = parseStoredHash(stored);
  if (!parameters) return "unusable";
  if (parameters.iterations > RUNTIME_PBKDF2_CAP) return "too_costly";

  const { salt, iterations, rounds } = parameters;
  const derived = await derive(password, salt, iterations, rounds);
  return constantTimeEqual(derived, parameters.hash) ? "match" : "mismatch";
}

/** A well-formed hash that matches no password, costing the same work as a real one. */
export function decoyHash(totalIterations: number): string {
  const { iterations, rounds } = planWork(totalIterations);
  const algorithm = rounds === 1 ? DJANGO_ALGORITHM : CHAINED_ALGORITHM;
  return format({ algorithm, iterations, rounds, salt: randomSalt() }, new Uint8Array(HASH_BYTES));
}

export const webCryptoHasher: PasswordHasher = { hash: hashPassword, check: checkPassword };
