/**
 * The user model of the CLI and `serve`, configured as in Django's settings:
 *
 * | variable | meaning | default |
 * |---|---|---|
 * | `AUTH_USER_MODEL` | `app_label.ModelName`, Django's setting | `auth.User` |
 * | `AUTH_USER_PK` | the primary key: `int` (`AutoField`/`BigAutoField`), `uuid` (`UUIDField`), `string` | `int` |
 * | `AUTH_USERNAME_FIELD` | the model's `USERNAME_FIELD` | `username` |
 * | `AUTH_USER_TABLE` | the model's `Meta.db_table`, when it sets one | `<app_label>_<modelname>` |
 *
 * The table names are derived as Django derives them: `db_table` defaults to
 * `<app_label>_<model_name>` (the model name lowercased), the many-to-many tables of
 * `PermissionsMixin` are `<db_table>_groups` and `<db_table>_user_permissions`, and their
 * user column is `<model_name>_id`; names longer than the database allows are shortened with
 * Django's `truncate_name` (an md5 suffix). For `auth.User` that is `auth_user`,
 * `auth_user_groups.user_id` and `auth_user_user_permissions.user_id`.
 */
import { createHash } from "node:crypto";
import type { DjangoUserSourceOptions, PrimaryKeyType } from "../auth/django-user-source.ts";
import { ConfigurationError } from "../errors.ts";
import type { SqlDialect } from "../internal/sql/database.ts";

/** The settings naming the user model. */
export const USER_MODEL_NAMES = [
  "AUTH_USER_MODEL",
  "AUTH_USER_PK",
  "AUTH_USERNAME_FIELD",
  "AUTH_USER_TABLE",
] as const;

const PK_TYPES = ["int", "uuid", "string"] as const satisfies readonly PrimaryKeyType[];

/** A Python identifier of the ASCII kind, which is also a plain SQL identifier. */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The configured user model. */
export interface UserModelSetting {
  /** `app_label.ModelName` as given (`auth.User` by default). */
  readonly label: string;
  readonly appLabel: string;
  /** `_meta.model_name`: the class name lowercased. */
  readonly modelName: string;
  /** `AUTH_USER_TABLE`, or `undefined` for Django's default `db_table`. */
  readonly dbTable: string | undefined;
  readonly pkType: PrimaryKeyType;
  readonly usernameField: string;
}

/** The `--help` lines of {@link USER_MODEL_NAMES}. */
export const USER_MODEL_HELP = `  AUTH_USER_MODEL          app_label.ModelName, as Django's setting (default auth.User): the
                           user table is <app_label>_<modelname> (lowercased) and its groups and
                           permissions tables <table>_groups, <table>_user_permissions (column
                           <modelname>_id), as Django names them; a custom model's tables are
                           made by Django's migrate, not by sessionbridge
  AUTH_USER_PK             int (default) | uuid | string: the user model's primary key (column id)
  AUTH_USERNAME_FIELD      the model's USERNAME_FIELD (default username)
  AUTH_USER_TABLE          the model's Meta.db_table, if it sets one
`;

/** `django.contrib.auth.models.User`. */
export const DEFAULT_USER_MODEL: UserModelSetting = {
  label: "auth.User",
  appLabel: "auth",
  modelName: "user",
  dbTable: undefined,
  pkType: "int",
  usernameField: "username",
};

/**
 * Reads {@link USER_MODEL_NAMES} (unset or empty: the default).
 * @throws {ConfigurationError} for a value Django would not accept or the CLI cannot use.
 */
export function readUserModel(
  get: (name: (typeof USER_MODEL_NAMES)[number]) => string | undefined,
): UserModelSetting {
  const label = get("AUTH_USER_MODEL")?.trim() ?? DEFAULT_USER_MODEL.label;
  const parts = label.split(".");
  if (parts.length !== 2 || !parts.every((p) => IDENTIFIER.test(p))) {
    throw new ConfigurationError(
      `AUTH_USER_MODEL must be of the form 'app_label.ModelName' (like auth.User), not "${label.slice(0, 60)}"`,
    );
  }
  const [appLabel, objectName] = parts as [string, string];
  const modelName = objectName.toLowerCase();
  if (appLabel !== "auth" && (modelName === "group" || modelName === "permission")) {
    // Django names the columns of a many-to-many between two same-named models from_/to_.
    throw new ConfigurationError(
      `AUTH_USER_MODEL: a user model named ${objectName} is not supported (its many-to-many columns clash with auth.${modelName === "group" ? "Group" : "Permission"}'s)`,
    );
  }
  const pk = get("AUTH_USER_PK")?.trim() ?? "int";
  const pkType = PK_TYPES.find((t) => t === pk);
  if (pkType === undefined) {
    throw new ConfigurationError(
      `AUTH_USER_PK must be one of ${PK_TYPES.join(", ")}, not "${pk.slice(0, 30)}"`,
    );
  }
  const identifier = (name: "AUTH_USERNAME_FIELD" | "AUTH_USER_TABLE"): string | undefined => {
    const value = get(name)?.trim();
    if (value === undefined) return undefined;
    if (!IDENTIFIER.test(value) || value.length > 63) {
      throw new ConfigurationError(
        `${name} must be a plain column or table name ([A-Za-z_][A-Za-z0-9_]*, at most 63 characters), not "${value.slice(0, 30)}"`,
      );
    }
    return value;
  };
  return {
    label,
    appLabel,
    modelName,
    dbTable: identifier("AUTH_USER_TABLE"),
    pkType,
    usernameField: identifier("AUTH_USERNAME_FIELD") ?? "username",
  };
}

/** `connection.ops.max_name_length()`: SQLite has no limit. */
function maxNameLength(dialect: SqlDialect): number | null {
  return dialect === "postgres" ? 63 : dialect === "mysql" ? 64 : null;
}

/** `django.db.backends.utils.truncate_name` (no namespace: these names are unqualified). */
export function truncateName(name: string, length: number | null, hashLength = 4): string {
  if (length === null || name.length <= length) return name;
  const digest = createHash("md5").update(name, "utf8").digest("hex").slice(0, hashLength);
  return `${name.slice(0, length - hashLength)}${digest}`;
}

/** The user table as Django names it on this dialect. */
export function userTable(model: UserModelSetting, dialect: SqlDialect): string {
  return (
    model.dbTable ?? truncateName(`${model.appLabel}_${model.modelName}`, maxNameLength(dialect))
  );
}

/** Whether this is `auth.User` in `auth_user`, the tables `migrate` creates. */
export function isDefaultUserModel(model: UserModelSetting): boolean {
  return model.appLabel === "auth" && model.modelName === "user" && model.dbTable === undefined;
}

/** {@link DjangoUserSource}'s options for the model on this dialect (all but `database`). */
export function userSourceOptions(
  model: UserModelSetting,
  dialect: SqlDialect,
): Omit<DjangoUserSourceOptions, "database"> {
  const table = userTable(model, dialect);
  const max = maxNameLength(dialect);
  return {
    table,
    pkType: model.pkType,
    usernameColumn: model.usernameField,
    userGroupsTable: truncateName(`${table}_groups`, max),
    userPermissionsTable: truncateName(`${table}_user_permissions`, max),
    userFkColumn: `${model.modelName}_id`,
  };
}
