// Started by cross-process.test.ts: the concurrent-writes app (test/engine/concurrent-writes.ts)
// over a FileSessionStore on the directory given as the first argument, in its own process.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { FileSessionStore } from "../../../src/stores/file/index.ts";
import { buildApp } from "../../engine/concurrent-writes.ts";
import { codec } from "../sql/helpers.ts";

const store = new FileSessionStore({ directory: process.argv[2] ?? "", codec });
const server = createServer(buildApp(store, "merge", []));
server.listen(0, "127.0.0.1", () => {
  console.log(`READY ${(server.address() as AddressInfo).port}`);
});
