/**
 * {@link UserSource} on Django's own tables (`auth_user`, `auth_group`, `auth_user_groups`,
 * `auth_permission` + `django_content_type`, `auth_user_user_permissions`,
 * `auth_group_permissions`) over any {@link SqlDatabase}: SQLite, PostgreSQL, MySQL/MariaDB.
 *
 * Primary keys follow Django's field types (django-formats.md §6.1): an `AutoField` key is an
 * integer read back from the session string with Python's `int()` rules; a `UUIDField` key is
 * `str(uuid)` in the session, stored as `char(32)` hex on SQLite and MySQL (and on MariaDB by
 * Django before 5.0, or on MariaDB before 10.7), as MariaDB's native `uuid` by Django 5.0+ on
 * MariaDB 10.7+, and as `uuid` on PostgreSQL; both MariaDB column kinds work unconfigured.
 * Dates are written the way Django writes them with `USE_TZ=True` (naive UTC text on
 * SQLite/MySQL, `timestamptz` on PostgreSQL) and read back as UTC text made by the server, so
 * the driver's time-zone settings (mysql2's `timezone`, `dateStrings`) never apply.
 *
 * It is also a {@link UserManager}: `createUser` writes the row `UserManager.create_user`
 * would, and `listUsers` pages through the table, so tools (the CLI's `createuser` and
 * `users list`) need no SQL of their own.
 *
 * @example
 * ```ts
 * import { openDatabaseUrl } from "sessionbridge/stores/sql";
 * import { DjangoUserSource } from "sessionbridge/auth";
 * const users = new DjangoUserSource({ database: await openDatabaseUrl(process.env.DATABASE_URL!) });
 * const alice = await users.getUserByUsername("alice");
 * ```
 */
import { randomUUID } from "node:crypto";
import {
  ConfigurationError,
  InvalidArgumentError,
  SessionStoreError,
  UserExistsError,
} from "../errors.ts";
import { SqlDuplicateKeyError, placeholders } from "../internal/sql/database.ts";
import type { SqlDatabase, SqlRow, SqlValue } from "../internal/sql/database.ts";
import { expireDateParam, naiveUtcTextSql, parseExpireDate } from "../internal/sql/dates.ts";
import { quoteIdentifier } from "../internal/sql/identifiers.ts";
import { sqlBoolean } from "../internal/sql/rows.ts";
import { User, type UserId, type UserRecord } from "./user.ts";
import type { ListUsersOptions, NewUserFields, UserManager, UserSource } from "./user-source.ts";

/** How the primary key is typed: `AutoField`/`BigAutoField`, `UUIDField`, or a text key. */
export type PrimaryKeyType = "int" | "uuid" | "string";

/** The `AbstractUser` fields besides the key and `USERNAME_FIELD`; `null`: the model lacks it. */
export interface UserColumns {
  readonly password: string;
  readonly isActive: string | null;
  readonly isStaff: string | null;
  readonly isSuperuser: string | null;
  readonly email: string | null;
  readonly firstName: string | null;
  readonly lastName: string | null;
  readonly lastLogin: string | null;
  readonly dateJoined: string | null;
}

/** Options of {@link DjangoUserSource}; the defaults are `django.contrib.auth.models.User`'s. */
export interface DjangoUserSourceOptions {
  readonly database: SqlDatabase;
  /** The user table (`db_table`); default `auth_user`. */
  readonly table?: string;
  /** Primary-key column; default `id`. */
  readonly pkColumn?: string;
  /** Primary-key type; default `int`. */
  readonly pkType?: PrimaryKeyType;
  /** The `USERNAME_FIELD` column; default `username`. */
  readonly usernameColumn?: string;
  /** Column names of the other fields, for custom models. */
  readonly columns?: Partial<UserColumns>;
  /**
   * Extra columns to read into `user.fields` (custom models), as the driver returns them: a
   * datetime among them is the driver's conversion (on MySQL, in the pool's `timezone`).
   */
  readonly extraFields?: readonly string[];
  /** The groups many-to-many table; default `auth_user_groups` (custom: `<app>_<model>_groups`). */
  readonly userGroupsTable?: string;
  /** The permissions many-to-many table; default `auth_user_user_permissions`. */
  readonly userPermissionsTable?: string;
  /** The user foreign key in both tables; default `user_id` (custom: `<model>_id`). */
  readonly userFkColumn?: string;
}

