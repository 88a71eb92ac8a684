// Base64url without padding (RFC 7515 section 2), strict on input: only the canonical
// encoding of some byte string is accepted, so one token has exactly one spelling.

const CANONICAL = /^[A-Za-z0-9_-]*$/;

/** The TC39 base64 methods on Uint8Array, where the runtime has them (workerd does). */
interface NativeBase64 {
  fromBase64?(text: string, options: { alphabet: "base64url" }): Uint8Array;
}
interface NativeBytes {
  toBase64?(options: { alphabet: "base64url"; omitPadding: true }): string;
}

const native = Uint8Array as unknown as NativeBase64;
const hasNative = typeof native.fromBase64 === "function";

function encodePortable(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function decodePortable(text: string): Uint8Array {
  const padding = "==".slice(0, (4 - (text.length % 4)) % 4);
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/") + padding);
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

/** Encodes bytes as unpadded base64url. */
export function encodeBase64Url(bytes: Uint8Array): string {
  const encode = (bytes as unknown as NativeBytes).toBase64;
  return encode
    ? encode.call(bytes, { alphabet: "base64url", omitPadding: true })
    : encodePortable(bytes);
}

const encoder = new TextEncoder();

/** Encodes a string's UTF-8 bytes as unpadded base64url. */
export function encodeBase64UrlText(text: string): string {
  return encodeBase64Url(encoder.encode(text));
}

/** Decodes canonical unpadded base64url; returns undefined for anything else. */
export function decodeBase64Url(text: string): Uint8Array | undefined {
  if (!CANONICAL.test(text) || text.length % 4 === 1) return undefined;

  const bytes = hasNative
    ? native.fromBase64!(text, { alphabet: "base64url" })
    : decodePortable(text);

  // Unused trailing bits must be zero, or two spellings would decode to the same bytes.
  return encodeBase64Url(bytes) === text ? bytes : undefined;
}

/** Standard base64 with padding, as Django stores password hashes. */
export function encodeBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** Decodes standard padded base64; undefined when malformed. */
export function decodeBase64(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return undefined;
  return Uint8Array.from(atob(text), (char) => char.charCodeAt(0));
}
