/**
 * Users for the user commands. Every read and write of the user table (`auth_user`, or the
 * table of the configured `AUTH_USER_MODEL`, see `../user-model.ts`) goes through the library's
 * auth code (`DjangoUserSource`: `getUserByUsername`, `createUser`, `listUsers`, `setPassword`;
 * the hashers' `makePassword`), so the CLI and an application agree on the user table byte for
 * byte and the CLI holds no user SQL of its own. What stays here is the command line's part:
 * Django's rules for the usernames and emails typed in (`UnicodeUsernameValidator`, NFKC
 * `normalize_username`, `normalize_email`), the interactive password validators of a
 * `startproject` project, and the date helpers the fixture commands share.
 */
import { DjangoUserSource } from "../../auth/django-user-source.ts";
import type { User } from "../../auth/user.ts";
import type { NewUserFields, UserManager } from "../../auth/user-source.ts";
import { UserExistsError } from "../../errors.ts";
import { expireDateParam, naiveUtcTextSql } from "../../internal/sql/dates.ts";
import { CommandFailure } from "../command.ts";
import {
  isDefaultUserModel,
  userSourceOptions,
  userTable,
  type UserModelSetting,
} from "../user-model.ts";
import { listTables, type ManagedDatabase } from "./db.ts";

/** The text of a datetime column as naive UTC, whatever the dialect. */
export function dateTextSql(database: ManagedDatabase, column: string): string {
  return naiveUtcTextSql(database.dialect, database.q(column));
}

/** The bound value of a datetime parameter. */
export function dateParam(database: ManagedDatabase, date: Date): string {
  return expireDateParam(database.dialect, date);
}

/**
 * Checks that the user model's table is there (`auth_user`, or a custom `AUTH_USER_MODEL`'s,
 * which Django's migrate creates; `auth_user` is not needed then).
 * @throws {CommandFailure} when it is not.
 */
export async function requireAuthTables(
  database: ManagedDatabase,
  model: UserModelSetting,
): Promise<void> {
  const tables = new Set(await listTables(database));
  const table = userTable(model, database.dialect);
  if (tables.has(table)) return;
  if (isDefaultUserModel(model)) {
    throw new CommandFailure(
      `there is no auth_user table in ${database.description}: run 'sessionbridge migrate' first`,
    );
  }
  throw new CommandFailure(
    `there is no ${table} table (AUTH_USER_MODEL=${model.label}${model.dbTable === undefined ? "" : `, AUTH_USER_TABLE=${model.dbTable}`}) in ${database.description}: a custom user model's tables are created by Django's migrate${model.dbTable === undefined ? "; set AUTH_USER_TABLE if the model's Meta.db_table differs" : ""}`,
  );
}

/** The configured user model (`AUTH_USER_MODEL`, default `auth.User`) on this database. */
export function userSource(database: ManagedDatabase, model: UserModelSetting): DjangoUserSource {
  return new DjangoUserSource({ database, ...userSourceOptions(model, database.dialect) });
}

/**
 * `source.createUser` with the command's message for a taken username (the interactive path
 * asks again before getting here; this covers `--no-input` and a concurrent writer).
 * @throws {CommandFailure} when the username is taken.
 */
export async function createUserOrFail(source: UserManager, user: NewUserFields): Promise<User> {
  try {
    return await source.createUser(user);
  } catch (error) {
    if (error instanceof UserExistsError) {
      throw new CommandFailure(`that username is already taken: ${user.username}`);
    }
    throw error;
  }
}

/** Django's `UnicodeUsernameValidator` (letters, digits and @/./+/-/_), at most 150 characters. */
export function usernameProblem(username: string): string | null {
  if (username === "") return "This field cannot be blank.";
  if ([...username].length > 150) return "Ensure this value has at most 150 characters.";
  if (!/^[\p{L}\p{N}\p{Mn}\p{Mc}_.@+-]+$/u.test(username)) {
    return "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.";
  }
  return null;
}

// `AbstractBaseUser.normalize_username` (NFKC), the library's own.
export { normalizeUsername } from "../../auth/django-user-source.ts";

/**
 * `BaseUserManager.normalize_email` without its `strip()`: Django's `createsuperuser` validates
 * the value as typed (`EmailField.clean`) before the manager normalizes it, so `" a@b.c"` is
 * refused there, not trimmed; the library's `normalizeEmail` (which trims) runs afterwards in
 * `createUser`.
 */
export function normalizeEmail(email: string): string {
  const at = email.lastIndexOf("@");
  if (at < 0) return email;
  return `${email.slice(0, at)}@${email.slice(at + 1).toLowerCase()}`;
}

/** A loose `EmailValidator`: something@domain with a dot-free-or-dotted domain, no spaces. */
export function emailProblem(email: string): string | null {
  if (email === "") return null;
  if ([...email].length > 254) return "Ensure this value has at most 254 characters.";
  return /^[^\s@]+@[^\s@]+$/.test(email) ? null : "Enter a valid email address.";
}

/**
 * The password validators of a `startproject` settings file (similarity to the username and
 * email, minimum length 8, entirely numeric), with Django's messages.
 */
export function passwordProblems(
  password: string,
  user: { username: string; email: string },
): string[] {
  const problems: string[] = [];
  const lower = password.toLowerCase();
  for (const [name, value] of [
    ["username", user.username],
    ["email address", user.email],
  ] as const) {
    if (value === "") continue;
    const parts = [value, ...value.split(/\W+/)]
      .map((s) => s.toLowerCase())
      .filter((s) => s.length > 0);
    if (parts.some((part) => similarity(lower, part) >= 0.7)) {
      problems.push(`The password is too similar to the ${name}.`);
      break;
    }
  }
  if ([...password].length < 8)
    problems.push("This password is too short. It must contain at least 8 characters.");
  if (/^\d+$/.test(password)) problems.push("This password is entirely numeric.");
  return problems;
}

/** difflib's `SequenceMatcher.quick_ratio` (an upper bound of `ratio`, cheap). */
function similarity(a: string, b: string): number {
  const counts = new Map<string, number>();
  for (const c of b) counts.set(c, (counts.get(c) ?? 0) + 1);
  let matches = 0;
  for (const c of a) {
    const n = counts.get(c) ?? 0;
    if (n > 0) {
      matches++;
      counts.set(c, n - 1);
    }
  }
  const total = [...a].length + [...b].length;
  return total === 0 ? 1 : (2 * matches) / total;
}
