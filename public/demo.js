// Built from src/client/ by npm run build:client; edit the sources, not this file.

// src/client/auth-client.ts
var ApiError = class extends Error {
  constructor(status2, body) {
    super(`The API answered ${status2}.`);
    this.status = status2;
    this.body = body;
    this.name = "ApiError";
  }
  status;
  body;
};
function decodeClaims(token) {
  const payload = token.split(".")[1];
  if (payload === void 0) return void 0;
  try {
    const base64 = payload.replace(/-/g, "+").replace(/_/g, "/");
    const bytes = Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return void 0;
  }
}
async function readBody(response) {
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
var AuthClient = class {
  #baseUrl;
  #fetch;
  #onSessionChange;
  #access;
  #refresh;
  #refreshing;
  constructor(options = {}) {
    this.#baseUrl = (options.baseUrl ?? "").replace(/\/+$/, "");
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#onSessionChange = options.onSessionChange ?? (() => {});
  }
  /** The signed-in session's claims, or undefined when signed out. */
  get session() {
    const accessClaims = this.#access ? decodeClaims(this.#access) : void 0;
    const refreshClaims = this.#refresh ? decodeClaims(this.#refresh) : void 0;
    if (!accessClaims || !refreshClaims) return void 0;
    return { accessClaims, refreshClaims, accessExpiresAt: new Date(accessClaims.exp * 1e3) };
  }
  /** Creates an account; does not sign in. Throws ApiError with the field errors on 400. */
  register(input) {
    return this.#postJson("/api/register/", input);
  }
  /** Obtains a token pair and keeps it. Throws ApiError on wrong credentials (401). */
  async login(credentials) {
    const pair = await this.#postJson("/api/token/", credentials);
    this.#keep(pair.access, pair.refresh);
    return this.session;
  }
  /**
   * Exchanges the refresh token for a new access token (and, with rotation on, a new refresh
   * token) now. Concurrent callers share one request, so a rotated refresh token is never
   * sent twice. A 401 (expired or revoked refresh token) signs the client out and throws.
   */
  async refresh() {
    await this.#sharedRefresh();
    return this.session;
  }
  /** The one refresh in flight, started if there is none; resolves to the new access token. */
  #sharedRefresh() {
    this.#refreshing ??= this.#rotate().finally(() => {
      this.#refreshing = void 0;
    });
    return this.#refreshing;
  }
  /** Revokes the refresh token on the server and forgets both tokens, even if that fails. */
  async logout() {
    await this.#refreshing?.catch(() => void 0);
    const refresh2 = this.#refresh;
    try {
      if (refresh2) await this.#postJson("/api/token/blacklist/", { refresh: refresh2 });
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
  async fetch(path, init = {}) {
    const token = this.#access;
    const response = await this.#send(path, init, token);
    if (response.status !== 401 || token === void 0) return response;
    const fresh = await this.#freshToken(token);
    return fresh === void 0 ? response : this.#send(path, init, fresh);
  }
  /** GETs a JSON resource with the access token; throws ApiError on any non-2xx answer. */
  async getJson(path) {
    return await this.#parse(await this.fetch(path));
  }
  /** A token newer than `failed`, refreshing if nobody has yet; undefined when signed out. */
  async #freshToken(failed) {
    if (this.#access !== void 0 && this.#access !== failed) return this.#access;
    if (this.#refresh === void 0) return void 0;
    try {
      return await this.#sharedRefresh();
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return void 0;
      throw error;
    }
  }
  async #rotate() {
    const refresh2 = this.#refresh;
    if (refresh2 === void 0) throw new Error("Not signed in.");
    let answer;
    try {
      answer = await this.#postJson("/api/token/refresh/", { refresh: refresh2 });
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) this.#forget();
      throw error;
    }
    this.#keep(answer.access, answer.refresh ?? refresh2);
    return answer.access;
  }
  #keep(access, refresh2) {
    this.#access = access;
    this.#refresh = refresh2;
    this.#onSessionChange(this.session);
  }
  #forget() {
    this.#access = void 0;
    this.#refresh = void 0;
    this.#onSessionChange(void 0);
  }
  #send(path, init, token) {
    const headers = new Headers(init.headers);
    if (token !== void 0) headers.set("Authorization", `Bearer ${token}`);
    return this.#fetch(this.#baseUrl + path, { ...init, headers });
  }
  async #postJson(path, body) {
    const init = {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    };
    return await this.#parse(await this.#send(path, init, void 0));
  }
  async #parse(response) {
    const body = await readBody(response);
    if (!response.ok) throw new ApiError(response.status, body);
    return body;
  }
};

