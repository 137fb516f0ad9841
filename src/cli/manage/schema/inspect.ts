/**
 * Whether an existing table has the shape of Django's final schema (`tables.ts`): columns,
 * canonical types and nullability, as the database describes them.
 */
import type { SqlDatabase } from "../../../internal/sql/database.ts";
import { TABLES, type ColumnType } from "./tables.ts";

/** A column as the database describes it, in canonical form. */
interface ActualColumn {
  readonly name: string;
  readonly type: string;
  readonly nullable: boolean;
}

async function describeTable(database: SqlDatabase, table: string): Promise<ActualColumn[]> {
  switch (database.dialect) {
    case "sqlite": {
      const rows = await database.query(`PRAGMA table_info("${table}")`, []);
      return rows.map((r) => ({
        name: String(r["name"]),
        type: canonicalType(String(r["type"])),
        nullable: Number(r["notnull"]) === 0 && Number(r["pk"]) === 0,
      }));
    }
    case "postgres": {
      const rows = await database.query(
        "SELECT column_name, data_type, character_maximum_length, is_nullable FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
        [table],
      );
      return rows.map((r) => {
        const length = r["character_maximum_length"];
        const base = String(r["data_type"]);
        return {
          name: String(r["column_name"]),
          type: canonicalType(base === "character varying" ? `varchar(${String(length)})` : base),
          nullable: r["is_nullable"] === "YES",
        };
      });
    }
    case "mysql": {
      const rows = await database.query(
        "SELECT COLUMN_NAME AS name, COLUMN_TYPE AS type, IS_NULLABLE AS nullable FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION",
        [table],
      );
      return rows.map((r) => ({
        name: String(r["name"]),
        type: canonicalType(String(r["type"])),
        nullable: r["nullable"] === "YES",
      }));
    }
  }
}

function canonicalType(declared: string): string {
  const t = declared.trim().toLowerCase();
  if (/^(integer|int|int4|serial|int\(\d+\))$/.test(t)) return "int";
  if (/^(bigint|int8|bigserial|bigint\(\d+\))$/.test(t)) return "bigint";
  if (/^(bool|boolean|tinyint\(1\))$/.test(t)) return "bool";
  if (/^(datetime|datetime\(6\)|timestamp with time zone|timestamptz)$/.test(t)) return "datetime";
  if (/^(text|longtext)$/.test(t)) return "text";
  const varchar = /^(?:varchar|character varying)\((\d+)\)$/.exec(t);
  if (varchar) return `varchar(${varchar[1]})`;
  return t;
}

function accepts(expected: ColumnType, actual: string): boolean {
  if (expected === "autoint") return actual === "int";
  // Django's AutoField or BigAutoField, depending on the project's DEFAULT_AUTO_FIELD.
  if (expected === "autobig") return actual === "int" || actual === "bigint";
  return expected === actual;
}

/** Why an existing table does not have Django's final shape, or `null` when it does. */
export async function shapeProblem(database: SqlDatabase, table: string): Promise<string | null> {
  const spec = TABLES.find((t) => t.name === table);
  if (spec === undefined) return null;
  const actual = await describeTable(database, table);
  const problems: string[] = [];
  for (const column of spec.columns) {
    const found = actual.find((c) => c.name === column.name);
    if (found === undefined) {
      problems.push(`column ${column.name} is missing`);
      continue;
    }
    if (!accepts(column.type, found.type)) {
      const expected = column.type.startsWith("auto") ? "an integer id" : column.type;
      problems.push(`column ${column.name} is ${found.type}, expected ${expected}`);
    } else if (found.nullable !== (column.nullable === true)) {
      problems.push(
        `column ${column.name} is ${found.nullable ? "" : "NOT "}NULL, expected ${column.nullable === true ? "" : "NOT "}NULL`,
      );
    }
  }
  for (const column of actual) {
    if (!spec.columns.some((c) => c.name === column.name))
      problems.push(`it has an extra column ${column.name}`);
  }
  return problems.length === 0 ? null : problems.join("; ");
}
