// `npm run admin -- <command> …`: user administration from the command line, against the
// local D1 database or, with --remote, the deployed one. The same operations as the staff API
// under /api/admin/users/, by username.

import { parseArgs } from "node:util";
import { passwordProblems } from "../auth/password-rules.ts";
import { hashPassword } from "../auth/passwords.ts";
import { normalizeUsername } from "../auth/usernames.ts";
import { passwordHashIterations } from "./config.ts";
import { CliError, execute, sqlInteger, sqlText, sqlUsernameContains, type Target } from "./d1.ts";
import { confirm, isInteractive, obtainPassword } from "./prompt.ts";

const USAGE = `Usage: npm run admin -- <command> [--remote | --persist-to dir]

Commands:
  list [--search text] [--limit n]   users whose username contains every word of the search
  show <username>                    one user, with their number of live refresh tokens
  activate <username>                let the user log in again
  deactivate <username>              refuse the user's logins and end their sessions
  grant-staff <username>             give access to the admin API
  revoke-staff <username>            take that access away
  revoke-sessions <username>         end every session (refresh tokens; access tokens in
                                     the database check mode)
  set-password <username>            set a new password (asked twice on a terminal, else
                                     USER_PASSWORD or standard input) and end every session
  delete <username> [--yes]          delete the user and their refresh tokens

Without --remote, commands act on the local database that \`npm run dev\` uses.`;

const DEFAULT_LIMIT = 100;

type Row = Record<string, unknown>;

interface Invocation {
  command: string;
  username?: string;
  search: string;
  limit: number;
  yes: boolean;
  target: Target;
}

