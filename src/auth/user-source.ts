/**
 * The interface between the auth functions and wherever users live. {@link DjangoUserSource}
 * reads Django's own tables; anything else (an ORM, an HTTP API) can implement it.
 *
 * @example
 * ```ts
 * const users: UserSource = {
 *   async getUser(id) { const r = await db.find(id); return r && new User(r, this); },
 *   async getUserByUsername(name) { … },
 *   async setPassword(user, encoded) { await db.update(user.id, { password: encoded }); },
 *   async updateLastLogin(user, at) { await db.update(user.id, { last_login: at }); },
 * };
 * ```
 */
import type { PermissionSource, User, UserId } from "./user.ts";

/** Users by primary key and by `USERNAME_FIELD`, plus the two writes `login` needs. */
export interface UserSource extends PermissionSource {
  /**
   * The user whose primary key is `id` as stored in the session (`_auth_user_id`, a string:
   * the source converts it, Django's `pk.to_python`), or `null` when there is none or `id`
   * cannot be a key. Inactive users are returned: the backend decides about them.
   */
  getUser(id: string): Promise<User | null>;
  /**
   * Optional: several users at once (a real-time gate re-checks every connected user in one
   * call), keyed by the ids as given; ids without a user are absent. Without it, callers fall
   * back to one {@link UserSource.getUser} per id.
   */
  getUsers?(ids: readonly string[]): Promise<Map<string, User>>;
  /** The user whose `USERNAME_FIELD` equals `username` (Django `get_by_natural_key`), or `null`. */
  getUserByUsername(username: string): Promise<User | null>;
  /**
   * The form in which {@link UserSource.getUserByUsername} compares `username`: two names that
   * find the same user give the same string. The per-username login limit is keyed on it, so
   * that spellings the lookup treats as one (`ÁLICE`, `alicé`, `alice ` under a MySQL/MariaDB
   * collation) share one budget. Implement it when the lookup is not an exact comparison
   * (a case- or accent-insensitive collation, `citext`, an API that folds names); default:
   * the name itself (then case-folded by the limiter).
   */
  usernameKey?(username: string): Promise<string>;
  /** Stores a new encoded password (Django `user.save(update_fields=["password"])`). */
  setPassword(user: User, encoded: string): Promise<void>;
  /** Stores `last_login` (Django's `update_last_login` receiver of `user_logged_in`). */
  updateLastLogin(user: User, at: Date): Promise<void>;
  /**
   * The canonical session form of a stored `_auth_user_id` (Django compares
   * `pk.to_python(stored) != user.pk` in `login()`): e.g. `"007"` → `"7"` for an integer key.
   * `null` when it cannot be a key. Default: the value itself.
   */
  normalizeId?(id: string): string | null;
}

/**
 * The fields of a new user, as Django's `UserManager.create_user(username, email, password,
 * **extra_fields)` takes them, except that the password is already encoded: hashing is the
 * caller's (`makePassword`), so it can run off the request path and with the hasher settings
 * of the Django it shares the table with.
 */
export interface NewUserFields {
  /** The `USERNAME_FIELD` value; stored NFKC-normalised (`AbstractBaseUser.normalize_username`). */
  readonly username: string;
  /**
   * The encoded password (`await makePassword(raw)`), stored as given. `makePassword(null)`
   * gives an unusable one, as `create_user(password=None)` does.
   */
  readonly password: string;
  /** Default `""`; the domain part is lowercased (`BaseUserManager.normalize_email`). */
  readonly email?: string;
  /** Default `""`. */
  readonly firstName?: string;
  /** Default `""`. */
  readonly lastName?: string;
  /** Default `true`. */
  readonly isActive?: boolean;
  /** Default `false`; `create_superuser` sets it. */
  readonly isStaff?: boolean;
  /** Default `false`; `create_superuser` sets it. */
  readonly isSuperuser?: boolean;
  /** Default now (`timezone.now`). */
  readonly dateJoined?: Date;
  /** Default `null` (never logged in). */
  readonly lastLogin?: Date | null;
  /**
   * The primary key. Integer keys are left to the database (auto-increment) unless given;
   * UUID keys default to a random UUID (Django's `default=uuid.uuid4`); a text key has no
   * default and must be given.
   */
  readonly id?: UserId;
  /** Other columns of a custom user model, by column name (those without a database default). */
  readonly fields?: Readonly<Record<string, string | number | boolean | Date | null>>;
}

/** Options of {@link UserManager.listUsers}. */
export interface ListUsersOptions {
  /** Rows per query (keyset pages, so memory stays flat); default 1000. */
  readonly batchSize?: number;
}

/**
 * Creating and listing users: Django's `User.objects.create_user` / `create_superuser` and
 * `User.objects.order_by("pk")`. Separate from {@link UserSource} because logging users in
 * never needs it, so a custom source (an ORM, an HTTP API) does not have to provide it; the
 * management commands and admin tools do. {@link DjangoUserSource} implements both.
 *
 * @example
 * ```ts
 * const manager: UserManager = new DjangoUserSource({ database });
 * const bob = await manager.createUser({ username: "bob", password: await makePassword("pw") });
 * for await (const user of manager.listUsers()) console.log(user.id, user.username);
 * ```
 */
export interface UserManager {
  /**
   * Inserts a user and resolves to it as the source reads it back (with its real key).
   * @throws {UserExistsError} when the username is taken.
   */
  createUser(fields: NewUserFields): Promise<User>;
  /** Every user in primary-key order, fetched in batches. */
  listUsers(options?: ListUsersOptions): AsyncIterable<User>;
}
