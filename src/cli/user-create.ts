// `npm run user:create -- <username> [--email e] [--staff] [--superuser] [--remote]`: creates
// an account in D1 with the Worker's own username and password rules and password hasher,
// as Django's createsuperuser does. The password is asked for twice on a terminal; scripts
// pass it in USER_PASSWORD or on standard input.

import { parseArgs } from "node:util";
import { hashPassword } from "../auth/passwords.ts";
import { registrationProblems } from "../auth/registration.ts";
import { normalizeUsername } from "../auth/usernames.ts";
import { passwordHashIterations } from "./config.ts";
import { CliError, execute, sqlText, type Target } from "./d1.ts";
import { obtainPassword } from "./prompt.ts";

const USAGE = `Usage: npm run user:create -- <username> [--email address] [--staff] [--superuser]
                           [--remote | --persist-to dir]

Creates a user in the local D1 database (the one \`npm run dev\` uses), or in the deployed one
with --remote. The password is asked for twice on a terminal; otherwise it is read from the
USER_PASSWORD environment variable or the first line of standard input.
--superuser implies --staff.`;

interface Request {
  username: string;
  email: string;
  isStaff: boolean;
  isSuperuser: boolean;
  target: Target;
}

function readRequest(): Request | undefined {
  const { values, positionals } = parseArgs({
    options: {
      email: { type: "string", default: "" },
      staff: { type: "boolean", default: false },
      superuser: { type: "boolean", default: false },
      remote: { type: "boolean", default: false },
      "persist-to": { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
    allowPositionals: true,
  });
  if (values.help || positionals.length !== 1) return undefined;

  return {
    username: normalizeUsername(positionals[0]!),
    email: values.email.trim(),
    isStaff: values.staff || values.superuser,
    isSuperuser: values.superuser,
    target: { remote: values.remote, persistTo: values["persist-to"] },
  };
}

function problemsText(problems: Record<string, string[]>): string {
  return Object.entries(problems)
    .flatMap(([field, messages]) => messages.map((message) => `  ${field}: ${message}`))
    .join("\n");
}

/** Fails unless the username and email pass the registration rules (the password aside). */
function checkIdentity(request: Request): void {
  const problems = registrationProblems({ ...request, password: "" });
  delete problems.password;
  if (Object.keys(problems).length > 0) {
    throw new CliError(`the user cannot be created:\n${problemsText(problems)}`);
  }
}

/** The password rules' complaints about this password, one message each. */
function passwordProblems(request: Request, password: string): string[] {
  return registrationProblems({ ...request, password }).password ?? [];
}

function usernameTaken(request: Request): boolean {
  const [rows] = execute(
    request.target,
    `select id from users where username = ${sqlText(request.username)}`,
  );
  return (rows ?? []).length > 0;
}

function insertUser(request: Request, passwordHash: string): number | undefined {
  const values = [
    sqlText(request.username),
    sqlText(request.email),
    sqlText(passwordHash),
    request.isStaff ? "1" : "0",
    request.isSuperuser ? "1" : "0",
  ].join(", ");
  const sql =
    "insert into users (username, email, password_hash, is_staff, is_superuser) " +
    `values (${values}) ` +
    "on conflict (username) do nothing returning id";

  const [rows] = execute(request.target, sql);
  return rows?.[0]?.id as number | undefined;
}

const TAKEN = "A user with that username already exists.";

async function main(): Promise<void> {
  const request = readRequest();
  if (!request) {
    console.error(USAGE);
    process.exit(2);
  }

  checkIdentity(request);
  if (usernameTaken(request)) throw new CliError(TAKEN);
  const password = await obtainPassword((candidate) => passwordProblems(request, candidate));
  const passwordHash = await hashPassword(password, passwordHashIterations());

  const id = insertUser(request, passwordHash);
  if (id === undefined) throw new CliError(TAKEN);

  const role = request.isSuperuser ? "superuser" : request.isStaff ? "staff user" : "user";
  const where = request.target.remote ? "remote" : "local";
  console.log(`Created ${role} "${request.username}" (id ${id}) in the ${where} database.`);
}

main().catch((error: unknown) => {
  console.error(error instanceof CliError ? `Error: ${error.message}` : error);
  process.exit(1);
});
