// Terminal input for the CLI: a hidden password prompt, a yes/no question, and reading a
// password piped on standard input or given in USER_PASSWORD when there is no terminal.

import { createInterface } from "node:readline/promises";
import { CliError } from "./d1.ts";

const ENTER = new Set(["\r", "\n"]);
const CTRL_C = "\u0003";
const CTRL_D = "\u0004";
const CTRL_U = "\u0015";
const BACKSPACE = new Set(["\u007f", "\b"]);

/** True when a person is at the keyboard. */
export function isInteractive(): boolean {
  return Boolean(process.stdin.isTTY && process.stdout.isTTY);
}

/** Applies one typed character to the value; returns "done", "cancel" or the new value. */
function applyKey(value: string, char: string): string | { end: "done" | "cancel" } {
  if (ENTER.has(char)) return { end: "done" };
  if (char === CTRL_C || (char === CTRL_D && value === "")) return { end: "cancel" };
  if (BACKSPACE.has(char)) return [...value].slice(0, -1).join("");
  if (char === CTRL_U) return "";
  return char < " " ? value : value + char;
}

/** Asks for a secret on the terminal without echoing it. */
export function readHidden(question: string): Promise<string> {
  const input = process.stdin;
  process.stdout.write(question);
  input.setRawMode(true);
  input.setEncoding("utf8");
  input.resume();

  return new Promise((resolve, reject) => {
    let value = "";
    const finish = (end: "done" | "cancel") => {
      input.off("data", onData);
      input.setRawMode(false);
      input.pause();
      process.stdout.write("\n");
      if (end === "done") resolve(value);
      else reject(new CliError("Cancelled."));
    };
    const onData = (chunk: string) => {
      for (const char of chunk) {
        const next = applyKey(value, char);
        if (typeof next !== "string") return finish(next.end);
        value = next;
      }
    };
    input.on("data", onData);
  });
}

/** Asks a yes/no question on the terminal; only "y" or "yes" is a yes. */
export async function confirm(question: string): Promise<boolean> {
  const lines = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const answer = await lines.question(`${question} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    lines.close();
  }
}

/** The first line of standard input, for a password piped in by a script. */
export async function readFirstLine(): Promise<string | undefined> {
  let text = "";
  for await (const chunk of process.stdin) {
    text += String(chunk);
    if (text.includes("\n")) break;
  }
  const line = text.split(/\r?\n/)[0];
  return text.length === 0 ? undefined : line;
}

/** Wrong attempts allowed at the terminal before giving up. */
const MAX_TRIES = 3;

/** The password rules' complaints about a password, one message each; empty when it is fine. */
export type PasswordCheck = (password: string) => string[];

async function askPassword(check: PasswordCheck): Promise<string> {
  if (!process.stdin.isTTY) {
    throw new CliError(
      "no password given: type it at a terminal, set USER_PASSWORD, or pipe it on standard input.",
    );
  }

  for (let attempt = 1; attempt <= MAX_TRIES; attempt++) {
    const password = (await readHidden("Password: ")).trim();
    const again = (await readHidden("Password (again): ")).trim();

    const problems = password === again ? check(password) : ["Your passwords didn't match."];
    if (problems.length === 0) return password;
    for (const problem of problems) console.error(`Error: ${problem}`);
  }
  throw new CliError("No acceptable password given.");
}

/**
 * A new password that passes `check`: from USER_PASSWORD when set, else asked twice on the
 * terminal, else the first line of standard input.
 */
export async function obtainPassword(check: PasswordCheck): Promise<string> {
  // Trimmed as the API trims the password field, so the stored password is the one that logs in.
  const given = (
    process.env.USER_PASSWORD ?? (isInteractive() ? undefined : await readFirstLine())
  )?.trim();
  if (given === undefined) return askPassword(check);

  const problems = check(given);
  if (problems.length > 0) {
    throw new CliError(`the password is not acceptable:\n  ${problems.join("\n  ")}`);
  }
  return given;
}
