// A real store whose backend is down, for the 503 paths: no stand-in, the PostgreSQL store
// itself, pointed at a port nothing listens on, fails the way an unreachable database does.
import { createServer, type AddressInfo } from "node:net";
import { DjangoSessionCodec } from "../../src/codecs/django/session-encoding.ts";
import { createSqlStore, postgresDatabase } from "../../src/stores/sql/index.ts";
import type { SessionStore } from "../../src/stores/contract.ts";

/** A port on 127.0.0.1 that nothing listens on: the system picks a free one, then it is closed. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * The SQL store on a PostgreSQL URL whose port is closed: every operation is refused at
 * connect (ECONNREFUSED), which the store reports as a `SessionStoreError` (503). Its pool holds
 * no connection, so nothing needs closing.
 */
export async function downStore(): Promise<SessionStore> {
  const port = await closedPort();
  return createSqlStore({
    database: await postgresDatabase(`postgres://postgres@127.0.0.1:${port}/down`),
    codec: new DjangoSessionCodec({ secret: "down-store-secret" }),
  });
}