// src/client/demo-page.ts
function element(id) {
  const found = document.getElementById(id);
  if (!found) throw new Error(`The page has no #${id}.`);
  return found;
}
var form = element("credentials");
var username = element("username");
var password = element("password");
var email = element("email");
var status = element("session-status");
var expiry = element("expiry");
var refreshExpiry = element("refresh-expiry");
var claims = element("claims");
var refreshButton = element("refresh");
var logoutButton = element("logout");
var restrictedButton = element("restricted");
var result = element("result");
var resultSummary = element("result-summary");
var resultBody = element("result-body");
var client = new AuthClient({ onSessionChange: showSession });
var signedInName = "";
function showResult(outcome, summary, body) {
  result.dataset.outcome = outcome;
  resultSummary.textContent = summary;
  resultBody.textContent = body === void 0 ? "" : JSON.stringify(body, null, 2);
  resultBody.hidden = body === void 0;
}
function showFailure(action, error) {
  if (error instanceof ApiError) {
    showResult("error", `${action} failed: the API answered ${error.status}.`, error.body);
  } else {
    const reason = error instanceof Error ? error.message : String(error);
    showResult("error", `${action} failed: ${reason}`);
  }
}
function describeExpiry(at) {
  const seconds = Math.round((at.getTime() - Date.now()) / 1e3);
  const time = at.toLocaleTimeString();
  if (seconds <= 0) return `${time} (expired)`;
  if (seconds >= 3600) return `${at.toLocaleString()} (in ${Math.round(seconds / 3600)} h)`;
  return `${time} (in ${Math.floor(seconds / 60)} min ${seconds % 60} s)`;
}
function showSession(session) {
  refreshButton.disabled = session === void 0;
  logoutButton.disabled = session === void 0;
  document.body.dataset.signedIn = String(session !== void 0);
  if (!session) {
    status.textContent = "Signed out.";
    expiry.textContent = "\u2014";
    refreshExpiry.textContent = "\u2014";
    claims.textContent = "\u2014";
    return;
  }
  status.textContent = `Signed in as ${signedInName} (user ${session.accessClaims.user_id}).`;
  expiry.textContent = describeExpiry(session.accessExpiresAt);
  refreshExpiry.textContent = describeExpiry(new Date(session.refreshClaims.exp * 1e3));
  claims.textContent = JSON.stringify(session.accessClaims, null, 2);
}
async function run(action, work) {
  result.setAttribute("aria-busy", "true");
  try {
    await work();
  } catch (error) {
    showFailure(action, error);
  } finally {
    result.removeAttribute("aria-busy");
  }
}
async function signUp() {
  const optionalEmail = email.value === "" ? {} : { email: email.value };
  const user = await client.register({
    username: username.value,
    password: password.value,
    ...optionalEmail,
  });
  showResult("ok", `Signed up as ${user.username}. You can log in now.`, user);
}
async function logIn() {
  signedInName = username.value;
  const session = await client.login({ username: username.value, password: password.value });
  password.value = "";
  showResult("ok", `Logged in as ${signedInName} (user ${session.accessClaims.user_id}).`);
}
async function callRestricted() {
  const answer = await client.getJson("/api/restricted/");
  showResult("ok", "The restricted route answered 200.", answer);
}
async function refresh() {
  const session = await client.refresh();
  const until = session ? session.accessExpiresAt.toLocaleTimeString() : "\u2014";
  showResult("ok", `Refreshed: the new access token expires at ${until}.`);
}
async function logOut() {
  await client.logout();
  showResult("ok", "Logged out: the refresh token is revoked.");
}
form.addEventListener("submit", (event) => {
  event.preventDefault();
  const signingUp = event.submitter?.value === "signup";
  void (signingUp ? run("Sign up", signUp) : run("Log in", logIn));
});
restrictedButton.addEventListener("click", () => void run("Restricted call", callRestricted));
refreshButton.addEventListener("click", () => void run("Refresh", refresh));
logoutButton.addEventListener("click", () => void run("Log out", logOut));
setInterval(() => {
  const session = client.session;
  if (session) expiry.textContent = describeExpiry(session.accessExpiresAt);
}, 1e3);
showSession(void 0);
