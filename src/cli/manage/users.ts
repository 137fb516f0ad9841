/**
 * `auth_user` rows for the user commands, with Django's rules for usernames and emails
 * (`UnicodeUsernameValidator`, NFKC `normalize_username`, `normalize_email`) and the
 * interactive password validators of a `startproject` project.
 */
import { expireDateParam, parseExpireDate } from "../../stores/sql/dates.ts";
import { CommandFailure } from "../command.ts";
import { listTables, type ManagedDatabase } from "./db.ts";

/** A row of `auth_user`. */
export interface UserRow {
  readonly id: number;
  readonly password: string;
  readonly lastLogin: Date | null;
  readonly isSuperuser: boolean;
  readonly username: string;
  readonly firstName: string;
  readonly lastName: string;
  readonly email: string;
  readonly isStaff: boolean;
  readonly isActive: boolean;
  readonly dateJoined: Date;
}

/** The text of a datetime column as naive UTC, whatever the dialect. */
export function dateTextSql(database: ManagedDatabase, column: string): string {
  const col = database.q(column);
  return database.dialect === "postgres"
    ? `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')`
    : database.dialect === "mysql"
      ? `DATE_FORMAT(${col}, '%Y-%m-%d %H:%i:%s.%f')`
      : col;
}

/** The bound value of a datetime parameter. */
export function dateParam(database: ManagedDatabase, date: Date): string {
  return expireDateParam(database.dialect, date);
}

/** A boolean as the drivers return it. */
export function asBool(value: unknown): boolean {
  return value === true || value === 1 || value === "1" || value === "t" || value === "true";
}

/** @throws {CommandFailure} when the auth tables are not there. */
export async function requireAuthTables(database: ManagedDatabase): Promise<void> {
  const tables = new Set(await listTables(database));
  if (!tables.has("auth_user")) {
    throw new CommandFailure(
      `there is no auth_user table in ${database.description}: run 'sessionbridge migrate' first`,
    );
  }
}

function userSelect(database: ManagedDatabase): string {
  const q = database.q;
  return (
    `SELECT ${q("id")} AS id, ${q("password")} AS password, ${dateTextSql(database, "last_login")} AS last_login, ` +
    `${q("is_superuser")} AS is_superuser, ${q("username")} AS username, ${q("first_name")} AS first_name, ` +
    `${q("last_name")} AS last_name, ${q("email")} AS email, ${q("is_staff")} AS is_staff, ` +
    `${q("is_active")} AS is_active, ${dateTextSql(database, "date_joined")} AS date_joined FROM ${q("auth_user")}`
  );
}

function toUser(row: Record<string, unknown>): UserRow {
  return {
    id: Number(row["id"]),
    password: String(row["password"]),
    lastLogin:
      row["last_login"] === null || row["last_login"] === undefined
        ? null
        : parseExpireDate(row["last_login"]),
    isSuperuser: asBool(row["is_superuser"]),
    username: String(row["username"]),
    firstName: String(row["first_name"]),
    lastName: String(row["last_name"]),
    email: String(row["email"]),
    isStaff: asBool(row["is_staff"]),
    isActive: asBool(row["is_active"]),
    dateJoined: parseExpireDate(row["date_joined"]),
  };
}

/** The user with this username (exact match, as Django's `get_by_natural_key`). */
export async function findUser(
  database: ManagedDatabase,
  username: string,
): Promise<UserRow | null> {
  const rows = await database.query(
    `${userSelect(database)} WHERE ${database.q("username")} = ${database.p(1)}`,
    [username],
  );
  const row = rows.find((r) => String(r["username"]) === username);
  return row === undefined ? null : toUser(row);
}

/** Users in id order, in batches (flat memory). */
export async function* iterateUsers(
  database: ManagedDatabase,
  batchSize = 1000,
): AsyncIterable<UserRow> {
  let after = -1;
  for (;;) {
    const rows = await database.query(
      `${userSelect(database)} WHERE ${database.q("id")} > ${database.p(1)} ORDER BY ${database.q("id")} LIMIT ${batchSize}`,
      [after],
    );
    for (const row of rows) yield toUser(row);
    if (rows.length < batchSize) return;
    after = Number(rows[rows.length - 1]!["id"]);
  }
}

/** What a new user gets. */
export interface NewUser {
  readonly username: string;
  readonly email: string;
  readonly password: string;
  readonly isStaff: boolean;
  readonly isSuperuser: boolean;
}

/** Inserts a user; resolves its id. @throws {CommandFailure} when the username is taken. */
export async function insertUser(
  database: ManagedDatabase,
  user: NewUser,
  now = new Date(),
): Promise<number> {
  const q = database.q;
  const p = database.p;
  const columns = [
    "password",
    "last_login",
    "is_superuser",
    "username",
    "first_name",
    "last_name",
    "email",
    "is_staff",
    "is_active",
    "date_joined",
  ];
  const values = [
    user.password,
    null,
    user.isSuperuser ? 1 : 0,
    user.username,
    "",
    "",
    user.email,
    user.isStaff ? 1 : 0,
    1,
    dateParam(database, now),
  ];
  const sql = `INSERT INTO ${q("auth_user")} (${columns.map(q).join(", ")}) VALUES (${columns.map((_, i) => p(i + 1)).join(", ")})`;
  return database.transaction(async () => {
    if ((await findUser(database, user.username)) !== null) {
      throw new CommandFailure(`that username is already taken: ${user.username}`);
    }
    if (database.dialect === "postgres") {
      const rows = await database.query(`${sql} RETURNING ${q("id")} AS id`, values);
      return Number(rows[0]?.["id"]);
    }
    await database.execute(sql, values);
    const created = await findUser(database, user.username);
    return created!.id;
  });
}

/** Replaces a user's password hash. */
export async function setPasswordHash(
  database: ManagedDatabase,
  id: number,
  hash: string,
): Promise<void> {
  await database.execute(
    `UPDATE ${database.q("auth_user")} SET ${database.q("password")} = ${database.p(1)} WHERE ${database.q("id")} = ${database.p(2)}`,
    [hash, id],
  );
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

/** `AbstractBaseUser.normalize_username`: NFKC. */
export function normalizeUsername(username: string): string {
  return username.normalize("NFKC");
}

/** `BaseUserManager.normalize_email`: the domain part lowercased. */
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
