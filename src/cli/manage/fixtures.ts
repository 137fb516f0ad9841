/**
 * Django fixtures (`dumpdata` / `loaddata` JSON) for the models sessionbridge manages:
 * `contenttypes.contenttype`, `auth.permission`, `auth.group`, `auth.user`, `sessions.session`.
 *
 * Output is byte-for-byte what Django's JSON serializer writes: `[{"model", "pk", "fields"}]`,
 * fields in model order, datetimes through `DjangoJSONEncoder` (ISO 8601, milliseconds only
 * when the value has a fraction, `Z` for UTC), foreign keys as pks, many-to-many fields as pk
 * lists (or natural keys with `--natural-foreign`), `ensure_ascii=False`, and Python's
 * separators (`", "` without indent, `","` with it).
 */
import { dumpsPythonJson } from "../../codecs/python-json.ts";
import type { PyDict, PyValue } from "../../codecs/python-values.ts";
import { sqlBoolean } from "../../internal/sql/rows.ts";
import { CommandFailure } from "../command.ts";
import type { ManagedDatabase } from "./db.ts";
import { listTables } from "./db.ts";
import { dateParam, dateTextSql } from "./users.ts";

type FieldKind = "string" | "bool" | "datetime" | "datetime?" | "fk" | "m2m";

interface FieldSpec {
  readonly name: string;
  readonly column: string;
  readonly kind: FieldKind;
  /** varchar length. */
  readonly maxLength?: number;
  /** Django's default when a fixture omits the field; `"now"` for `timezone.now`. */
  readonly default?: string | boolean | null;
  /** FK / M2M target model label. */
  readonly target?: string;
  /** M2M: the through table and its columns. */
  readonly through?: { table: string; own: string; other: string };
}

interface ModelSpec {
  readonly label: string;
  /** The model's class name, for Django's messages. */
  readonly className: string;
  readonly table: string;
  readonly pk: { column: string; kind: "int" | "string"; maxLength?: number };
  readonly fields: readonly FieldSpec[];
  /** Natural key field names (Django's `natural_key()`), through FKs for permissions. */
  readonly naturalKey: readonly string[];
}

/** The models, in Django's dump order (`INSTALLED_APPS` order, then model definition order). */
export const MODELS: readonly ModelSpec[] = [
  {
    label: "contenttypes.contenttype",
    className: "ContentType",
    table: "django_content_type",
    pk: { column: "id", kind: "int" },
    fields: [
      { name: "app_label", column: "app_label", kind: "string", maxLength: 100, default: "" },
      { name: "model", column: "model", kind: "string", maxLength: 100, default: "" },
    ],
    naturalKey: ["app_label", "model"],
  },
  {
    label: "auth.permission",
    className: "Permission",
    table: "auth_permission",
    pk: { column: "id", kind: "int" },
    fields: [
      { name: "name", column: "name", kind: "string", maxLength: 255, default: "" },
      {
        name: "content_type",
        column: "content_type_id",
        kind: "fk",
        target: "contenttypes.contenttype",
      },
      { name: "codename", column: "codename", kind: "string", maxLength: 100, default: "" },
    ],
    naturalKey: ["codename", "content_type"],
  },
  {
    label: "auth.group",
    className: "Group",
    table: "auth_group",
    pk: { column: "id", kind: "int" },
    fields: [
      { name: "name", column: "name", kind: "string", maxLength: 150, default: "" },
      {
        name: "permissions",
        column: "",
        kind: "m2m",
        target: "auth.permission",
        through: { table: "auth_group_permissions", own: "group_id", other: "permission_id" },
      },
    ],
    naturalKey: ["name"],
  },
  {
    label: "auth.user",
    className: "User",
    table: "auth_user",
    pk: { column: "id", kind: "int" },
    fields: [
      { name: "password", column: "password", kind: "string", maxLength: 128, default: "" },
      { name: "last_login", column: "last_login", kind: "datetime?", default: null },
      { name: "is_superuser", column: "is_superuser", kind: "bool", default: false },
      { name: "username", column: "username", kind: "string", maxLength: 150, default: "" },
      { name: "first_name", column: "first_name", kind: "string", maxLength: 150, default: "" },
      { name: "last_name", column: "last_name", kind: "string", maxLength: 150, default: "" },
      { name: "email", column: "email", kind: "string", maxLength: 254, default: "" },
      { name: "is_staff", column: "is_staff", kind: "bool", default: false },
      { name: "is_active", column: "is_active", kind: "bool", default: true },
      { name: "date_joined", column: "date_joined", kind: "datetime", default: "now" },
      {
        name: "groups",
        column: "",
        kind: "m2m",
        target: "auth.group",
        through: { table: "auth_user_groups", own: "user_id", other: "group_id" },
      },
      {
        name: "user_permissions",
        column: "",
        kind: "m2m",
        target: "auth.permission",
        through: { table: "auth_user_user_permissions", own: "user_id", other: "permission_id" },
      },
    ],
    naturalKey: ["username"],
  },
  {
    label: "sessions.session",
    className: "Session",
    table: "django_session",
    pk: { column: "session_key", kind: "string", maxLength: 40 },
    fields: [
      { name: "session_data", column: "session_data", kind: "string" },
      { name: "expire_date", column: "expire_date", kind: "datetime" },
    ],
    naturalKey: [],
  },
];

