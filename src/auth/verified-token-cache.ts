// A per-isolate memory of access tokens already verified, keyed by the exact token string, so a
// client that repeats its token skips the signature and JSON work. Expiry is still checked on
// every request, with the configured leeway; the `database` user check is not affected.

import type { Settings } from "../settings";
import { systemClock, type Clock, type TokenClaims } from "./tokens";

/** Tokens remembered per settings; the oldest is forgotten first, so memory stays bounded. */
export const VERIFIED_TOKEN_CACHE_SIZE = 1024;

// Keyed by the settings object (parsed once per env), so tokens verified under one set of keys,
// issuer or audience are never served under another.
const caches = new WeakMap<Settings, Map<string, Readonly<TokenClaims>>>();

function cacheFor(settings: Settings): Map<string, Readonly<TokenClaims>> {
  let cache = caches.get(settings);
  if (!cache) {
    cache = new Map();
    caches.set(settings, cache);
  }
  return cache;
}

function remember(cache: Map<string, Readonly<TokenClaims>>, token: string, claims: TokenClaims) {
  if (cache.size >= VERIFIED_TOKEN_CACHE_SIZE) cache.delete(cache.keys().next().value!);

  // Frozen: one claims object is shared by every request that presents this token.
  cache.set(token, Object.freeze(claims));
}

/**
 * The claims of `token`: remembered ones while `exp + leeway` is still ahead of `now`,
 * otherwise whatever `verify` returns (which is then remembered) or throws (never remembered).
 */
export async function verifyWithCache(
  token: string,
  settings: Settings,
  verify: () => Promise<TokenClaims>,
  now: Clock = systemClock,
): Promise<Readonly<TokenClaims>> {
  const cache = cacheFor(settings);
  const remembered = cache.get(token);

  // The same expiry rule as readToken; an expired token goes back through it for its error.
  if (remembered && remembered.exp + settings.leeway > now()) return remembered;
  cache.delete(token);

  const claims = await verify();
  remember(cache, token, claims);
  return claims;
}
