// The demo page's behaviour (public/index.html): each button calls the API through the
// client module and shows the answer, errors exactly as the API sent them.

import { ApiError, AuthClient, type RestrictedResponse, type Session } from "./auth-client";

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`The page has no #${id}.`);
  return found as T;
}

const form = element<HTMLFormElement>("credentials");
const username = element<HTMLInputElement>("username");
const password = element<HTMLInputElement>("password");
const email = element<HTMLInputElement>("email");
const status = element("session-status");
const expiry = element("expiry");
const refreshExpiry = element("refresh-expiry");
const claims = element("claims");
const refreshButton = element<HTMLButtonElement>("refresh");
const logoutButton = element<HTMLButtonElement>("logout");
const restrictedButton = element<HTMLButtonElement>("restricted");
const result = element("result");
const resultSummary = element("result-summary");
const resultBody = element("result-body");

const client = new AuthClient({ onSessionChange: showSession });
/** The name typed at the last login; the tokens only carry the user id. */
let signedInName = "";

function showResult(outcome: "ok" | "error", summary: string, body?: unknown) {
  result.dataset.outcome = outcome;
  resultSummary.textContent = summary;
  resultBody.textContent = body === undefined ? "" : JSON.stringify(body, null, 2);
  resultBody.hidden = body === undefined;
}

function showFailure(action: string, error: unknown) {
  if (error instanceof ApiError) {
    showResult("error", `${action} failed: the API answered ${error.status}.`, error.body);
  } else {
    const reason = error instanceof Error ? error.message : String(error);
    showResult("error", `${action} failed: ${reason}`);
  }
}

function describeExpiry(at: Date): string {
  const seconds = Math.round((at.getTime() - Date.now()) / 1000);
  const time = at.toLocaleTimeString();

  if (seconds <= 0) return `${time} (expired)`;
  if (seconds >= 3600) return `${at.toLocaleString()} (in ${Math.round(seconds / 3600)} h)`;
  return `${time} (in ${Math.floor(seconds / 60)} min ${seconds % 60} s)`;
}

function showSession(session: Session | undefined) {
  refreshButton.disabled = session === undefined;
  logoutButton.disabled = session === undefined;
  document.body.dataset.signedIn = String(session !== undefined);

  if (!session) {
    status.textContent = "Signed out.";
    expiry.textContent = "—";
    refreshExpiry.textContent = "—";
    claims.textContent = "—";
    return;
  }
  status.textContent = `Signed in as ${signedInName} (user ${session.accessClaims.user_id}).`;
  expiry.textContent = describeExpiry(session.accessExpiresAt);
  refreshExpiry.textContent = describeExpiry(new Date(session.refreshClaims.exp * 1000));
  claims.textContent = JSON.stringify(session.accessClaims, null, 2);
}

/** Runs one action with the result region marked busy, reporting any failure. */
async function run(action: string, work: () => Promise<void>) {
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
  const answer = await client.getJson<RestrictedResponse>("/api/restricted/");
  showResult("ok", "The restricted route answered 200.", answer);
}

async function refresh() {
  const session = await client.refresh();
  const until = session ? session.accessExpiresAt.toLocaleTimeString() : "—";
  showResult("ok", `Refreshed: the new access token expires at ${until}.`);
}

async function logOut() {
  await client.logout();
  showResult("ok", "Logged out: the refresh token is revoked.");
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const signingUp = (event.submitter as HTMLButtonElement | null)?.value === "signup";
  void (signingUp ? run("Sign up", signUp) : run("Log in", logIn));
});
restrictedButton.addEventListener("click", () => void run("Restricted call", callRestricted));
refreshButton.addEventListener("click", () => void run("Refresh", refresh));
logoutButton.addEventListener("click", () => void run("Log out", logOut));

setInterval(() => {
  const session = client.session;
  if (session) expiry.textContent = describeExpiry(session.accessExpiresAt);
}, 1000);
showSession(undefined);