const APPS = ["contenttypes", "auth", "sessions"];

/**
 * The models `labels` name (`auth`, `auth.user`, `auth.User`, …; none = all), in dump order.
 * @throws {CommandFailure} for an unknown app or model, as Django's messages.
 */
export function selectModels(labels: readonly string[]): ModelSpec[] {
  if (labels.length === 0) return [...MODELS];
  const chosen = new Set<ModelSpec>();
  for (const label of labels) {
    const [app, model, extra] = label.split(".");
    if (extra !== undefined || app === undefined || app === "")
      throw new CommandFailure(`unknown model: ${label}`);
    if (!APPS.includes(app)) throw new CommandFailure(`no installed app with label '${app}'`);
    if (model === undefined) {
      for (const m of MODELS) if (m.label.startsWith(`${app}.`)) chosen.add(m);
      continue;
    }
    const found = MODELS.find((m) => m.label === `${app}.${model.toLowerCase()}`);
    if (found === undefined) throw new CommandFailure(`unknown model: ${label}`);
    chosen.add(found);
  }
  return MODELS.filter((m) => chosen.has(m));
}

/** A fixture or row value as text for messages and parsing: JSON for anything structured. */
export function scalarText(value: unknown): string {
  if (typeof value === "string") return value;
  if (
    value === null ||
    value === undefined ||
    typeof value === "number" ||
    typeof value === "bigint" ||
    typeof value === "boolean"
  )
    return String(value);
  if (value instanceof Date) return value.toISOString();
  return JSON.stringify(value);
}

/** `DjangoJSONEncoder` of an aware UTC datetime, from naive UTC text `YYYY-MM-DD HH:MM:SS[.ffffff]`. */
export function djangoDateTime(text: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.(\d+))?/.exec(text);
  if (m === null)
    throw new CommandFailure(`unreadable datetime in the database: ${text.slice(0, 40)}`);
  const fraction = (m[3] ?? "").padEnd(6, "0").slice(0, 6);
  const ms = /^0+$/.test(fraction) || fraction === "" ? "" : `.${fraction.slice(0, 3)}`;
  return `${m[1]}T${m[2]}${ms}Z`;
}

// ---------------------------------------------------------------------------------------------
// dumpdata

/** Options of {@link dumpFixtures}. */
export interface DumpOptions {
  readonly models: readonly ModelSpec[];
  readonly pks: readonly string[] | undefined;
  readonly indent: number | undefined;
  readonly naturalForeign: boolean;
  /** End with a newline even without an indent (Django 6.0+'s JSON serializer). */
  readonly finalNewline: boolean;
  readonly write: (chunk: string) => void;
  readonly onObject?: () => void;
}

