// Shared fixtures for the auth tests: a real SQLite database with Django's auth schema
// (auth_user exactly as django-formats.md §6.7), users hashed by our hashers, MemoryStore sessions.
import Database from "better-sqlite3";
import { resolveSessionSettings } from "../../src/engine/config.ts";
import { Session } from "../../src/engine/session.ts";
import { DjangoUserSource } from "../../src/auth/django-user-source.ts";
import type { AuthConfig } from "../../src/auth/config.ts";
import { makePassword } from "../../src/auth/hashers/index.ts";
import { MemoryStore } from "../../src/stores/memory/index.ts";
import { sqliteDatabase, type SqlDatabase } from "../../src/stores/sql/index.ts";

export const SECRET = "unit-test-secret-key-for-auth";
export const OLD_SECRET = "old-rotated-secret-key";
/** Cheap PBKDF2 for unit tests: the rules do not depend on the work factor. */
export const HASHERS = { params: { pbkdf2Iterations: 1000 } } as const;

export const AUTH_DDL = [
  // §6.7, SQLite, verbatim.
  `CREATE TABLE "auth_user" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "password" varchar(128) NOT NULL, "last_login" datetime NULL, "is_superuser" bool NOT NULL, "username" varchar(150) NOT NULL UNIQUE, "last_name" varchar(150) NOT NULL, "email" varchar(254) NOT NULL, "is_staff" bool NOT NULL, "is_active" bool NOT NULL, "date_joined" datetime NOT NULL, "first_name" varchar(150) NOT NULL)`,
  `CREATE TABLE "django_content_type" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "app_label" varchar(100) NOT NULL, "model" varchar(100) NOT NULL)`,
  `CREATE UNIQUE INDEX "django_content_type_app_label_model_76bd3d3b_uniq" ON "django_content_type" ("app_label", "model")`,
  `CREATE TABLE "auth_permission" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "content_type_id" integer NOT NULL REFERENCES "django_content_type" ("id") DEFERRABLE INITIALLY DEFERRED, "codename" varchar(100) NOT NULL, "name" varchar(255) NOT NULL)`,
  `CREATE TABLE "auth_group" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "name" varchar(150) NOT NULL UNIQUE)`,
  `CREATE TABLE "auth_group_permissions" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "group_id" integer NOT NULL REFERENCES "auth_group" ("id") DEFERRABLE INITIALLY DEFERRED, "permission_id" integer NOT NULL REFERENCES "auth_permission" ("id") DEFERRABLE INITIALLY DEFERRED)`,
  `CREATE TABLE "auth_user_groups" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "user_id" integer NOT NULL REFERENCES "auth_user" ("id") DEFERRABLE INITIALLY DEFERRED, "group_id" integer NOT NULL REFERENCES "auth_group" ("id") DEFERRABLE INITIALLY DEFERRED)`,
  `CREATE TABLE "auth_user_user_permissions" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "user_id" integer NOT NULL REFERENCES "auth_user" ("id") DEFERRABLE INITIALLY DEFERRED, "permission_id" integer NOT NULL REFERENCES "auth_permission" ("id") DEFERRABLE INITIALLY DEFERRED)`,
];

export interface Fixture {
  readonly raw: Database.Database;
  readonly database: SqlDatabase;
  readonly users: DjangoUserSource;
  readonly store: MemoryStore;
  readonly config: AuthConfig;
  session(key?: string | null): Session;
  addUser(
    username: string,
    password: string | null,
    extra?: { isActive?: boolean; isSuperuser?: boolean; isStaff?: boolean; encoded?: string },
  ): Promise<number>;
  addPermission(appLabel: string, codename: string): number;
  grantUser(userId: number, permissionId: number): void;
  addGroup(name: string, permissionIds: number[], userIds: number[]): number;
}

export async function fixture(overrides: Partial<AuthConfig> = {}): Promise<Fixture> {
  const raw = new Database(":memory:");
  for (const sql of AUTH_DDL) raw.prepare(sql).run();
  const database = await sqliteDatabase(raw);
  const users = new DjangoUserSource({ database });
  const store = new MemoryStore();
  const settings = resolveSessionSettings();
  const config: AuthConfig = {
    users,
    secretKey: SECRET,
    hashers: HASHERS,
    djangoVersion: "5.2",
    ...overrides,
  };
  return {
    raw,
    database,
    users,
    store,
    config,
    session: (key = null) => new Session(store, key, settings),
    async addUser(username, password, extra = {}) {
      const encoded =
        extra.encoded ?? (await makePassword(password, { ...HASHERS, djangoVersion: "5.2" }));
      const info = raw
        .prepare(
          `INSERT INTO auth_user (password, last_login, is_superuser, username, last_name, email, is_staff, is_active, date_joined, first_name) VALUES (?, NULL, ?, ?, '', ?, ?, ?, '2024-01-01 00:00:00', '')`,
        )
        .run(
          encoded,
          extra.isSuperuser ? 1 : 0,
          username,
          `${username}@example.com`,
          extra.isStaff ? 1 : 0,
          extra.isActive === false ? 0 : 1,
        );
      return Number(info.lastInsertRowid);
    },
    addPermission(appLabel, codename) {
      let ct = raw
        .prepare(`SELECT id FROM django_content_type WHERE app_label = ? AND model = ?`)
        .get(appLabel, "thing") as { id: number } | undefined;
      if (!ct) {
        const r = raw
          .prepare(`INSERT INTO django_content_type (app_label, model) VALUES (?, 'thing')`)
          .run(appLabel);
        ct = { id: Number(r.lastInsertRowid) };
      }
      const info = raw
        .prepare(`INSERT INTO auth_permission (content_type_id, codename, name) VALUES (?, ?, ?)`)
        .run(ct.id, codename, codename);
      return Number(info.lastInsertRowid);
    },
    grantUser(userId, permissionId) {
      raw
        .prepare(`INSERT INTO auth_user_user_permissions (user_id, permission_id) VALUES (?, ?)`)
        .run(userId, permissionId);
    },
    addGroup(name, permissionIds, userIds) {
      const g = Number(
        raw.prepare(`INSERT INTO auth_group (name) VALUES (?)`).run(name).lastInsertRowid,
      );
      for (const p of permissionIds)
        raw
          .prepare(`INSERT INTO auth_group_permissions (group_id, permission_id) VALUES (?, ?)`)
          .run(g, p);
      for (const u of userIds)
        raw.prepare(`INSERT INTO auth_user_groups (user_id, group_id) VALUES (?, ?)`).run(u, g);
      return g;
    },
  };
}

/** Saves a session with these values and returns its key. */
export async function savedSession(f: Fixture, values: Record<string, string>): Promise<string> {
  const s = f.session();
  await s.update(values);
  await s.save();
  return s.key!;
}