const DEFAULT_COLUMNS: UserColumns = {
  password: "password",
  isActive: "is_active",
  isStaff: "is_staff",
  isSuperuser: "is_superuser",
  email: "email",
  firstName: "first_name",
  lastName: "last_name",
  lastLogin: "last_login",
  dateJoined: "date_joined",
};

/** Plain identifiers only: these names go into SQL text. */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

function checkIdentifier(name: string, what: string): string {
  if (!IDENTIFIER.test(name)) {
    throw new ConfigurationError(
      `DjangoUserSource: ${what} must match [A-Za-z_][A-Za-z0-9_]* (at most 63 characters)`,
    );
  }
  return name;
}

/** Python's `int(str)` for the key: whitespace, sign and `_` between digits; safe integers only. */
export function parseIntKey(value: string): number | null {
  const text = value.trim();
  if (!/^[+-]?\d+(?:_\d+)*$/.test(text)) return null;
  const n = Number(text.replace(/_/g, ""));
  return Number.isSafeInteger(n) ? n : null;
}

/** `uuid.UUID(str)`: braces, `urn:uuid:` and hyphens optional; → lowercase hyphenated. */
export function parseUuidKey(value: string): string | null {
  let hex = value
    .trim()
    .replace(/^urn:/i, "")
    .replace(/^uuid:/i, "");
  hex = hex.replace(/^\{|\}$/g, "").replace(/-/g, "");
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) return null;
  hex = hex.toLowerCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function text(value: unknown): string {
  if (typeof value === "string") return value;
  // A driver may hand over text it cannot tell from bytes (a column with a binary collation).
  if (value instanceof Uint8Array) return Buffer.from(value).toString("utf8");
  return typeof value === "number" || typeof value === "bigint" ? value.toString() : "";
}

function date(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  try {
    return parseExpireDate(value);
  } catch {
    return null;
  }
}

/**
 * `AbstractBaseUser.normalize_username`: NFKC, so that visually identical usernames written
 * with compatibility characters (`ﬁ`, full-width letters) are one account, as in Django.
 *
 * @example
 * ```ts
 * normalizeUsername("ｂｏｂ"); // "bob"
 * ```
 */
export function normalizeUsername(username: string): string {
  return username.normalize("NFKC");
}

/**
 * `BaseUserManager.normalize_email`: the domain part lowercased (it is case-insensitive; the
 * local part may not be, so it is kept). Without an `@` the value is kept as is, as Django does.
 *
 * @example
 * ```ts
 * normalizeEmail("Bob@Example.COM"); // "Bob@example.com"
 * ```
 */
export function normalizeEmail(email: string): string {
  const at = email.lastIndexOf("@");
  if (at < 0) return email;
  // Django strips surrounding whitespace only when it splits off a domain.
  const trimmed = email.trim();
  const cut = trimmed.lastIndexOf("@");
  return `${trimmed.slice(0, cut)}@${trimmed.slice(cut + 1).toLowerCase()}`;
}

/** A value of {@link NewUserFields} as a bound parameter. */
function param(dialect: SqlDatabase["dialect"], value: NewUserFieldValue): SqlValue {
  // Booleans bind as 1/0 on every driver: SQLite and MySQL store them so, and PostgreSQL reads
  // '1'/'0' as boolean input.
  if (typeof value === "boolean") return value ? 1 : 0;
  if (value instanceof Date) return expireDateParam(dialect, value);
  return value;
}

type NewUserFieldValue = NonNullable<NewUserFields["fields"]>[string];

const DEFAULT_BATCH_SIZE = 1000;

/**
 * Users in Django's tables.
 *
 * @example
 * ```ts
 * const users = new DjangoUserSource({ database });
 * const user = await users.getUser("1");
 * await user?.hasPerm("auth.change_user");
 * ```
 */