/** Streams the fixture (in pk order, in batches). Resolves the number of objects. */
export async function dumpFixtures(
  database: ManagedDatabase,
  options: DumpOptions,
): Promise<number> {
  const { indent, write } = options;
  const tables = new Set(await listTables(database));
  for (const model of options.models) {
    if (!tables.has(model.table)) {
      throw new CommandFailure(
        `table ${model.table} (${model.label}) does not exist: run 'sessionbridge migrate' first`,
      );
    }
  }
  const naturalKeys = options.naturalForeign ? await loadNaturalKeys(database) : undefined;
  write("[");
  if (indent !== undefined) write("\n");
  let count = 0;
  for (const model of options.models) {
    for await (const object of iterateObjects(database, model, options.pks, naturalKeys)) {
      if (count > 0) write(indent === undefined ? ", " : ",\n");
      // Django's serializer: json.dump(obj, indent=indent, ensure_ascii=False).
      write(
        dumpsPythonJson(object, {
          ensureAscii: false,
          ...(indent === undefined ? {} : { indent }),
        }),
      );
      count++;
      options.onObject?.();
    }
  }
  if (indent !== undefined) write("\n");
  write("]");
  if (indent !== undefined || options.finalNewline) write("\n");
  return count;
}

interface NaturalKeys {
  readonly contentTypes: Map<number, [string, string]>;
  readonly permissions: Map<number, [string, string, string]>;
  readonly groups: Map<number, [string]>;
}

async function loadNaturalKeys(database: ManagedDatabase): Promise<NaturalKeys> {
  const q = database.q;
  const contentTypes = new Map<number, [string, string]>();
  for (const r of await database.query(
    `SELECT ${q("id")} AS id, ${q("app_label")} AS app_label, ${q("model")} AS model FROM ${q("django_content_type")}`,
    [],
  )) {
    contentTypes.set(Number(r["id"]), [String(r["app_label"]), String(r["model"])]);
  }
  const permissions = new Map<number, [string, string, string]>();
  for (const r of await database.query(
    `SELECT ${q("id")} AS id, ${q("codename")} AS codename, ${q("content_type_id")} AS ct FROM ${q("auth_permission")}`,
    [],
  )) {
    const ct = contentTypes.get(Number(r["ct"]));
    if (ct !== undefined) permissions.set(Number(r["id"]), [String(r["codename"]), ct[0], ct[1]]);
  }
  const groups = new Map<number, [string]>();
  for (const r of await database.query(
    `SELECT ${q("id")} AS id, ${q("name")} AS name FROM ${q("auth_group")}`,
    [],
  )) {
    groups.set(Number(r["id"]), [String(r["name"])]);
  }
  return { contentTypes, permissions, groups };
}

function columnSelect(database: ManagedDatabase, field: FieldSpec): string {
  return field.kind === "datetime" || field.kind === "datetime?"
    ? `${dateTextSql(database, field.column)} AS ${database.q(field.column)}`
    : database.q(field.column);
}

