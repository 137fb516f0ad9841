/**
 * The user objects: {@link User} (a row of `auth_user` or a custom user model) and
 * {@link AnonymousUser} (django-formats.md §6.6), with Django's permission rules
 * (`PermissionsMixin.has_perm`, `ModelBackend.get_all_permissions`).
 *
 * The encoded password is kept on the object, because the session auth hash is an HMAC of it
 * (§6.2), but it never leaves through `JSON.stringify`, `util.inspect` or object spreading.
 */
import { inspect } from "node:util";
import { InvalidArgumentError } from "../errors.ts";

/** A primary key: a number for Django's `AutoField`, a string for UUID or text keys. */
export type UserId = number | string;

/** What a {@link UserSource} reads from its table to build a {@link User}. */
export interface UserRecord {
  readonly id: UserId;
  /** The `USERNAME_FIELD` value. */
  readonly username: string;
  /** `auth_user.password`: the encoded hash (`pbkdf2_sha256$…`), or `!…` when unusable. */
  readonly password: string;
  readonly isActive: boolean;
  readonly isStaff?: boolean;
  readonly isSuperuser?: boolean;
  readonly email?: string;
  readonly firstName?: string;
  readonly lastName?: string;
  readonly lastLogin?: Date | null;
  readonly dateJoined?: Date | null;
  /** Extra columns of a custom user model, as the source read them. */
  readonly fields?: Readonly<Record<string, unknown>>;
}

/**
 * Where a user's groups and permissions come from (implemented by every {@link UserSource}
 * that supports them; both optional).
 */
export interface PermissionSource {
  /** Names of the user's groups. */
  getGroupNames?(user: User): Promise<readonly string[]>;
  /**
   * Every permission of the user as `"app_label.codename"`: user permissions ∪ group
   * permissions; all permissions for a superuser (Django `ModelBackend.get_all_permissions`).
   */
  getPermissions?(user: User): Promise<Iterable<string>>;
}

/** Internal: lets the auth functions replace the encoded password after a rehash. */
export const SET_ENCODED_PASSWORD: unique symbol = Symbol("sessionbridge.setEncodedPassword");

/**
 * An authenticated user (Django's `AbstractUser` instance as seen by `request.user`).
 *
 * @example
 * ```ts
 * const user = new User({ id: 1, username: "alice", password: encoded, isActive: true });
 * user.isAuthenticated; // true
 * await user.hasPerm("polls.add_choice");
 * JSON.stringify(user); // no "password"
 * ```
 */
export class User {
  readonly id: UserId;
  readonly username: string;
  readonly isActive: boolean;
  readonly isStaff: boolean;
  readonly isSuperuser: boolean;
  readonly email: string;
  readonly firstName: string;
  readonly lastName: string;
  lastLogin: Date | null;
  readonly dateJoined: Date | null;
  /** Extra columns of a custom user model. */
  readonly fields: Readonly<Record<string, unknown>>;
  /** Always `true` (Django `is_authenticated`). */
  readonly isAuthenticated = true as const;
  /** Always `false` (Django `is_anonymous`). */
  readonly isAnonymous = false as const;
  /**
   * Dotted path of the backend that authenticated this user (Django sets `user.backend` in
   * `authenticate()`); `login()` stores it in the session.
   */
  backend: string | undefined;

  #password: string;
  readonly #source: PermissionSource | undefined;
  #permissions: Promise<ReadonlySet<string>> | undefined;
  #groups: Promise<readonly string[]> | undefined;

  /**
   * @param record the row.
   * @param source where groups and permissions are loaded from (on first use, then cached on
   *   this object, like Django's `_perm_cache`).
   */
  constructor(record: UserRecord, source?: PermissionSource) {
    this.id = record.id;
    this.username = record.username;
    this.#password = record.password;
    this.isActive = record.isActive;
    this.isStaff = record.isStaff ?? false;
    this.isSuperuser = record.isSuperuser ?? false;
    this.email = record.email ?? "";
    this.firstName = record.firstName ?? "";
    this.lastName = record.lastName ?? "";
    this.lastLogin = record.lastLogin ?? null;
    this.dateJoined = record.dateJoined ?? null;
    this.fields = Object.freeze({ ...(record.fields ?? {}) });
    this.#source = source;
  }

  /** The encoded password (`auth_user.password`). Not serialised; do not log it. */
  get password(): string {
    return this.#password;
  }

  /** Internal: the stored hash was replaced (rehash on login, password change). */
  [SET_ENCODED_PASSWORD](encoded: string): void {
    this.#password = encoded;
  }

  /** The primary key as Django stores it in the session (`pk.value_to_string`): a string. */
  get sessionId(): string {
    return String(this.id);
  }

  /** Django `get_username()`. */
  toString(): string {
    return this.username;
  }

  /**
   * Names of the user's groups (empty when the source has none).
   *
   * @example
   * ```ts
   * if ((await user.groups()).includes("editors")) { … }
   * ```
   */
  groups(): Promise<readonly string[]> {
    this.#groups ??= this.#source?.getGroupNames?.(this) ?? Promise.resolve([]);
    return this.#groups;
  }

