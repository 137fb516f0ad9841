/**
 * `sessionbridge changepassword USERNAME`: Django's `changepassword`, then every session of the
 * user is deleted from the configured store.
 */
import { userInfo } from "node:os";
import { setPassword } from "../../auth/set-password.ts";
import type { Command } from "../command.ts";
import { CommandFailure, UsageError } from "../command.ts";
import { CONFIG_HELP, requireSecretKey } from "../manage/config.ts";
import {
  hasherVersion,
  parseManageArgs,
  watchStop,
  withDatabase,
  writeJson,
} from "../manage/common.ts";
import { canPrompt, createPrompter } from "../manage/prompt.ts";
import { revokeInConfiguredStore } from "../manage/revoke.ts";
import { describeLookup } from "../manage/index-command.ts";
import { passwordProblems, requireAuthTables, userSource } from "../manage/users.ts";

const MAX_TRIES = 3;

export const changepasswordCommand: Command = {
  name: "changepassword",
  summary: "Change a user's password and log out all of that user's sessions",
  help: `Usage: sessionbridge changepassword [USERNAME] [--json] [options]

Sets a new password for USERNAME (default: the current OS user, as Django does), hashed with
the configured Django's default hasher. Interactively (a terminal) it asks for the password
twice without echoing it, with three attempts; otherwise it reads SESSIONBRIDGE_PASSWORD.

Changing the password changes the user's session auth hash, which already invalidates every
session the user has (Django logs them out on their next request). The command also deletes
those sessions from the configured session store (SESSION_STORE): it walks the store in
batches (SQL pages, Redis SCAN), decodes each session and deletes those whose _auth_user_id
is the user's. Signed-cookie sessions cannot be deleted (they live in the browser); the hash
change still invalidates them.

USERNAME is the value of the user model's USERNAME_FIELD: with a custom AUTH_USER_MODEL (for
example AUTH_USER_MODEL=accounts.Member AUTH_USER_PK=uuid) its table is used and its sessions
are matched by its key (a UUID key in any form Django's UUIDField accepts).

Options:
  --json       print {"username", "id", "sessions_deleted"} as JSON
  -h, --help   show this help

${CONFIG_HELP}  SESSIONBRIDGE_PASSWORD    the new password, without prompting

Examples:
  sessionbridge changepassword alice
  SESSIONBRIDGE_PASSWORD=… sessionbridge changepassword --user-model accounts.Member alice
  SESSIONBRIDGE_PASSWORD=… SESSION_STORE=cache REDIS_URL=redis://cache:6379/1 sessionbridge changepassword alice
`,
  async run({ args, env, stdout, stderr, stopSignal }) {
    const { values, positionals, config } = parseManageArgs(args, env, {
      json: { type: "boolean" },
    });
    if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}"`);
    const username = positionals[0] ?? userInfo().username;
    const fromEnv = env.SESSIONBRIDGE_PASSWORD;
    if ((fromEnv === undefined || fromEnv === "") && !canPrompt()) {
      throw new CommandFailure(
        "standard input is not a terminal: run it in a terminal, or set SESSIONBRIDGE_PASSWORD",
      );
    }
    const secret = config.sessionStore === "signed_cookies" ? "" : requireSecretKey(config);
    const djangoVersion = hasherVersion(config); // before any prompt
    const { user, users } = await withDatabase(config, async (database) => {
      await requireAuthTables(database, config.userModel);
      const users = userSource(database, config.userModel);
      const found = await users.getUserByUsername(username);
      if (found === null) throw new CommandFailure(`user '${username}' does not exist`);
      let password: string;
      if (fromEnv !== undefined && fromEnv !== "") {
        password = fromEnv;
      } else {
        if (values.json !== true) stdout.write(`Changing password for user '${username}'\n`);
        const prompter = createPrompter(process.stdin, stdout);
        try {
          password = await askPassword(prompter, username, found.email, stderr);
        } finally {
          prompter.close();
        }
      }
      // user.set_password(raw); user.save(): the preferred hasher of the configured Django.
      await setPassword(found, password, {
        users,
        secretKey: config.secretKey ?? "", // setPassword signs nothing
        djangoVersion,
      });
      if (values.json !== true)
        stdout.write(`Password changed successfully for user '${username}'\n`);
      return { user: found, users };
    });
    const revoked = await revokeInConfiguredStore(config, secret, user.sessionId, {
      // Django's pk.to_python: "007" in a session is user 7.
      normalizeId: (id) => users.normalizeId(id),
      stderr,
      env,
      stop: watchStop(stopSignal),
    });
    if (values.json === true) {
      writeJson(stdout, {
        username,
        id: user.id,
        sessions_deleted: revoked?.deleted ?? 0,
        ...(revoked === null ? {} : { sessions_via: revoked.via }),
      });
    } else if (revoked === null) {
      stdout.write(
        "Sessions are signed cookies: none stored; the changed password invalidates them.\n",
      );
    } else {
      stdout.write(
        `Deleted ${revoked.deleted} session${revoked.deleted === 1 ? "" : "s"} of user '${username}' from ${revoked.description} (${describeLookup(revoked.via, revoked.reason)})\n`,
      );
    }
  },
};

async function askPassword(
  prompter: ReturnType<typeof createPrompter>,
  username: string,
  email: string,
  stderr: NodeJS.WritableStream,
): Promise<string> {
  for (let attempt = 1; attempt <= MAX_TRIES; attempt++) {
    const password = await prompter.ask("Password: ", { hidden: true });
    const again = await prompter.ask("Password (again): ", { hidden: true });
    if (password !== again) {
      stderr.write("Passwords do not match. Please try again.\n");
      continue;
    }
    const problems =
      password === ""
        ? ["Blank passwords aren't allowed."]
        : passwordProblems(password, { username, email });
    if (problems.length > 0) {
      stderr.write(`${problems.join("\n")}\n`);
      continue;
    }
    return password;
  }
  throw new CommandFailure(
    `aborting password change for user '${username}' after ${MAX_TRIES} attempts`,
  );
}
