/**
 * `sessionbridge createuser` / `createsuperuser`: Django's `createsuperuser`, interactive
 * (hidden, confirmed password) or with `--no-input`.
 */
import { userInfo } from "node:os";
import { makePassword } from "../../auth/hashers/make.ts";
import type { Command, CommandContext } from "../command.ts";
import { CommandFailure, UsageError } from "../command.ts";
import { CONFIG_HELP } from "../manage/config.ts";
import { hasherVersion, parseManageArgs, withDatabase, writeJson } from "../manage/common.ts";
import { canPrompt, confirm, createPrompter, type Prompter } from "../manage/prompt.ts";
import type { DjangoUserSource } from "../../auth/django-user-source.ts";
import {
  createUserOrFail,
  emailProblem,
  normalizeEmail,
  normalizeUsername,
  passwordProblems,
  requireAuthTables,
  usernameProblem,
  userSource,
} from "../manage/users.ts";

function help(name: string, superuser: boolean): string {
  const what = superuser
    ? "a superuser (is_staff and is_superuser set)"
    : "a user (not staff, not superuser)";
  return `Usage: sessionbridge ${name} [--username NAME] [--email EMAIL] [--no-input] [--json] [options]

Creates ${what} in the user table (auth_user, or the table of
AUTH_USER_MODEL: see below), with the password hashed by the configured Django's default
hasher (DJANGO_VERSION: 5.2 → pbkdf2_sha256 1,000,000 iterations, 6.0 → 1,200,000,
6.1 → 1,500,000).

Interactively (standard input is a terminal) it asks for the username, the email address and
the password twice, without echoing it; passwords failing the startproject validators
(too short, entirely numeric, too similar to the username or email) need a confirmation.
Ctrl-C or Ctrl-D cancels.

With --no-input nothing is asked: the username comes from --username (or
DJANGO_SUPERUSER_USERNAME), the email from --email (or DJANGO_SUPERUSER_EMAIL), the password
from SESSIONBRIDGE_PASSWORD or DJANGO_SUPERUSER_PASSWORD, as Django reads it; without one the
user gets an unusable password (as Django does). Passwords are not validated then.

With a custom AUTH_USER_MODEL (its tables made by Django's migrate) the user gets the model's
key (a new uuid4 with AUTH_USER_PK=uuid) and --username is the value of its
AUTH_USERNAME_FIELD (also read from DJANGO_SUPERUSER_<FIELD>, as Django does); a model whose
USERNAME_FIELD is email takes the email as username. AUTH_USER_PK=string cannot be created here
(a text key has no default).

Options:
  --username NAME   the username
  --email EMAIL     the email address
  --no-input        do not prompt (alias: --noinput)
  --json            print the created user as JSON
  -h, --help        show this help

${CONFIG_HELP}  SESSIONBRIDGE_PASSWORD    the password with --no-input
  DJANGO_SUPERUSER_PASSWORD, DJANGO_SUPERUSER_USERNAME, DJANGO_SUPERUSER_EMAIL  as Django reads them

Examples:
  sessionbridge ${name}
  SESSIONBRIDGE_PASSWORD=… sessionbridge ${name} --no-input --username admin --email admin@example.com
  AUTH_USER_MODEL=accounts.Member AUTH_USER_PK=uuid sessionbridge ${name} --no-input --username admin
`;
}

function makeCommand(name: string, superuser: boolean): Command {
  return {
    name,
    summary: superuser
      ? "Create a superuser in auth_user or AUTH_USER_MODEL's table (interactive, or --no-input)"
      : "Create a user in auth_user or AUTH_USER_MODEL's table (interactive, or --no-input)",
    help: help(name, superuser),
    run: (context) => createUser(context, name, superuser),
  };
}

export const createuserCommand = makeCommand("createuser", false);
export const createsuperuserCommand = makeCommand("createsuperuser", true);

