// The real-time proof on SQLite beside real Django 5.2: revocation by batched polling (one
// query per interval for every connected session, one for every connected user).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe } from "node:test";
import { realtimeScenario } from "./scenario.ts";
import { sqlParts } from "./sql-store.ts";

const dir = mkdtempSync(join(tmpdir(), "sessionbridge-realtime-"));
const url = `sqlite:${join(dir, "db.sqlite3")}`;

describe("realtime beside Django 5.2 on SQLite (polling)", () => {
  realtimeScenario({
    version: "5.2",
    djangoEnv: { DJANGO_DB: url },
    cliEnv: { DATABASE_URL: url },
    ...sqlParts(url, {
      release: () => {
        rmSync(dir, { recursive: true, force: true });
        return Promise.resolve();
      },
    }),
  });
});