  /**
   * Django `get_all_permissions()`: empty for an inactive user (ModelBackend), else user ∪
   * group permissions (all of them for a superuser), as `"app_label.codename"`.
   *
   * @example
   * ```ts
   * (await user.getAllPermissions()).has("auth.change_user");
   * ```
   */
  getAllPermissions(): Promise<ReadonlySet<string>> {
    if (!this.isActive) return Promise.resolve(new Set());
    this.#permissions ??= (async () =>
      new Set(await (this.#source?.getPermissions?.(this) ?? Promise.resolve([]))))();
    return this.#permissions;
  }

  /**
   * Django `has_perm(perm)`: `true` for an active superuser whatever the name; `false` for an
   * inactive user; else whether `perm` is among {@link getAllPermissions}.
   *
   * @example
   * ```ts
   * await user.hasPerm("polls.change_poll");
   * ```
   */
  async hasPerm(perm: string): Promise<boolean> {
    if (this.isActive && this.isSuperuser) return true;
    return (await this.getAllPermissions()).has(perm);
  }

  /**
   * Django `has_perms(perm_list)`: all of them. Rejects with an `InvalidArgumentError` for a single string
   * (Django 4.0+ raises `ValueError`).
   *
   * @example
   * ```ts
   * await user.hasPerms(["polls.add_poll", "polls.change_poll"]);
   * ```
   */
  async hasPerms(perms: readonly string[]): Promise<boolean> {
    if (typeof (perms as unknown) === "string") {
      throw new InvalidArgumentError("perms must be an array of names");
    }
    for (const perm of perms) if (!(await this.hasPerm(perm))) return false;
    return true;
  }

  /**
   * Django `has_module_perms(app_label)`: any permission in that app.
   *
   * @example
   * ```ts
   * await user.hasModulePerms("polls");
   * ```
   */
  async hasModulePerms(appLabel: string): Promise<boolean> {
    if (this.isActive && this.isSuperuser) return true;
    for (const perm of await this.getAllPermissions()) {
      if (perm.slice(0, perm.indexOf(".")) === appLabel) return true;
    }
    return false;
  }

  /** Everything but the password. */
  toJSON(): Record<string, unknown> {
    return {
      id: this.id,
      username: this.username,
      email: this.email,
      firstName: this.firstName,
      lastName: this.lastName,
      isActive: this.isActive,
      isStaff: this.isStaff,
      isSuperuser: this.isSuperuser,
      lastLogin: this.lastLogin?.toISOString() ?? null,
      dateJoined: this.dateJoined?.toISOString() ?? null,
      isAuthenticated: true,
      ...(Object.keys(this.fields).length > 0 ? { fields: this.fields } : {}),
    };
  }

  /** `console.log(user)` shows {@link toJSON}, never the password. */
  [inspect.custom](): string {
    return `User ${inspect(this.toJSON())}`;
  }
}

/**
 * Django's `AnonymousUser` (§6.6): no id, empty username, every flag false, no groups or
 * permissions. Use the shared {@link ANONYMOUS_USER}; all instances are alike.
 *
 * @example
 * ```ts
 * const user = await auth.user();
 * if (!user.isAuthenticated) return redirectToLogin();
 * ```
 */
export class AnonymousUser {
  readonly id = null;
  readonly username = "";
  readonly isActive = false as const;
  readonly isStaff = false as const;
  readonly isSuperuser = false as const;
  readonly isAuthenticated = false as const;
  readonly isAnonymous = true as const;

  /** `"AnonymousUser"`. */
  toString(): string {
    return "AnonymousUser";
  }

  /** Always empty. */
  groups(): Promise<readonly string[]> {
    return Promise.resolve([]);
  }

  /** Always empty. */
  getAllPermissions(): Promise<ReadonlySet<string>> {
    return Promise.resolve(new Set());
  }

  /** Always `false` (ModelBackend grants anonymous users nothing). */
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- Django's signature
  hasPerm(perm: string): Promise<boolean> {
    return Promise.resolve(false);
  }

  /**
   * `false` unless the list is empty (Django: `all(...)` of nothing is true).
   * Rejects with an `InvalidArgumentError` for a single string, as {@link User.hasPerms}.
   */
  hasPerms(perms: readonly string[]): Promise<boolean> {
    if (typeof (perms as unknown) === "string") {
      return Promise.reject(new InvalidArgumentError("perms must be an array of names"));
    }
    return Promise.resolve(perms.length === 0);
  }

  /** Always `false`. */
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- Django's signature
  hasModulePerms(appLabel: string): Promise<boolean> {
    return Promise.resolve(false);
  }

  /** `{ id: null, username: "", isAuthenticated: false }`. */
  toJSON(): Record<string, unknown> {
    return { id: null, username: "", isAuthenticated: false };
  }
}

/**
 * The anonymous user every function here returns.
 *
 * @example
 * ```ts
 * (await getSessionUser(session, config)) === ANONYMOUS_USER;
 * ```
 */
export const ANONYMOUS_USER: AnonymousUser = Object.freeze(new AnonymousUser());

/** What `request.user` can be. */
export type AnyUser = User | AnonymousUser;