async function createUser(
  context: CommandContext,
  name: string,
  superuser: boolean,
): Promise<void> {
  const { args, env, stdout } = context;
  const { values, positionals, config } = parseManageArgs(args, env, {
    username: { type: "string" },
    email: { type: "string" },
    "no-input": { type: "boolean" },
    noinput: { type: "boolean" },
    json: { type: "boolean" },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const noInput = values["no-input"] === true || values.noinput === true;
  if (!noInput && !canPrompt()) {
    throw new CommandFailure(
      `standard input is not a terminal: run '${name}' in a terminal, or use --no-input with --username and SESSIONBRIDGE_PASSWORD`,
    );
  }
  const model = config.userModel;
  if (model.pkType === "string") {
    throw new UsageError(
      "AUTH_USER_PK=string: a text primary key has no default, so users of this model cannot be created here",
    );
  }
  // Django reads DJANGO_SUPERUSER_<USERNAME_FIELD>; DJANGO_SUPERUSER_USERNAME stays accepted.
  const fieldEnv = `DJANGO_SUPERUSER_${model.usernameField.toUpperCase()}`;
  const emailIsUsername = model.usernameField === "email";
  const djangoVersion = hasherVersion(config); // before any prompt
  await withDatabase(config, async (database) => {
    await requireAuthTables(database, model);
    const source = userSource(database, config.userModel);
    let username: string;
    let email: string;
    let password: string | null;
    if (noInput) {
      const given =
        values.username ??
        (emailIsUsername ? values.email : undefined) ??
        nonEmpty(env[fieldEnv]) ??
        env.DJANGO_SUPERUSER_USERNAME;
      if (given === undefined || given === "")
        throw new UsageError(`--no-input needs --username (or ${fieldEnv})`);
      username = emailIsUsername
        ? normalizeEmail(normalizeUsername(given))
        : normalizeUsername(given);
      const problem = emailIsUsername ? emailProblem(username) : usernameProblem(username);
      if (problem !== null) throw new CommandFailure(`${model.usernameField}: ${problem}`);
      email = emailIsUsername
        ? username
        : normalizeEmail(values.email ?? env.DJANGO_SUPERUSER_EMAIL ?? "");
      const emailError = emailProblem(email);
      if (emailError !== null) throw new CommandFailure(`email: ${emailError}`);
      const fromEnv = env.SESSIONBRIDGE_PASSWORD ?? env.DJANGO_SUPERUSER_PASSWORD;
      password = fromEnv === undefined || fromEnv === "" ? null : fromEnv;
    } else {
      const prompter = createPrompter(process.stdin, stdout);
      try {
        ({ username, email, password } = await askUser(
          prompter,
          source,
          values.username,
          values.email,
          emailIsUsername,
        ));
      } finally {
        prompter.close();
      }
    }
    const hash = await makePassword(password, { djangoVersion });
    const { id } = await createUserOrFail(source, {
      username,
      email,
      password: hash,
      isStaff: superuser,
      isSuperuser: superuser,
    });
    if (values.json === true) {
      writeJson(stdout, {
        id,
        username,
        email,
        is_staff: superuser,
        is_superuser: superuser,
        has_usable_password: password !== null,
      });
    } else {
      stdout.write(`${superuser ? "Superuser" : "User"} created successfully.\n`);
    }
  });
}

async function askUser(
  prompter: Prompter,
  source: DjangoUserSource,
  givenUsername: string | undefined,
  givenEmail: string | undefined,
  emailIsUsername: boolean,
): Promise<{ username: string; email: string; password: string }> {
  if (emailIsUsername) return askEmailUser(prompter, source, givenUsername ?? givenEmail);
  const defaultName = normalizeUsername(safeOsUser());
  let username = givenUsername === undefined ? "" : normalizeUsername(givenUsername);
  for (;;) {
    if (username === "") {
      const suffix =
        defaultName !== "" && (await source.getUserByUsername(defaultName)) === null
          ? ` (leave blank to use '${defaultName}')`
          : "";
      username = normalizeUsername((await prompter.ask(`Username${suffix}: `)).trim());
      if (username === "" && suffix !== "") username = defaultName;
    }
    const problem =
      usernameProblem(username) ??
      ((await source.getUserByUsername(username)) !== null
        ? "That username is already taken."
        : null);
    if (problem === null) break;
    process.stderr.write(`Error: ${problem}\n`);
    username = "";
  }
  let email = givenEmail === undefined ? undefined : normalizeEmail(givenEmail);
  while (email === undefined) {
    const answer = normalizeEmail((await prompter.ask("Email address: ")).trim());
    const problem = emailProblem(answer);
    if (problem === null) email = answer;
    else process.stderr.write(`Error: ${problem}\n`);
  }
  return { username, email, password: await askNewPassword(prompter, username, email) };
}

/** A model whose USERNAME_FIELD is email: the email is asked once, as the username. */
async function askEmailUser(
  prompter: Prompter,
  source: DjangoUserSource,
  given: string | undefined,
): Promise<{ username: string; email: string; password: string }> {
  let email = given === undefined ? "" : normalizeEmail(normalizeUsername(given));
  for (;;) {
    if (email === "")
      email = normalizeEmail(normalizeUsername((await prompter.ask("Email address: ")).trim()));
    const problem =
      email === ""
        ? "This field cannot be blank."
        : (emailProblem(email) ??
          ((await source.getUserByUsername(email)) !== null
            ? "That email address is already taken."
            : null));
    if (problem === null) break;
    process.stderr.write(`Error: ${problem}\n`);
    email = "";
  }
  return { username: email, email, password: await askNewPassword(prompter, email, email) };
}

async function askNewPassword(
  prompter: Prompter,
  username: string,
  email: string,
): Promise<string> {
  for (;;) {
    const password = await prompter.ask("Password: ", { hidden: true });
    const again = await prompter.ask("Password (again): ", { hidden: true });
    if (password !== again) {
      process.stderr.write("Error: Your passwords didn't match.\n");
      continue;
    }
    if (password.trim() === "") {
      process.stderr.write("Error: Blank passwords aren't allowed.\n");
      continue;
    }
    const problems = passwordProblems(password, { username, email });
    if (problems.length > 0) {
      process.stderr.write(`${problems.join("\n")}\n`);
      if (!(await confirm(prompter, "Bypass password validation and create user anyway? [y/N]: ")))
        continue;
    }
    return password;
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

function safeOsUser(): string {
  try {
    const name = userInfo().username;
    return usernameProblem(name) === null ? name : "";
  } catch {
    return "";
  }
}
