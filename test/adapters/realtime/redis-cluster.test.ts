// Live revocation on a Redis Cluster (three throwaway masters): each master publishes the
// keyspace events of its own keys only, so the watcher subscribes on every master, and the
// sockets of sessions spread over all three close when their keys are deleted, expire or are
// rewritten for another login. Polling is off here (recheckInterval 0): only the notifications
// can close them. A master without notifications is named at start.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Cluster, type Redis } from "ioredis";
import {
  REVOKED_CLOSE_CODE,
  createRealtimeGate,
  flaskLoginUsers,
  redisKeyspaceWatcher,
  type RealtimeGate,
} from "../../../src/adapters/realtime/index.ts";
import { ConfigurationError } from "../../../src/errors.ts";
import { DjangoCacheStore } from "../../../src/stores/redis/index.ts";
import {
  REDIS_HOST,
  RedisProcesses,
  expiryIn,
  highPorts,
  newKey,
  redisCli,
} from "../../stores/redis/helpers.ts";
import { ready } from "../../stores/redis/open-clients.ts";
import { ORIGIN, openWs, startApps, type RealtimeApps, type WsClient } from "./harness.ts";

const ports = highPorts(3);
const PER_MASTER = 4;

describe(
  "realtime on a Redis Cluster (keyspace notifications from every master)",
  { timeout: 120_000 },
  () => {
    const processes = new RedisProcesses();
    let cluster: Cluster | undefined;
    let subscribers: Redis[] = [];
    let store: DjangoCacheStore | undefined;
    let gate: RealtimeGate<{ id: string }> | undefined;
    let apps: RealtimeApps | undefined;

    before(async () => {
      await processes.cluster(ports);
      cluster = new Cluster([{ host: REDIS_HOST, port: ports[0]! }]);
      cluster.on("error", () => undefined);
      await ready(cluster);
      store = new DjangoCacheStore({ client: cluster, keyPrefix: "rt" });
      subscribers = cluster.nodes("master").map((node) => node.duplicate());
      for (const s of subscribers) s.on("error", () => undefined);
    });
    after(async () => {
      await apps?.close();
      await gate?.close();
      for (const s of subscribers) s.disconnect();
      cluster?.disconnect();
      await processes.stop();
    });

    it("refuses to start while one master has notifications off, naming the command", async () => {
      for (const port of ports.slice(0, 2)) {
        await redisCli(port, "config", "set", "notify-keyspace-events", "Kg$xe");
      }
      const probe = createRealtimeGate({
        djangoVersion: "5.2",
        store: store!,
        users: flaskLoginUsers((id) => ({ id })),
      });
      await assert.rejects(
        redisKeyspaceWatcher({ store: store!, subscribers }).start(probe),
        (error: unknown) =>
          error instanceof ConfigurationError &&
          error.message.includes("CONFIG SET notify-keyspace-events") &&
          error.message.includes("every master"),
      );
      await probe.close();
      await redisCli(ports[2]!, "config", "set", "notify-keyspace-events", "Kg$xe");
    });

    it("sessions on every master: deleted, expired or rewritten keys close their sockets", async () => {
      gate = createRealtimeGate({
        djangoVersion: "5.2",
        store: store!,
        users: flaskLoginUsers((id) => ({ id })),
        allowedOrigins: [ORIGIN],
        recheckInterval: 0,
        watchers: [redisKeyspaceWatcher({ store: store!, subscribers })],
      });
      await gate.start();
      apps = await startApps(gate, (user) => user.id);

      // Sessions until each master holds PER_MASTER of them.
      const masterOf = new Map(
        cluster!.nodes("master").map((node, i) => [`${node.options.host}:${node.options.port}`, i]),
      );
      const byMaster: string[][] = [[], [], []];
      while (byMaster.some((keys) => keys.length < PER_MASTER)) {
        const key = newKey();
        const slot = await cluster!.cluster("KEYSLOT", store!.redisKey(key));
        const master = masterOf.get(cluster!.slots[slot]?.[0] ?? "");
        assert.ok(master !== undefined, "every slot has a master");
        if (byMaster[master]!.length >= PER_MASTER) continue;
        byMaster[master]!.push(key);
        await store!.save(key, new Map([["_user_id", `u${key.slice(0, 6)}`]]), {
          mustCreate: true,
          expiry: expiryIn(3600),
        });
      }
      const keys = byMaster.flat();
      const sockets = new Map<string, WsClient>();
      for (const key of keys) {
        const opened = await openWs(apps.wsUrl, key);
        assert.ok(opened.ok, key);
        sockets.set(key, opened.client);
      }
      assert.equal(gate.size, 3 * PER_MASTER);

      // On every master: one key deleted, one expired, one rewritten for another user; the
      // fourth stays open.
      const expected = new Map<string, string>();
      for (const [deleted, expired, rewritten] of byMaster) {
        await cluster!.del(store!.redisKey(deleted!));
        await cluster!.pexpire(store!.redisKey(expired!), 1000);
        await store!.save(rewritten!, new Map([["_user_id", "someone-else"]]), {
          mustCreate: false,
          expiry: expiryIn(3600),
        });
        expected.set(deleted!, "session-ended");
        expected.set(expired!, "session-expired");
        expected.set(rewritten!, "logged-out");
      }
      for (const [key, reason] of expected) {
        assert.deepEqual(await sockets.get(key)!.closed, { code: REVOKED_CLOSE_CODE, reason }, key);
      }
      assert.equal(gate.size, 3, "the fourth socket of each master is still tracked");
      for (const keysOfMaster of byMaster) {
        const kept = sockets.get(keysOfMaster[3]!)!;
        assert.equal(kept.ws.readyState, kept.ws.OPEN);
      }
    });
  },
);