async function* iterateObjects(
  database: ManagedDatabase,
  model: ModelSpec,
  pks: readonly string[] | undefined,
  naturalKeys: NaturalKeys | undefined,
): AsyncIterable<PyDict> {
  const q = database.q;
  const pk = model.pk.column;
  const columns = [
    q(pk),
    ...model.fields.filter((f) => f.kind !== "m2m").map((f) => columnSelect(database, f)),
  ].join(", ");
  const batch = 1000;
  let after: string | number = model.pk.kind === "int" ? -2147483648 : "";
  for (;;) {
    const where =
      pks === undefined
        ? `${q(pk)} > ${database.p(1)}`
        : `${q(pk)} > ${database.p(1)} AND ${q(pk)} IN (${pks.map((_, i) => database.p(i + 2)).join(", ")})`;
    const params = [after, ...(pks ?? []).map((v) => (model.pk.kind === "int" ? Number(v) : v))];
    const rows = await database.query(
      `SELECT ${columns} FROM ${q(model.table)} WHERE ${where} ORDER BY ${q(pk)} LIMIT ${batch}`,
      params,
    );
    const m2m = await loadManyToMany(
      database,
      model,
      rows.map((r) => Number(r[pk])),
      naturalKeys,
    );
    for (const row of rows) {
      const fields: PyDict = {};
      for (const field of model.fields) {
        const value = row[field.column];
        switch (field.kind) {
          case "string":
            fields[field.name] = String(value);
            break;
          case "bool":
            fields[field.name] = sqlBoolean(value);
            break;
          case "datetime":
          case "datetime?":
            fields[field.name] =
              value === null || value === undefined ? null : djangoDateTime(scalarText(value));
            break;
          case "fk": {
            const id = Number(value);
            fields[field.name] =
              naturalKeys === undefined ? id : (naturalKeys.contentTypes.get(id) ?? id);
            break;
          }
          case "m2m":
            fields[field.name] = m2m.get(field.name)?.get(Number(row[pk])) ?? [];
            break;
        }
      }
      yield {
        model: model.label,
        pk: model.pk.kind === "int" ? Number(row[pk]) : String(row[pk]),
        fields,
      };
    }
    if (rows.length < batch) return;
    const last = rows[rows.length - 1]![pk];
    after = model.pk.kind === "int" ? Number(last) : String(last);
  }
}

async function loadManyToMany(
  database: ManagedDatabase,
  model: ModelSpec,
  ids: readonly number[],
  naturalKeys: NaturalKeys | undefined,
): Promise<Map<string, Map<number, PyValue[]>>> {
  const out = new Map<string, Map<number, PyValue[]>>();
  const q = database.q;
  for (const field of model.fields) {
    if (field.kind !== "m2m" || field.through === undefined || ids.length === 0) continue;
    const { table, own, other } = field.through;
    // Permission's Meta.ordering (content type app label, model, codename); groups by id.
    const sql =
      field.target === "auth.permission"
        ? `SELECT t.${q(own)} AS own, t.${q(other)} AS other FROM ${q(table)} t JOIN ${q("auth_permission")} p ON p.${q("id")} = t.${q(other)} JOIN ${q("django_content_type")} c ON c.${q("id")} = p.${q("content_type_id")} WHERE t.${q(own)} IN (${ids.map((_, i) => database.p(i + 1)).join(", ")}) ORDER BY c.${q("app_label")}, c.${q("model")}, p.${q("codename")}`
        : `SELECT t.${q(own)} AS own, t.${q(other)} AS other FROM ${q(table)} t WHERE t.${q(own)} IN (${ids.map((_, i) => database.p(i + 1)).join(", ")}) ORDER BY t.${q(other)}`;
    const byOwner = new Map<number, PyValue[]>();
    for (const row of await database.query(sql, ids)) {
      const id = Number(row["other"]);
      const value =
        naturalKeys === undefined
          ? id
          : field.target === "auth.permission"
            ? (naturalKeys.permissions.get(id) ?? id)
            : (naturalKeys.groups.get(id) ?? id);
      const list = byOwner.get(Number(row["own"])) ?? [];
      list.push(value);
      byOwner.set(Number(row["own"]), list);
    }
    out.set(field.name, byOwner);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// loaddata

/** A fixture object checked and converted to column values. */
interface LoadRow {
  readonly index: number;
  readonly model: ModelSpec;
  /** `undefined`: no pk given (natural key or a new row). */
  pk: number | string | undefined;
  readonly columns: Map<string, string | number | null>;
  /** Unresolved FK / M2M references, resolved after every row is known. */
  readonly fk: Map<string, unknown>;
  readonly m2m: Map<string, unknown[]>;
}

/** Thrown for a bad fixture row: one line naming the file and the row. */
export class FixtureError extends CommandFailure {}

function rowError(
  file: string,
  index: number,
  model: string | undefined,
  pk: unknown,
  message: string,
): FixtureError {
  const what =
    model === undefined
      ? ""
      : ` (${model}${pk === undefined || pk === null ? "" : ` pk ${JSON.stringify(pk)}`})`;
  return new FixtureError(`${file}: object #${index + 1}${what}: ${message}; nothing was loaded`);
}

/** Django's `DateTimeField.to_python` for fixture text: ISO with `Z`, an offset, or naive (= UTC). */
export function parseFixtureDateTime(text: string): Date | null {
  const m =
    /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:[.,](\d{1,6})\d*)?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/.exec(
      text.trim(),
    );
  if (m === null) return null;
  const [, y, mo, d, h = "0", mi = "0", s = "0", frac = "", tz] = m;
  const ms = Number(frac.padEnd(3, "0").slice(0, 3));
  let time = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms);
  const check = new Date(time);
  if (
    check.getUTCDate() !== Number(d) ||
    check.getUTCMonth() !== Number(mo) - 1 ||
    Number(h) > 23 ||
    Number(mi) > 59 ||
    Number(s) > 59
  )
    return null;
  if (tz !== undefined && tz !== "Z") {
    const sign = tz.startsWith("-") ? -1 : 1;
    const digits = tz.slice(1).replace(":", "");
    const offset = (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || "0")) * 60_000;
    time -= sign * offset;
  }
  return new Date(time);
}

