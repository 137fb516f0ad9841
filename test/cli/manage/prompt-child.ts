// Child of prompt.test.ts: asks a visible question, a hidden one and a yes/no on this process's
// real stdin/stdout (a pipe or a pseudo-terminal), then prints the answers as JSON on stderr.
import { confirm, createPrompter } from "../../../src/cli/manage/prompt.ts";

const prompter = createPrompter(process.stdin, process.stdout);
try {
  const username = await prompter.ask("Username: ");
  const password = await prompter.ask("Password: ", { hidden: true });
  const sure = await confirm(prompter, "Sure? [y/N]: ");
  process.stderr.write(`${JSON.stringify({ username, password, sure })}\n`);
} catch (error) {
  process.stderr.write(`${JSON.stringify({ error: (error as Error).message })}\n`);
  process.exitCode = 1;
} finally {
  prompter.close();
}
