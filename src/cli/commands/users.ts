/** `sessionbridge users list`: the rows of auth_user, or of the `AUTH_USER_MODEL`'s table. */
import type { Command } from "../command.ts";
import { UsageError } from "../command.ts";
import { CONFIG_HELP } from "../manage/config.ts";
import { parseManageArgs, withDatabase } from "../manage/common.ts";
import { isPasswordUsable } from "../../auth/hashers/random.ts";
import { streamRows, type OutputRow } from "../manage/output.ts";
import { requireAuthTables, userSource } from "../manage/users.ts";

export const usersCommand: Command = {
  name: "users",
  summary: "List the users of auth_user (or of AUTH_USER_MODEL)",
  help: `Usage: sessionbridge users list [--json] [options]

Lists auth_user (or the table of a custom AUTH_USER_MODEL, see below) in key order: id,
username (the USERNAME_FIELD), email, staff, superuser, active, last login and date joined.
Password hashes are never printed (only whether the password is usable). Users are read in
pages and written as the reader takes them (a slow pipe holds the walk, not memory); if the
walk fails midway, the output so far stays valid (the JSON array is closed) and the command
exits 1 saying how many users it holds.

Options:
  --json       print a JSON array of users
  -h, --help   show this help

${CONFIG_HELP}
Examples:
  sessionbridge users list
  AUTH_USER_MODEL=accounts.Member AUTH_USER_PK=uuid sessionbridge users list
  sessionbridge users list --json | jq '.[] | select(.is_superuser) | .username'
`,
  async run({ args, env, stdout }) {
    const { values, positionals, config } = parseManageArgs(args, env, {
      json: { type: "boolean" },
    });
    if (positionals[0] !== "list") {
      throw new UsageError(
        positionals.length === 0
          ? "missing subcommand (list)"
          : `unknown subcommand "${positionals[0]}"`,
      );
    }
    if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}"`);
    await withDatabase(config, async (database) => {
      await requireAuthTables(database, config.userModel);
      const source = userSource(database, config.userModel);
      const yes = (b: boolean): string => (b ? "yes" : "no");
      async function* rows(): AsyncIterable<OutputRow> {
        for await (const user of source.listUsers()) {
          yield {
            json: {
              id: user.id,
              username: user.username,
              email: user.email,
              first_name: user.firstName,
              last_name: user.lastName,
              is_staff: user.isStaff,
              is_superuser: user.isSuperuser,
              is_active: user.isActive,
              has_usable_password: isPasswordUsable(user.password),
              last_login: user.lastLogin?.toISOString() ?? null,
              date_joined: user.dateJoined?.toISOString() ?? null,
            },
            text: [
              user.id,
              user.username,
              user.email || "-",
              yes(user.isStaff),
              yes(user.isSuperuser),
              yes(user.isActive),
              user.lastLogin?.toISOString() ?? "never",
              user.dateJoined?.toISOString() ?? "-",
            ].join("\t"),
          };
        }
      }
      await streamRows(stdout, rows(), {
        json: values.json === true,
        header: [
          "ID",
          "USERNAME",
          "EMAIL",
          "STAFF",
          "SUPERUSER",
          "ACTIVE",
          "LAST LOGIN",
          "JOINED",
        ].join("\t"),
        noun: "users",
      });
    });
  },
};