/**
 * Parses and checks a fixture: every object must name a known model and carry valid fields.
 * @throws {FixtureError} naming the file and the object.
 */
export function parseFixture(file: string, text: string, now: Date): LoadRow[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new FixtureError(
      `${file}: not valid JSON (${error instanceof Error ? error.message.split("\n")[0] : "parse error"}); nothing was loaded`,
    );
  }
  if (!Array.isArray(parsed))
    throw new FixtureError(`${file}: a fixture must be a JSON list of objects; nothing was loaded`);
  return parsed.map((item: unknown, index) => {
    if (item === null || typeof item !== "object" || Array.isArray(item)) {
      throw rowError(file, index, undefined, undefined, "not an object");
    }
    const object = item as Record<string, unknown>;
    const label = object["model"];
    if (typeof label !== "string")
      throw rowError(file, index, undefined, undefined, 'missing "model"');
    const model = MODELS.find((m) => m.label === label.toLowerCase());
    if (model === undefined)
      throw rowError(file, index, label, object["pk"], `Invalid model identifier: '${label}'`);
    const fail = (message: string): FixtureError =>
      rowError(file, index, model.label, object["pk"], message);
    for (const key of Object.keys(object)) {
      if (!["model", "pk", "fields"].includes(key)) throw fail(`unexpected key "${key}"`);
    }
    let pk: number | string | undefined;
    const rawPk = object["pk"];
    if (rawPk !== undefined && rawPk !== null) {
      if (model.pk.kind === "int") {
        const n = typeof rawPk === "string" && /^\d+$/.test(rawPk) ? Number(rawPk) : rawPk;
        if (typeof n !== "number" || !Number.isSafeInteger(n))
          throw fail(`“${scalarText(rawPk)}” value must be an integer.`);
        pk = n;
      } else {
        if (typeof rawPk !== "string" || rawPk === "") throw fail("pk must be a non-empty string");
        if (model.pk.maxLength !== undefined && [...rawPk].length > model.pk.maxLength)
          throw fail(`pk is longer than ${model.pk.maxLength} characters`);
        pk = rawPk;
      }
    } else if (model.pk.kind === "string") {
      throw fail("a session needs its pk (session_key)");
    }
    const fieldsValue = object["fields"] ?? {};
    if (typeof fieldsValue !== "object" || Array.isArray(fieldsValue))
      throw fail('"fields" must be an object');
    const given = fieldsValue as Record<string, unknown>;
    const row: LoadRow = { index, model, pk, columns: new Map(), fk: new Map(), m2m: new Map() };
    for (const name of Object.keys(given)) {
      if (!model.fields.some((f) => f.name === name))
        throw fail(`${model.className} has no field named '${name}'`);
    }
    for (const field of model.fields) {
      const present = Object.prototype.hasOwnProperty.call(given, field.name);
      const value = given[field.name];
      switch (field.kind) {
        case "string": {
          if (!present) {
            if (field.default === undefined) throw fail(`field '${field.name}' is required`);
            row.columns.set(field.column, field.default as string);
            break;
          }
          if (typeof value !== "string") throw fail(`field '${field.name}' must be a string`);
          if (field.maxLength !== undefined && [...value].length > field.maxLength) {
            throw fail(
              `field '${field.name}': Ensure this value has at most ${field.maxLength} characters (it has ${[...value].length}).`,
            );
          }
          row.columns.set(field.column, value);
          break;
        }
        case "bool": {
          const v = present ? value : field.default;
          if (v === true || v === "true" || v === "True" || v === "1" || v === 1)
            row.columns.set(field.column, 1);
          else if (v === false || v === "false" || v === "False" || v === "0" || v === 0)
            row.columns.set(field.column, 0);
          else
            throw fail(`field '${field.name}': “${String(v)}” value must be either True or False.`);
          break;
        }
        case "datetime":
        case "datetime?": {
          if (!present || value === null) {
            const fallback = present ? null : field.default;
            if (fallback === null && field.kind === "datetime?") {
              row.columns.set(field.column, null);
              break;
            }
            if (fallback === "now") {
              row.columns.set(field.column, `@${now.toISOString()}`);
              break;
            }
            throw fail(`field '${field.name}' cannot be null`);
          }
          const date = typeof value === "string" ? parseFixtureDateTime(value) : null;
          if (date === null) {
            throw fail(
              `field '${field.name}': “${scalarText(value)}” value has an invalid format. It must be in YYYY-MM-DD HH:MM[:ss[.uuuuuu]][TZ] format.`,
            );
          }
          row.columns.set(field.column, `@${date.toISOString()}`);
          break;
        }
        case "fk": {
          if (!present || value === null) throw fail(`field '${field.name}' cannot be null`);
          row.fk.set(field.name, value);
          break;
        }
        case "m2m": {
          if (!present) break;
          if (!Array.isArray(value)) throw fail(`field '${field.name}' must be a list`);
          row.m2m.set(field.name, value);
          break;
        }
      }
    }
    return row;
  });
}

