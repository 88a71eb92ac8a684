// A small browser client for the API: it logs in, keeps the tokens in memory, signs requests
// with the access token and refreshes it, once, when the API answers 401.

import type {
  Credentials,
  ErrorBody,
  RefreshResponse,
  RegisteredUser,
  RegisterRequest,
  TokenClaims,
  TokenPair,
} from "./api-types";

export type * from "./api-types";

/** A non-2xx answer from the API; `body` is its JSON exactly as sent (or the raw text). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorBody | string,
  ) {
    super(`The API answered ${status}.`);
    this.name = "ApiError";
  }
}

/** What the page may know about the signed-in session; the tokens themselves stay inside. */
export interface Session {
  accessClaims: TokenClaims;
  refreshClaims: TokenClaims;
  /** When the access token stops working; the client refreshes it on the next 401. */
  accessExpiresAt: Date;
}

export interface AuthClientOptions {
  /** Where the API lives, e.g. "https://auth.example.com"; empty for the page's own origin. */
  baseUrl?: string;
  /** Called after login, every refresh and logout, with the new session or undefined. */
  onSessionChange?: (session: Session | undefined) => void;
  /** The fetch to use; defaults to the browser's. */
  fetch?: typeof fetch;
}

/** Reads a token's claims without verifying it: only the API can tell whether it is valid. */
export function decodeClaims(token: string): TokenClaims | undefined {
  const payload = token.split(".")[1];
  if (payload === undefined) return undefined;

  try {
    const base64 = payload.replace(/-/g, "+").replace(/_/g, "/");
    const bytes = Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes)) as TokenClaims;
  } catch {
    return undefined;
  }
}

async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * Talks to the API for one browser tab. Tokens live only in this object's memory: nothing is
 * written to localStorage, sessionStorage or cookies, so a reload or a new tab signs the user
 * out, and a token cannot outlive the page that obtained it.
 *
 * @example
 * const auth = new AuthClient({ baseUrl: "https://auth.example.com" });
 * await auth.login({ username: "alice", password: "…" });
 * const { message } = await auth.getJson<RestrictedResponse>("/api/restricted/");
 */
export class AuthClient {
  readonly #baseUrl: string;
  readonly #fetch: typeof fetch;
  readonly #onSessionChange: (session: Session | undefined) => void;
  #access: string | undefined;
  #refresh: string | undefined;
  #refreshing: Promise<string> | undefined;

  constructor(options: AuthClientOptions = {}) {
    this.#baseUrl = (options.baseUrl ?? "").replace(/\/+$/, "");
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#onSessionChange = options.onSessionChange ?? (() => {});
  }

  /** The signed-in session's claims, or undefined when signed out. */
  get session(): Session | undefined {
    const accessClaims = this.#access ? decodeClaims(this.#access) : undefined;
    const refreshClaims = this.#refresh ? decodeClaims(this.#refresh) : undefined;
    if (!accessClaims || !refreshClaims) return undefined;

    return { accessClaims, refreshClaims, accessExpiresAt: new Date(accessClaims.exp * 1000) };
  }

  /** Creates an account; does not sign in. Throws ApiError with the field errors on 400. */
  register(input: RegisterRequest): Promise<RegisteredUser> {
    return this.#postJson<RegisteredUser>("/api/register/", input);
  }

  /** Obtains a token pair and keeps it. Throws ApiError on wrong credentials (401). */
  async login(credentials: Credentials): Promise<Session> {
    const pair = await this.#postJson<TokenPair>("/api/token/", credentials);

    this.#keep(pair.access, pair.refresh);
    return this.session!;
  }

  /**
   * Exchanges the refresh token for a new access token (and, with rotation on, a new refresh
   * token) now. Concurrent callers share one request, so a rotated refresh token is never
   * sent twice. A 401 (expired or revoked refresh token) signs the client out and throws.
   */
  async refresh(): Promise<Session | undefined> {
    await this.#sharedRefresh();
    return this.session;
  }

  /** The one refresh in flight, started if there is none; resolves to the new access token. */
  #sharedRefresh(): Promise<string> {
    this.#refreshing ??= this.#rotate().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  /** Revokes the refresh token on the server and forgets both tokens, even if that fails. */
  async logout(): Promise<void> {
    // A refresh in flight would replace the token being revoked: let it land first.
    await this.#refreshing?.catch(() => undefined);
    const refresh = this.#refresh;

    try {
      if (refresh) await this.#postJson<object>("/api/token/blacklist/", { refresh });
    } finally {
      this.#forget();
    }
  }

  /**
   * Like fetch, with the access token in the Authorization header. On a 401 it refreshes
   * the token once and sends the request again, so `init.body` must be re-readable (a string,
   * URLSearchParams, FormData or Blob, not a stream). When the refresh is refused, the first 401
   * is returned and the client is signed out.
   */
  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const token = this.#access;
    const response = await this.#send(path, init, token);
    if (response.status !== 401 || token === undefined) return response;

    const fresh = await this.#freshToken(token);
    return fresh === undefined ? response : this.#send(path, init, fresh);
  }

  /** GETs a JSON resource with the access token; throws ApiError on any non-2xx answer. */
  async getJson<T>(path: string): Promise<T> {
    return (await this.#parse(await this.fetch(path))) as T;
  }

  /** A token newer than `failed`, refreshing if nobody has yet; undefined when signed out. */
  async #freshToken(failed: string): Promise<string | undefined> {
    // Another caller refreshed while this request was in flight: its token is the fresh one.
    if (this.#access !== undefined && this.#access !== failed) return this.#access;
    if (this.#refresh === undefined) return undefined;

    try {
      return await this.#sharedRefresh();
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return undefined;
      throw error;
    }
  }

  async #rotate(): Promise<string> {
    const refresh = this.#refresh;
    if (refresh === undefined) throw new Error("Not signed in.");

    let answer: RefreshResponse;
    try {
      answer = await this.#postJson<RefreshResponse>("/api/token/refresh/", { refresh });
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) this.#forget();
      throw error;
    }

    // With rotation on, the old refresh token is now revoked and only the new one works.
    this.#keep(answer.access, answer.refresh ?? refresh);
    return answer.access;
  }

  #keep(access: string, refresh: string) {
    this.#access = access;
    this.#refresh = refresh;
    this.#onSessionChange(this.session);
  }

  #forget() {
    this.#access = undefined;
    this.#refresh = undefined;
    this.#onSessionChange(undefined);
  }

  #send(path: string, init: RequestInit, token: string | undefined): Promise<Response> {
    const headers = new Headers(init.headers);
    if (token !== undefined) headers.set("Authorization", `Bearer ${token}`);

    return this.#fetch(this.#baseUrl + path, { ...init, headers });
  }

  async #postJson<T>(path: string, body: object): Promise<T> {
    const init = {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    };
    return (await this.#parse(await this.#send(path, init, undefined))) as T;
  }

  async #parse(response: Response): Promise<unknown> {
    const body = await readBody(response);
    if (!response.ok) throw new ApiError(response.status, body as ErrorBody | string);
    return body;
  }
}