export class DjangoUserSource implements UserSource, UserManager {
  readonly #db: SqlDatabase;
  readonly #pkType: PrimaryKeyType;
  /** Quoted names for the statements built per call (`createUser`'s columns vary). */
  readonly #names: {
    /** Quoted table name. */
    readonly table: string;
    /** Quoted key column. */
    readonly pk: string;
    readonly pkColumn: string;
    readonly usernameColumn: string;
    /** Quotes and checks a column name. */
    readonly q: (name: string, what: string) => string;
  };
  readonly #sql: {
    readonly byId: string;
    readonly byUsername: string;
    /** MySQL/MariaDB: the username's sort key under the column's collation; else `null`. */
    readonly usernameKey: string | null;
    /** The first page of `listUsers`, without `ORDER BY`/`LIMIT`. */
    readonly list: string;
    /** The following pages: keys after the last one seen. */
    readonly listAfter: string;
    readonly setPassword: string;
    readonly setLastLogin: string | null;
    readonly groups: string;
    readonly userPerms: string;
    readonly groupPerms: string;
    readonly allPerms: string;
  };
  readonly #extra: readonly string[];
  readonly #columns: UserColumns;

  constructor(options: DjangoUserSourceOptions) {
    this.#db = options.database;
    this.#pkType = options.pkType ?? "int";
    const dialect = options.database.dialect;
    const q = (name: string, what: string): string =>
      quoteIdentifier(dialect, checkIdentifier(name, what));
    const p = placeholders(dialect);
    const columns: UserColumns = { ...DEFAULT_COLUMNS, ...options.columns };
    this.#columns = columns;
    this.#extra = (options.extraFields ?? []).map((c) => checkIdentifier(c, "extraFields"));
    const table = q(options.table ?? "auth_user", "table");
    const pk = q(options.pkColumn ?? "id", "pkColumn");
    const username = q(options.usernameColumn ?? "username", "usernameColumn");
    // The datetime columns are read as naive UTC text made by the server, never converted by
    // the driver: Django (USE_TZ=True) keeps naive UTC in a MySQL DATETIME, and a caller's
    // mysql2 pool with its default `timezone: "local"` would shift it by the process's offset.
    const value = (name: keyof UserColumns, column: string): string => {
      const quoted = q(column, `columns.${name}`);
      return name === "lastLogin" || name === "dateJoined"
        ? naiveUtcTextSql(dialect, quoted)
        : quoted;
    };
    const select = [
      `${pk} AS ${quoteIdentifier(dialect, "pk")}`,
      `${username} AS ${quoteIdentifier(dialect, "username_value")}`,
      ...(Object.entries(columns) as [keyof UserColumns, string | null][]).flatMap(
        ([name, column]) =>
          column === null
            ? []
            : [`${value(name, column)} AS ${quoteIdentifier(dialect, `c_${name}`)}`],
      ),
      ...this.#extra.map((c) => `${q(c, "extraFields")} AS ${quoteIdentifier(dialect, `x_${c}`)}`),
    ].join(", ");
    const fk = q(options.userFkColumn ?? "user_id", "userFkColumn");
    const userGroups = q(options.userGroupsTable ?? "auth_user_groups", "userGroupsTable");
    const userPerms = q(
      options.userPermissionsTable ?? "auth_user_user_permissions",
      "userPermissionsTable",
    );
    const [perm, ct, grp, gp] = [
      "auth_permission",
      "django_content_type",
      "auth_group",
      "auth_group_permissions",
    ].map((t) => quoteIdentifier(dialect, t)) as [string, string, string, string];
    const c = (name: string): string => quoteIdentifier(dialect, name);
    const permSelect = `SELECT ${c("ct")}.${c("app_label")} AS ${c("app_label")}, ${c("p")}.${c("codename")} AS ${c("codename")} FROM ${perm} ${c("p")} JOIN ${ct} ${c("ct")} ON ${c("ct")}.${c("id")} = ${c("p")}.${c("content_type_id")}`;
    this.#names = {
      table,
      pk,
      pkColumn: options.pkColumn ?? "id",
      usernameColumn: options.usernameColumn ?? "username",
      q,
    };
    this.#sql = {
      byId: `SELECT ${select} FROM ${table} WHERE ${pk} = ${p(1)}`,
      byUsername: `SELECT ${select} FROM ${table} WHERE ${username} = ${p(1)}`,
      // The parameter joins the column in a UNION, which gives it the column's character set
      // and collation (an empty first half reads no row); WEIGHT_STRING is then what `=` compares.
      // RTRIM because PAD SPACE collations ignore trailing spaces, which WEIGHT_STRING keeps
      // (on a NO PAD collation it only makes two names share a budget).
      usernameKey:
        dialect === "mysql"
          ? `SELECT HEX(WEIGHT_STRING(RTRIM(${c("u")}))) AS ${c("k")} FROM (SELECT ${username} AS ${c("u")} FROM ${table} WHERE 1 = 0 UNION ALL SELECT ?) AS ${c("probe")}`
          : null,
      list: `SELECT ${select} FROM ${table}`,
      listAfter: `SELECT ${select} FROM ${table} WHERE ${pk} > ${p(1)}`,
      setPassword: `UPDATE ${table} SET ${q(columns.password, "columns.password")} = ${p(1)} WHERE ${pk} = ${p(2)}`,
      setLastLogin:
        columns.lastLogin === null
          ? null
          : `UPDATE ${table} SET ${q(columns.lastLogin, "columns.lastLogin")} = ${p(1)} WHERE ${pk} = ${p(2)}`,
      groups: `SELECT ${c("g")}.${c("name")} AS ${c("name")} FROM ${grp} ${c("g")} JOIN ${userGroups} ${c("ug")} ON ${c("ug")}.${c("group_id")} = ${c("g")}.${c("id")} WHERE ${c("ug")}.${fk} = ${p(1)} ORDER BY ${c("g")}.${c("name")}`,
      userPerms: `${permSelect} JOIN ${userPerms} ${c("up")} ON ${c("up")}.${c("permission_id")} = ${c("p")}.${c("id")} WHERE ${c("up")}.${fk} = ${p(1)}`,
      groupPerms: `${permSelect} JOIN ${gp} ${c("gp")} ON ${c("gp")}.${c("permission_id")} = ${c("p")}.${c("id")} JOIN ${userGroups} ${c("ug")} ON ${c("ug")}.${c("group_id")} = ${c("gp")}.${c("group_id")} WHERE ${c("ug")}.${fk} = ${p(1)}`,
      allPerms: permSelect,
    };
  }

  /**
   * Django's `pk.to_python(value)` then `value_to_string`: the canonical session form of a key.
   *
   * @example
   * ```ts
   * users.normalizeId(" 007 "); // "7"
   * ```
   */
  normalizeId(id: string): string | null {
    if (this.#pkType === "int") {
      const n = parseIntKey(id);
      return n === null ? null : String(n);
    }
    if (this.#pkType === "uuid") return parseUuidKey(id);
    return id;
  }

  /**
   * The user with this primary key (session form), or `null`.
   *
   * @example
   * ```ts
   * await users.getUser("1");
   * ```
   */
  async getUser(id: string): Promise<User | null> {
    const key = this.#keyParam(id);
    if (key === null) return null;
    return this.#one(await this.#db.query(this.#sql.byId, [key]));
  }

  /**
   * Several users by primary key (session form) in one query per 1,000 ids: the map holds
   * each id that names a user, keyed as given.
   *
   * @example
   * ```ts
   * const found = await users.getUsers(["1", "2"]);
   * found.get("1")?.username;
   * ```
   */
  async getUsers(ids: readonly string[]): Promise<Map<string, User>> {
    const wanted = new Map<string, string[]>();
    for (const id of ids) {
      const key = this.#keyParam(id);
      if (key === null) continue;
      const k = String(key).toLowerCase();
      const list = wanted.get(k);
      if (list === undefined) wanted.set(k, [id]);
      else list.push(id);
    }
    const keys = [...wanted.keys()];
    const found = new Map<string, User>();
    const p = placeholders(this.#db.dialect);
    for (let start = 0; start < keys.length; start += 1000) {
      const chunk = keys.slice(start, start + 1000);
      const params = chunk.map((k) => this.#keyParam(wanted.get(k)![0]!));
      const sql = `${this.#sql.list} WHERE ${this.#names.pk} IN (${chunk.map((_, i) => p(i + 1)).join(", ")})`;
      for (const row of await this.#db.query(sql, params)) {
        const user = this.#user(row);
        const k = String(this.#keyParam(String(user.id))).toLowerCase();
        for (const id of wanted.get(k) ?? []) found.set(id, user);
      }
    }
    return found;
  }

  /**
   * The user with this `USERNAME_FIELD` value, or `null`.
   *
   * @example
   * ```ts
   * await users.getUserByUsername("alice");
   * ```
   */
  async getUserByUsername(username: string): Promise<User | null> {
    return this.#one(await this.#db.query(this.#sql.byUsername, [username]));
  }

  /**
   * The form in which the username column compares `username` (see
   * {@link UserSource.usernameKey}). On MySQL/MariaDB, whose collations (`utf8mb4_general_ci`,
   * `utf8mb4_uca1400_ai_ci`, …) find `alice` for `ÁLICE`, `alicé` or `alice `, it is the
   * collation's sort key of the name, asked of the server: `collation:` and the hex bytes of
   * `WEIGHT_STRING`. On PostgreSQL and SQLite, whose default comparison is exact, it is the name
   * itself.
   *
   * @example
   * ```ts
   * await users.usernameKey("ÁLICE"); // MariaDB: "collation:0041004C004900430045", as for "alice"
   * ```
   */
  async usernameKey(username: string): Promise<string> {
    if (this.#sql.usernameKey === null) return username;
    const rows = await this.#db.query(this.#sql.usernameKey, [username]);
    return `collation:${text(rows[0]?.["k"])}`;
  }

  /**
   * `UPDATE … SET password` (Django `save(update_fields=["password"])`).
   *
   * @example
   * ```ts
   * await users.setPassword(user, await makePassword("new password"));
   * ```
   */
  async setPassword(user: User, encoded: string): Promise<void> {
    await this.#db.execute(this.#sql.setPassword, [encoded, this.#userParam(user)]);
  }

  /**
   * `UPDATE … SET last_login` with Django's date format for the dialect.
   *
   * @example
   * ```ts
   * await users.updateLastLogin(user, new Date());
   * ```
   */
  async updateLastLogin(user: User, at: Date): Promise<void> {
    if (this.#sql.setLastLogin === null) return;
    await this.#db.execute(this.#sql.setLastLogin, [
      expireDateParam(this.#db.dialect, at),
      this.#userParam(user),
    ]);
  }

  /**
   * The user's group names, sorted.
   *
   * @example
   * ```ts
   * await users.getGroupNames(user); // ["editors"]
   * ```
   */
  async getGroupNames(user: User): Promise<readonly string[]> {
    const rows = await this.#db.query(this.#sql.groups, [this.#userParam(user)]);
    return rows.map((r) => text(r["name"]));
  }

  /**
   * `ModelBackend.get_all_permissions`: user ∪ group permissions, or every permission for a
   * superuser, as `"app_label.codename"` (the activity check is the caller's).
   *
   * @example
   * ```ts
   * await users.getPermissions(user); // Set { "polls.add_poll", … }
   * ```
   */
  async getPermissions(user: User): Promise<Set<string>> {
    const name = (r: SqlRow): string => `${text(r["app_label"])}.${text(r["codename"])}`;
    if (user.isSuperuser) {
      return new Set((await this.#db.query(this.#sql.allPerms, [])).map(name));
    }
    const param = [this.#userParam(user)];
    const [own, viaGroups] = await Promise.all([
      this.#db.query(this.#sql.userPerms, param),
      this.#db.query(this.#sql.groupPerms, param),
    ]);
    return new Set([...own.map(name), ...viaGroups.map(name)]);
  }

  /**
   * Inserts a user the way Django's `UserManager.create_user` / `create_superuser` store one:
   * username NFKC-normalised, email domain lowercased, `is_active` true, `is_staff` and
   * `is_superuser` false unless given, empty names, `last_login` NULL, `date_joined` now, in
   * the dialect's date format. The password must already be encoded (`makePassword`). Columns
   * the source's model lacks (`columns.x: null`) are left out; giving a value for one is an
   * error, as the extra keyword argument is in Django. Resolves to the user as
   * {@link getUser} reads it, with the key the database assigned.
   *
   * @throws {UserExistsError} when a user with that username exists (checked first, and again
   *   from the unique constraint if another writer got there in between).
   * @throws {InvalidArgumentError} for an empty username, a text key without `id`, or an invalid `id`.
   *
   * @example
   * ```ts
   * import { makePassword } from "sessionbridge/hashers";
   * const admin = await users.createUser({
   *   username: "admin",
   *   email: "admin@example.com",
   *   password: await makePassword("correct horse battery staple"),
   *   isStaff: true,
   *   isSuperuser: true, // create_superuser
   * });
   * admin.id; // 1
   * ```
   */
  async createUser(fields: NewUserFields): Promise<User> {
    // Django: ValueError("The given username must be set").
    if (fields.username === "")
      throw new InvalidArgumentError("createUser: the username must be set");
    const { q, table, pkColumn, usernameColumn } = this.#names;
    const c = this.#columns;
    // A model whose USERNAME_FIELD is its email: its manager normalises it as an email too.
    const username =
      c.email === usernameColumn
        ? normalizeEmail(normalizeUsername(fields.username))
        : normalizeUsername(fields.username);
    const dialect = this.#db.dialect;
    const columns: string[] = [];
    const params: SqlValue[] = [];
    const used = new Set<string>();
    const add = (column: string, what: string, value: NewUserFieldValue): void => {
      if (used.has(column))
        throw new InvalidArgumentError(`createUser: column ${column} given twice`);
      used.add(column);
      columns.push(q(column, what));
      params.push(param(dialect, value));
    };

    // The key: AutoField is the database's (unless given); UUIDField has a Python-side
    // default (uuid4), so the row needs one from here; a CharField key has no default at all.
    let key: SqlValue | undefined;
    if (fields.id !== undefined || this.#pkType === "uuid") {
      key = this.#keyParam(String(fields.id ?? randomUUID()));
      if (key === null)
        throw new InvalidArgumentError(`createUser: id is not a valid ${this.#pkType} key`);
    } else if (this.#pkType === "string") {
      throw new InvalidArgumentError(
        "createUser: a text primary key has no default: give fields.id",
      );
    }
    if (key !== undefined) add(pkColumn, "pkColumn", key);
    add(usernameColumn, "usernameColumn", username);

    const defaults: Record<Exclude<keyof UserColumns, "password">, NewUserFieldValue> = {
      isActive: fields.isActive ?? true,
      isStaff: fields.isStaff ?? false,
      isSuperuser: fields.isSuperuser ?? false,
      email: normalizeEmail(fields.email ?? ""),
      firstName: fields.firstName ?? "",
      lastName: fields.lastName ?? "",
      lastLogin: fields.lastLogin ?? null,
      dateJoined: fields.dateJoined ?? new Date(),
    };
    add(c.password, "columns.password", fields.password);
    for (const [name, value] of Object.entries(defaults) as [keyof typeof defaults, unknown][]) {
      const column = c[name];
      if (column === usernameColumn) {
        // The same field as USERNAME_FIELD (`email` on such a model): written once, above.
        if (fields[name] !== undefined && value !== username) {
          throw new InvalidArgumentError(
            `createUser: ${name} is the username column; give it as username`,
          );
        }
      } else if (column !== null) {
        add(column, `columns.${name}`, value as NewUserFieldValue);
      } else if (fields[name] !== undefined) {
        throw new InvalidArgumentError(`createUser: the user model has no ${name} column`);
      }
    }
    for (const [column, value] of Object.entries(fields.fields ?? {})) {
      add(column, "fields", value);
    }

    const p = placeholders(dialect);
    const insert = `INSERT INTO ${table} (${columns.join(", ")}) VALUES (${columns.map((_, i) => p(i + 1)).join(", ")})`;
    // Checked before the INSERT for a clear error in the usual case; the unique constraint on
    // USERNAME_FIELD (Django requires one) settles races with other writers.
    if ((await this.getUserByUsername(username)) !== null) throw new UserExistsError(username);
    try {
      await this.#db.execute(insert, params);
    } catch (error) {
      if (error instanceof SqlDuplicateKeyError && (await this.#usernameTaken(username))) {
        throw new UserExistsError(username, { cause: error });
      }
      throw error;
    }
    // Read back rather than RETURNING: MySQL has none, and this is the row as getUser sees it.
    const created =
      key === undefined
        ? await this.getUserByUsername(username)
        : this.#one(await this.#db.query(this.#sql.byId, [key]));
    if (created === null) {
      throw new SessionStoreError("DjangoUserSource: the new user could not be read back");
    }
    return created;
  }

  /**
   * Every user in primary-key order, read in keyset pages of `batchSize` rows (`WHERE pk >
   * last ORDER BY pk LIMIT n`), so memory stays flat and rows added behind the cursor are not
   * seen twice. Honours the source's table, key and column mapping, like {@link getUser}.
   *
   * @throws {ConfigurationError} when `batchSize` is not a positive integer.
   *
   * @example
   * ```ts
   * for await (const user of users.listUsers({ batchSize: 500 })) {
   *   console.log(user.id, user.username, user.isStaff);
   * }
   * ```
   */
  listUsers(options: ListUsersOptions = {}): AsyncIterable<User> {
    const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
    // Checked now rather than on the first `next()`; the number goes into the SQL text
    // (MySQL prepared statements take no placeholder for LIMIT).
    if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
      throw new ConfigurationError("listUsers: batchSize must be a positive integer");
    }
    return this.#pages(batchSize);
  }

  async *#pages(batchSize: number): AsyncGenerator<User, void, undefined> {
    const order = ` ORDER BY ${this.#names.pk} LIMIT ${batchSize}`;
    let after: SqlValue | undefined;
    for (;;) {
      const rows =
        after === undefined
          ? await this.#db.query(this.#sql.list + order, [])
          : await this.#db.query(this.#sql.listAfter + order, [after]);
      for (const row of rows) yield this.#user(row);
      const last = rows[rows.length - 1];
      if (rows.length < batchSize || last === undefined) return;
      // The key exactly as the driver returned it (hex for a char(32) UUID, text for an int8),
      // so the comparison is the database's own ordering.
      const value = last["pk"];
      after = typeof value === "number" || typeof value === "string" ? value : text(value);
    }
  }

  /** Whether the username exists now; false when even that cannot be told. */
  async #usernameTaken(username: string): Promise<boolean> {
    try {
      return (await this.getUserByUsername(username)) !== null;
    } catch {
      // E.g. inside the caller's failed PostgreSQL transaction: the driver's error stands.
      return false;
    }
  }

  /** The key as a bound parameter (`get_db_prep_value`), or null when it cannot be one. */
  #keyParam(id: string): SqlValue {
    const normal = this.normalizeId(id);
    if (normal === null) return null;
    if (this.#pkType === "int") return Number(normal);
    // UUIDField (`get_db_prep_value`): `value.hex` unless the backend has a native uuid type.
    // On SQLite and MySQL the column is `char(32)` and only the 32 hex digits match. Django
    // 5.0+ on MariaDB 10.7+ creates a native `uuid` column instead (`has_native_uuid_field`),
    // while tables Django < 5.0 made stay `char(32)` (the 5.0 release notes have projects keep
    // them so), so one database can hold both kinds. The hex form serves both: MariaDB's
    // `uuid` type takes a value without hyphens as well (compared as the same 128-bit value;
    // "will accept a value without the - character", MariaDB's UUID data type page), and
    // reads come back hyphenated, which `#id` accepts like the hex text. PostgreSQL's `uuid`
    // takes the hyphenated text.
    if (this.#pkType === "uuid" && this.#db.dialect !== "postgres") return normal.replace(/-/g, "");
    return normal;
  }

  #userParam(user: User): SqlValue {
    return this.#keyParam(String(user.id));
  }

  #one(rows: readonly SqlRow[]): User | null {
    const row = rows[0];
    return row === undefined ? null : this.#user(row);
  }

  #user(row: SqlRow): User {
    const record: UserRecord = {
      id: this.#id(row["pk"]),
      username: text(row["username_value"]),
      password: text(row["c_password"]),
      isActive: this.#columns.isActive === null ? true : sqlBoolean(row["c_isActive"]),
      isStaff: sqlBoolean(row["c_isStaff"]),
      isSuperuser: sqlBoolean(row["c_isSuperuser"]),
      email: text(row["c_email"]),
      firstName: text(row["c_firstName"]),
      lastName: text(row["c_lastName"]),
      lastLogin: date(row["c_lastLogin"]),
      dateJoined: date(row["c_dateJoined"]),
      fields: Object.fromEntries(this.#extra.map((c) => [c, row[`x_${c}`]])),
    };
    return new User(record, this);
  }

  #id(value: unknown): UserId {
    if (this.#pkType === "int") return typeof value === "number" ? value : Number(value);
    const raw = text(value);
    // `char(32)` hex or a native uuid's hyphenated text: both become `str(uuid)`.
    return this.#pkType === "uuid" ? (parseUuidKey(raw) ?? raw) : raw;
  }
}