/**
 * Loads checked rows in one transaction: upserts by pk (or natural key), then foreign keys and
 * many-to-many sets are resolved (against the database and the fixture itself) and written.
 * Any problem rolls everything back. Resolves the number of objects.
 */
export async function loadFixtureRows(
  database: ManagedDatabase,
  file: string,
  rows: LoadRow[],
): Promise<number> {
  const tables = new Set(await listTables(database));
  for (const row of rows) {
    if (!tables.has(row.model.table)) {
      throw new FixtureError(
        `${file}: table ${row.model.table} for ${row.model.label} does not exist: run 'sessionbridge migrate' first; nothing was loaded`,
      );
    }
  }
  const q = database.q;
  const p = database.p;
  const fail = (row: LoadRow, message: string): FixtureError =>
    rowError(file, row.index, row.model.label, row.pk, message);
  const dateValue = (value: string | number | null): string | number | null =>
    typeof value === "string" && value.startsWith("@")
      ? dateParam(database, new Date(value.slice(1)))
      : value;
  if (database.dialect === "mysql") await database.execute("SET foreign_key_checks = 0", []);
  try {
    await database.transaction(async () => {
      // Content types first: permissions refer to them by natural key.
      const order = [...rows].sort(
        (a, b) => MODELS.indexOf(a.model) - MODELS.indexOf(b.model) || a.index - b.index,
      );
      for (const row of order) {
        const model = row.model;
        // Foreign keys (content_type) are resolved as soon as content types are in.
        for (const [name, ref] of row.fk) {
          const id = await resolveRef(database, "contenttypes.contenttype", ref);
          if (id === null)
            throw fail(
              row,
              `field '${name}': ${JSON.stringify(ref)} does not match any content type`,
            );
          row.columns.set(model.fields.find((f) => f.name === name)!.column, id);
        }
        if (row.pk === undefined && model.naturalKey.length > 0) {
          row.pk = (await findByNaturalKey(database, model, row)) ?? undefined;
        }
        const columns = [...row.columns.keys()];
        const values = columns.map((c) => dateValue(row.columns.get(c)!));
        try {
          if (row.pk !== undefined) {
            const exists =
              (
                await database.query(
                  `SELECT 1 AS x FROM ${q(model.table)} WHERE ${q(model.pk.column)} = ${p(1)}`,
                  [row.pk],
                )
              ).length > 0;
            if (exists) {
              await database.execute(
                `UPDATE ${q(model.table)} SET ${columns.map((c, i) => `${q(c)} = ${p(i + 1)}`).join(", ")} WHERE ${q(model.pk.column)} = ${p(columns.length + 1)}`,
                [...values, row.pk],
              );
            } else {
              await database.execute(
                `INSERT INTO ${q(model.table)} (${[model.pk.column, ...columns].map(q).join(", ")}) VALUES (${[row.pk, ...values].map((_, i) => p(i + 1)).join(", ")})`,
                [row.pk, ...values],
              );
            }
          } else {
            const sql = `INSERT INTO ${q(model.table)} (${columns.map(q).join(", ")}) VALUES (${columns.map((_, i) => p(i + 1)).join(", ")})`;
            if (database.dialect === "postgres") {
              row.pk = Number(
                (await database.query(`${sql} RETURNING ${q("id")} AS id`, values))[0]?.["id"],
              );
            } else {
              await database.execute(sql, values);
              row.pk = Number(
                (
                  await database.query(
                    database.dialect === "mysql"
                      ? "SELECT LAST_INSERT_ID() AS id"
                      : "SELECT last_insert_rowid() AS id",
                    [],
                  )
                )[0]?.["id"],
              );
            }
          }
        } catch (error) {
          if (error instanceof FixtureError) throw error;
          const reason =
            error instanceof Error
              ? error.message.replace(/^SQL session store \(\w+\) failed: /, "")
              : String(error);
          throw fail(row, `could not be saved: ${reason}`);
        }
      }
      for (const row of order) {
        for (const [name, refs] of row.m2m) {
          const field = row.model.fields.find((f) => f.name === name)!;
          const through = field.through!;
          const ids: number[] = [];
          for (const ref of refs) {
            const id = await resolveRef(database, field.target!, ref);
            if (id === null)
              throw fail(
                row,
                `field '${name}': ${JSON.stringify(ref)} does not match any ${field.target}`,
              );
            if (!ids.includes(id)) ids.push(id);
          }
          await database.execute(
            `DELETE FROM ${q(through.table)} WHERE ${q(through.own)} = ${p(1)}`,
            [row.pk!],
          );
          for (const id of ids) {
            await database.execute(
              `INSERT INTO ${q(through.table)} (${q(through.own)}, ${q(through.other)}) VALUES (${p(1)}, ${p(2)})`,
              [row.pk!, id],
            );
          }
        }
      }
      await checkForeignKeys(database, file);
      if (database.dialect === "postgres") {
        for (const model of new Set(rows.map((r) => r.model))) {
          if (model.pk.kind !== "int") continue;
          await database.query(
            `SELECT setval(pg_get_serial_sequence('${q(model.table)}', 'id'), coalesce(max(${q("id")}), 1), max(${q("id")}) IS NOT null) FROM ${q(model.table)}`,
            [],
          );
        }
      }
    });
  } finally {
    if (database.dialect === "mysql")
      await database.execute("SET foreign_key_checks = 1", []).catch(() => 0);
  }
  return rows.length;
}

