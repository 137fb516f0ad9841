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
import type { PermissionSource, User } from "./user.ts";

/** Users by primary key and by `USERNAME_FIELD`, plus the two writes `login` needs. */
export interface UserSource extends PermissionSource {
  /**
   * The user whose primary key is `id` as stored in the session (`_auth_user_id`, a string:
   * the source converts it, Django's `pk.to_python`), or `null` when there is none or `id`
   * cannot be a key. Inactive users are returned: the backend decides about them.
   */
  getUser(id: string): Promise<User | null>;
  /** The user whose `USERNAME_FIELD` equals `username` (Django `get_by_natural_key`), or `null`. */
  getUserByUsername(username: string): Promise<User | null>;
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