function readInvocation(): Invocation | undefined {
  const { values, positionals } = parseArgs({
    options: {
      search: { type: "string", default: "" },
      limit: { type: "string" },
      yes: { type: "boolean", short: "y", default: false },
      remote: { type: "boolean", default: false },
      "persist-to": { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
    allowPositionals: true,
  });
  const [command, username, ...rest] = positionals;
  if (values.help || !command || rest.length > 0) return undefined;

  const limit = Number(values.limit ?? DEFAULT_LIMIT);
  if (!Number.isSafeInteger(limit) || limit < 1)
    throw new CliError("--limit must be a positive number.");

  return {
    command,
    username: username === undefined ? undefined : normalizeUsername(username),
    search: values.search,
    limit,
    yes: values.yes,
    target: { remote: values.remote, persistTo: values["persist-to"] },
  };
}

const USER_COLUMNS =
  "id, username, email, is_active, is_staff, is_superuser, date_joined, last_login";

function formatTime(value: unknown): string {
  return typeof value === "number" ? new Date(value * 1000).toISOString().slice(0, 19) + "Z" : "-";
}

function flag(value: unknown): string {
  return value ? "yes" : "no";
}

function printTable(rows: Row[]): void {
  const header = [
    "id",
    "username",
    "email",
    "active",
    "staff",
    "superuser",
    "joined",
    "last login",
  ];
  const lines = rows.map((row) => [
    String(row.id),
    String(row.username),
    String(row.email || "-"),
    flag(row.is_active),
    flag(row.is_staff),
    flag(row.is_superuser),
    formatTime(row.date_joined),
    formatTime(row.last_login),
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...lines.map((line) => line[column]!.length)),
  );
  for (const line of [header, ...lines]) {
    console.log(
      line
        .map((cell, column) => cell.padEnd(widths[column]!))
        .join("  ")
        .trimEnd(),
    );
  }
}

function listUsers(invocation: Invocation): void {
  const terms = invocation.search.split(/[\s,]+/).filter((term) => term.length > 0);
  const where = terms.length ? `where ${terms.map(sqlUsernameContains).join(" and ")}` : "";

  const [countRows, rows] = execute(
    invocation.target,
    `select count(*) as total from users ${where}; ` +
      `select ${USER_COLUMNS} from users ${where} ` +
      `order by id limit ${sqlInteger(invocation.limit)}`,
  );
  const total = Number(countRows?.[0]?.total ?? 0);

  printTable(rows ?? []);
  console.log(`${rows?.length ?? 0} of ${total} users shown.`);
}

function requireUsername(invocation: Invocation): string {
  if (!invocation.username) throw new CliError(`${invocation.command} needs a username.`);
  return invocation.username;
}

function noSuchUser(username: string): CliError {
  return new CliError(`No user named "${username}".`);
}

function showUser(invocation: Invocation): void {
  const name = requireUsername(invocation);
  const [rows] = execute(
    invocation.target,
    `select ${USER_COLUMNS}, (select count(*) from refresh_tokens t where t.user_id = users.id ` +
      "and t.revoked_at is null and t.retired_at is null and t.expires_at > unixepoch()) " +
      `as live_sessions from users where username = ${sqlText(name)}`,
  );
  const user = rows?.[0];
  if (!user) throw noSuchUser(name);

  const fields = [
    ["id", String(user.id)],
    ["username", String(user.username)],
    ["email", String(user.email || "-")],
    ["active", flag(user.is_active)],
    ["staff", flag(user.is_staff)],
    ["superuser", flag(user.is_superuser)],
    ["joined", formatTime(user.date_joined)],
    ["last login", formatTime(user.last_login)],
    ["live sessions", String(user.live_sessions)],
  ];
  for (const [label, value] of fields) console.log(`${label!.padEnd(14)} ${value}`);
}

/** SQL that revokes every live refresh token of the user. */
function revokeRefreshTokensSql(username: string): string {
  return (
    "update refresh_tokens set revoked_at = unixepoch() where revoked_at is null " +
    `and user_id = (select id from users where username = ${sqlText(username)})`
  );
}

/** Bumping the version ends access tokens in the database check mode. */
const END_ACCESS_TOKENS = "session_version = session_version + 1";

/**
 * Updates the user's row and, when `endSessions`, revokes their refresh tokens too; fails
 * when there is no such user.
 */
function updateUser(invocation: Invocation, assignments: string[], endSessions = false): void {
  const name = requireUsername(invocation);
  const changes = (endSessions ? [...assignments, END_ACCESS_TOKENS] : assignments).join(", ");
  const update = `update users set ${changes} where username = ${sqlText(name)} returning id`;
  const sql = endSessions ? `${update}; ${revokeRefreshTokensSql(name)}` : update;

  const [rows] = execute(invocation.target, sql);
  if (!rows?.length) throw noSuchUser(name);
}

/** Sets a new password under the registration rules, and ends every session, as a change does. */
async function setPassword(invocation: Invocation): Promise<void> {
  const name = requireUsername(invocation);
  const [rows] = execute(
    invocation.target,
    `select email from users where username = ${sqlText(name)}`,
  );
  const user = rows?.[0];
  if (!user) throw noSuchUser(name);

  const email = String(user.email ?? "");
  const password = await obtainPassword((candidate) => passwordProblems(candidate, name, email));
  const passwordHash = await hashPassword(password, passwordHashIterations());

  updateUser(invocation, [`password_hash = ${sqlText(passwordHash)}`], true);
}

async function deleteUser(invocation: Invocation): Promise<boolean> {
  const name = requireUsername(invocation);
  if (!invocation.yes) {
    if (!isInteractive()) throw new CliError("delete needs --yes when not run from a terminal.");
    if (!(await confirm(`Delete user "${name}" and all their sessions?`))) return false;
  }

  const [rows] = execute(
    invocation.target,
    `delete from users where username = ${sqlText(name)} returning id`,
  );
  if (!rows?.length) throw noSuchUser(name);
  return true;
}

async function run(invocation: Invocation): Promise<string | undefined> {
  const name = () => `"${requireUsername(invocation)}"`;

  switch (invocation.command) {
    case "list":
      listUsers(invocation);
      return undefined;
    case "show":
      showUser(invocation);
      return undefined;
    case "activate":
      updateUser(invocation, ["is_active = 1"]);
      return `Activated ${name()}.`;
    case "deactivate":
      updateUser(invocation, ["is_active = 0"], true);
      return `Deactivated ${name()} and ended their sessions.`;
    case "grant-staff":
      updateUser(invocation, ["is_staff = 1"]);
      return `${name()} is now staff.`;
    case "revoke-staff":
      updateUser(invocation, ["is_staff = 0"]);
      return `${name()} is no longer staff.`;
    case "revoke-sessions":
      updateUser(invocation, [], true);
      return `Ended every session of ${name()}.`;
    case "set-password":
      await setPassword(invocation);
      return `Changed the password of ${name()} and ended their sessions.`;
    case "delete":
      return (await deleteUser(invocation)) ? `Deleted ${name()}.` : "Nothing deleted.";
    default:
      throw new CliError(`Unknown command "${invocation.command}". See npm run admin -- --help.`);
  }
}

async function main(): Promise<void> {
  const invocation = readInvocation();
  if (!invocation) {
    console.error(USAGE);
    process.exit(2);
  }

  const message = await run(invocation);
  if (message) console.log(message);
}

main().catch((error: unknown) => {
  console.error(error instanceof CliError ? `Error: ${error.message}` : error);
  process.exit(1);
});