async function checkForeignKeys(database: ManagedDatabase, file: string): Promise<void> {
  const q = database.q;
  const checks: [string, string, string][] = [
    ["auth_permission", "content_type_id", "django_content_type"],
    ["auth_group_permissions", "group_id", "auth_group"],
    ["auth_group_permissions", "permission_id", "auth_permission"],
    ["auth_user_groups", "user_id", "auth_user"],
    ["auth_user_groups", "group_id", "auth_group"],
    ["auth_user_user_permissions", "user_id", "auth_user"],
    ["auth_user_user_permissions", "permission_id", "auth_permission"],
  ];
  for (const [table, column, target] of checks) {
    const rows = await database.query(
      `SELECT t.${q(column)} AS ref FROM ${q(table)} t LEFT JOIN ${q(target)} r ON r.${q("id")} = t.${q(column)} WHERE r.${q("id")} IS NULL LIMIT 1`,
      [],
    );
    if (rows.length > 0) {
      throw new FixtureError(
        `${file}: ${table}.${column} = ${String(rows[0]!["ref"])} refers to a missing ${target} row; nothing was loaded`,
      );
    }
  }
}

async function resolveRef(
  database: ManagedDatabase,
  target: string,
  ref: unknown,
): Promise<number | null> {
  const q = database.q;
  const p = database.p;
  if (typeof ref === "number" && Number.isSafeInteger(ref)) {
    const table = MODELS.find((m) => m.label === target)!.table;
    const rows = await database.query(
      `SELECT ${q("id")} AS id FROM ${q(table)} WHERE ${q("id")} = ${p(1)}`,
      [ref],
    );
    return rows.length > 0 ? ref : null;
  }
  if (!Array.isArray(ref) || !ref.every((v) => typeof v === "string")) return null;
  const parts = ref;
  let rows;
  if (target === "contenttypes.contenttype" && parts.length === 2) {
    rows = await database.query(
      `SELECT ${q("id")} AS id FROM ${q("django_content_type")} WHERE ${q("app_label")} = ${p(1)} AND ${q("model")} = ${p(2)}`,
      parts,
    );
  } else if (target === "auth.permission" && parts.length === 3) {
    rows = await database.query(
      `SELECT p.${q("id")} AS id FROM ${q("auth_permission")} p JOIN ${q("django_content_type")} c ON c.${q("id")} = p.${q("content_type_id")} WHERE p.${q("codename")} = ${p(1)} AND c.${q("app_label")} = ${p(2)} AND c.${q("model")} = ${p(3)}`,
      parts,
    );
  } else if (target === "auth.group" && parts.length === 1) {
    rows = await database.query(
      `SELECT ${q("id")} AS id FROM ${q("auth_group")} WHERE ${q("name")} = ${p(1)}`,
      parts,
    );
  } else {
    return null;
  }
  return rows[0] === undefined ? null : Number(rows[0]["id"]);
}

