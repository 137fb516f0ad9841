/**
 * Users for the user commands. Reading a user and changing a password go through the library's
 * auth code (`DjangoUserSource`, `setPassword`, the hashers' `makePassword`), so the CLI and an
 * application agree on `auth_user` byte for byte. What `DjangoUserSource` cannot do yet,
 * creating a user and listing users, is written here with the same identifier quoting and date
 * formats. Also Django's rules for usernames and emails (`UnicodeUsernameValidator`, NFKC
 * `normalize_username`, `normalize_email`) and the interactive password validators of a
 * `startproject` project.
 */
import { DjangoUserSource } from "../../auth/django-user-source.ts";
import { User } from "../../auth/user.ts";
import { expireDateParam, parseExpireDate } from "../../stores/sql/dates.ts";
import { quoteIdentifier } from "../../stores/sql/identifiers.ts";
import { CommandFailure } from "../command.ts";
import { listTables, type ManagedDatabase } from "./db.ts";

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

/** `django.contrib.auth.models.User` on this database. */
export function userSource(database: ManagedDatabase): DjangoUserSource {
  return new DjangoUserSource({ database });
}

const USER_COLUMNS = [
  "id",
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
] as const;

/**
 * Every user in id order, in keyset pages (flat memory), as the library's `User`.
 * (`DjangoUserSource` has no listing yet.)
 */
export async function* iterateUsers(
  database: ManagedDatabase,
  source: DjangoUserSource,
  batchSize = 1000,
): AsyncIterable<User> {
  const q = (name: string): string => quoteIdentifier(database.dialect, name);
  const select = USER_COLUMNS.map((c) =>
    c === "last_login" || c === "date_joined" ? `${dateTextSql(database, c)} AS ${q(c)}` : q(c),
  ).join(", ");
  let after = -1;
  for (;;) {
    const rows = await database.query(
      `SELECT ${select} FROM ${q("auth_user")} WHERE ${q("id")} > ${database.p(1)} ORDER BY ${q("id")} LIMIT ${Math.trunc(batchSize)}`,
      [after],
    );
    for (const row of rows) {
      const text = (name: string): string => {
        const value = row[name];
        return typeof value === "string" ? value : "";
      };
      const lastLogin = row["last_login"];
      yield new User(
        {
          id: Number(row["id"]),
          username: text("username"),
          password: text("password"),
          isActive: asBool(row["is_active"]),
          isStaff: asBool(row["is_staff"]),
          isSuperuser: asBool(row["is_superuser"]),
          email: text("email"),
          firstName: text("first_name"),
          lastName: text("last_name"),
          lastLogin:
            lastLogin === null || lastLogin === undefined ? null : parseExpireDate(lastLogin),
          dateJoined: parseExpireDate(row["date_joined"]),
        },
        source,
      );
    }
    if (rows.length < batchSize) return;
    after = Number(rows[rows.length - 1]?.["id"]);
  }
}

/** What a new user gets. */
export interface NewUser {
  readonly username: string;
  readonly email: string;
  /** The encoded password (`makePassword`). */
  readonly password: string;
  readonly isStaff: boolean;
  readonly isSuperuser: boolean;
}

/**
 * Inserts a user (`UserManager._create_user`), checking the username with the source's
 * `get_by_natural_key`; resolves the created `User` as the source reads it back.
 * (`DjangoUserSource` cannot create users yet.)
 * @throws {CommandFailure} when the username is taken.
 */
export async function insertUser(
  database: ManagedDatabase,
  source: DjangoUserSource,
  user: NewUser,
  now = new Date(),
): Promise<User> {
  const q = (name: string): string => quoteIdentifier(database.dialect, name);
  const columns = USER_COLUMNS.filter((c) => c !== "id");
  const values = {
    password: user.password,
    last_login: null,
    is_superuser: user.isSuperuser,
    username: user.username,
    first_name: "",
    last_name: "",
    email: user.email,
    is_staff: user.isStaff,
    is_active: true,
    date_joined: dateParam(database, now),
  };
  const params = columns.map((c) => {
    const value = values[c];
    // Booleans bind as 1/0 on every driver (PostgreSQL reads '1'/'0' as boolean input).
    return typeof value === "boolean" ? (value ? 1 : 0) : value;
  });
  const sql = `INSERT INTO ${q("auth_user")} (${columns.map(q).join(", ")}) VALUES (${columns.map((_, i) => database.p(i + 1)).join(", ")})`;
  return database.transaction(async () => {
    if ((await source.getUserByUsername(user.username)) !== null) {
      throw new CommandFailure(`that username is already taken: ${user.username}`);
    }
    await database.execute(sql, params);
    const created = await source.getUserByUsername(user.username);
    if (created === null) throw new CommandFailure("the new user could not be read back");
    return created;
  });
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