async function findByNaturalKey(
  database: ManagedDatabase,
  model: ModelSpec,
  row: LoadRow,
): Promise<number | null> {
  const q = database.q;
  const p = database.p;
  let rows;
  switch (model.label) {
    case "auth.user":
      rows = await database.query(
        `SELECT ${q("id")} AS id FROM ${q("auth_user")} WHERE ${q("username")} = ${p(1)}`,
        [row.columns.get("username") ?? ""],
      );
      break;
    case "auth.group":
      rows = await database.query(
        `SELECT ${q("id")} AS id FROM ${q("auth_group")} WHERE ${q("name")} = ${p(1)}`,
        [row.columns.get("name") ?? ""],
      );
      break;
    case "contenttypes.contenttype":
      rows = await database.query(
        `SELECT ${q("id")} AS id FROM ${q("django_content_type")} WHERE ${q("app_label")} = ${p(1)} AND ${q("model")} = ${p(2)}`,
        [row.columns.get("app_label") ?? "", row.columns.get("model") ?? ""],
      );
      break;
    case "auth.permission":
      rows = await database.query(
        `SELECT ${q("id")} AS id FROM ${q("auth_permission")} WHERE ${q("codename")} = ${p(1)} AND ${q("content_type_id")} = ${p(2)}`,
        [row.columns.get("codename") ?? "", row.columns.get("content_type_id") ?? 0],
      );
      break;
    default:
      return null;
  }
  return rows[0] === undefined ? null : Number(rows[0]["id"]);
}
