/**
 * `REDIS_URL` (and `REDIS_CLUSTER_NODES`) as the CLI reads them: one server, the seed nodes
 * of a Redis Cluster, or the Sentinels that name a master.
 *
 * | form | meaning |
 * |---|---|
 * | `redis://[user:pw@]host:6379/0` | one server (a Cluster when that node reports `cluster_enabled:1`) |
 * | `redis://[user:pw@]h1:7000,h2:7001,h3:7002` | seed nodes, tried in order (for when one is down) |
 * | `REDIS_CLUSTER_NODES=h1:7000,h2:7001` | more seed nodes, after those of `REDIS_URL` |
 * | `?cluster=yes` / `?cluster=no` | insist on a Cluster / never probe for one (default: probe) |
 * | `redis+sentinel://[user:pw@]s1:26379,s2:26379/mymaster/0` | the master the Sentinels call `mymaster` (what ioredis' `{ sentinels, name }` and node-redis' `createSentinel` connect to), database 0 |
 * | `…?sentinel_password=pw&sentinel_username=u` | the Sentinels' own credentials (`user:pw@` is the master's) |
 *
 * `rediss://` and `rediss+sentinel://` are TLS. A Cluster has only database 0. Sentinels listen
 * on 26379 unless a port is given.
 *
 * @example
 * ```ts
 * parseRedisTarget("redis://a:7000,b:7001").seeds; // [{ host: "a", port: 7000 }, { host: "b", port: 7001 }]
 * ```
 */
import { ConfigurationError } from "../errors.ts";

/** One `host:port`. */
export interface RedisSeed {
  readonly host: string;
  readonly port: number;
}

/** What a `REDIS_URL` (plus `REDIS_CLUSTER_NODES`) names. */
export interface RedisTarget {
  readonly tls: boolean;
  /** Decoded; `""` when not given. */
  readonly username: string;
  /** Decoded; `""` when not given. */
  readonly password: string;
  /** At least one. */
  readonly seeds: readonly RedisSeed[];
  readonly db: number;
  /** `auto`: probe the first reachable seed (`INFO cluster`); `no` for Sentinel. */
  readonly cluster: "auto" | "yes" | "no";
  /** Set for `redis+sentinel://`: the seeds are Sentinels that name the master. */
  readonly sentinel?: RedisSentinelTarget;
}

/** The master a `redis+sentinel://` URL names, and how to talk to its Sentinels. */
export interface RedisSentinelTarget {
  /** The master's name in the Sentinels' configuration (`sentinel monitor NAME …`). */
  readonly name: string;
  /** `sentinel_username`; `""` when not given. */
  readonly username: string;
  /** `sentinel_password`; `""` when not given. */
  readonly password: string;
}

const SENTINEL_PORT = 26379;

const URL_SHAPE =
  /^(rediss?)(\+sentinel)?:\/\/(?:([^@/?#]*)@)?([^/?#]*)(?:\/([^?#]*))?(?:\?([^#]*))?(?:#.*)?$/i;

/**
 * Parses `REDIS_URL` (see the module table); `clusterNodes` is `REDIS_CLUSTER_NODES`.
 *
 * @throws {ConfigurationError} for anything else than the forms above.
 * @example
 * ```ts
 * parseRedisTarget("redis://cache:6379/1").db; // 1
 * parseRedisTarget("redis+sentinel://s1,s2:26380/mymaster/2").sentinel?.name; // "mymaster"
 * ```
 */
export function parseRedisTarget(url: string, clusterNodes?: string): RedisTarget {
  const match = URL_SHAPE.exec(url.trim());
  if (match === null) {
    throw new ConfigurationError(
      "REDIS_URL must look like redis://[user:pw@]host:6379/0, redis://host1:7000,host2:7001 or redis+sentinel://s1:26379,s2:26379/mymaster/0",
    );
  }
  const [, scheme = "", sentinelScheme, userinfo, hostList = "", path = "", query = ""] = match;
  const sentinel = sentinelScheme !== undefined;
  let username = "";
  let password = "";
  if (userinfo !== undefined) {
    const colon = userinfo.indexOf(":");
    username = decode(colon === -1 ? userinfo : userinfo.slice(0, colon));
    password = colon === -1 ? "" : decode(userinfo.slice(colon + 1));
  }
  const params = new URLSearchParams(query);
  if (sentinel && (clusterNodes ?? "").trim() !== "") {
    throw new ConfigurationError(
      "REDIS_CLUSTER_NODES is for a Redis Cluster: list every Sentinel in REDIS_URL (redis+sentinel://s1:26379,s2:26379/mymaster)",
    );
  }
  const seeds = [
    ...parseSeeds(hostList, "REDIS_URL", sentinel ? SENTINEL_PORT : 6379),
    ...parseSeeds(clusterNodes ?? "", "REDIS_CLUSTER_NODES", 6379),
  ];
  if (seeds.length === 0) throw new ConfigurationError("REDIS_URL has no host");
  let dbText = path.endsWith("/") ? path.slice(0, -1) : path;
  let name = "";
  if (sentinel) {
    const slash = dbText.indexOf("/");
    name = decode(slash === -1 ? dbText : dbText.slice(0, slash));
    dbText = slash === -1 ? "" : dbText.slice(slash + 1);
    if (name === "") {
      throw new ConfigurationError(
        "a redis+sentinel:// URL names the master after the Sentinels: redis+sentinel://s1:26379,s2:26379/mymaster/0",
      );
    }
  }
  if (dbText !== "" && !/^\d{1,5}$/.test(dbText)) {
    throw new ConfigurationError(
      sentinel
        ? "a redis+sentinel:// URL's path is the master's name and a database number (redis+sentinel://s1:26379/mymaster/0)"
        : "REDIS_URL's path must be a database number (redis://host:6379/0)",
    );
  }
  const flag = params.get("cluster")?.toLowerCase();
  let cluster: RedisTarget["cluster"] = sentinel ? "no" : "auto";
  if (flag !== undefined) {
    if (["1", "true", "yes"].includes(flag)) cluster = "yes";
    else if (["0", "false", "no"].includes(flag)) cluster = "no";
    else throw new ConfigurationError("REDIS_URL's cluster= must be yes or no");
    if (sentinel && cluster === "yes")
      throw new ConfigurationError("a Sentinel's master is not a Redis Cluster (cluster=yes)");
  }
  return {
    tls: scheme.toLowerCase() === "rediss",
    username,
    password,
    seeds: dedupe(seeds),
    db: dbText === "" ? 0 : Number(dbText),
    cluster,
    ...(sentinel
      ? {
          sentinel: {
            name,
            username: params.get("sentinel_username") ?? "",
            password: params.get("sentinel_password") ?? "",
          },
        }
      : {}),
  };
}

/**
 * The single-server URL of one seed (credentials, TLS and database kept), for a client library.
 *
 * @example
 * ```ts
 * seedUrl(parseRedisTarget("redis://a:1,b:2/3"), { host: "b", port: 2 }); // "redis://b:2/3"
 * ```
 */
export function seedUrl(target: RedisTarget, seed: RedisSeed, db = target.db): string {
  const auth =
    target.username === "" && target.password === ""
      ? ""
      : `${encodeURIComponent(target.username)}${target.password === "" ? "" : `:${encodeURIComponent(target.password)}`}@`;
  return `${target.tls ? "rediss" : "redis"}://${auth}${hostPort(seed)}/${db}`;
}

/**
 * `host:port`, with IPv6 addresses in brackets.
 *
 * @example
 * ```ts
 * hostPort({ host: "::1", port: 7000 }); // "[::1]:7000"
 * ```
 */
export function hostPort(seed: RedisSeed): string {
  return `${seed.host.includes(":") ? `[${seed.host}]` : seed.host}:${seed.port}`;
}

function parseSeeds(list: string, name: string, defaultPort: number): RedisSeed[] {
  const seeds: RedisSeed[] = [];
  for (const part of list.split(",")) {
    const text = part.trim();
    if (text === "") continue;
    const m = /^(?:\[([0-9a-f:.]+)\]|([^:[\]\s]+))(?::(\d{1,5}))?$/i.exec(text);
    const port = m?.[3] === undefined ? defaultPort : Number(m[3]);
    if (m === null || port < 1 || port > 65535) {
      throw new ConfigurationError(`${name}: "${text.slice(0, 60)}" is not host:port`);
    }
    seeds.push({ host: m[1] ?? m[2] ?? "", port });
  }
  return seeds;
}

function dedupe(seeds: readonly RedisSeed[]): RedisSeed[] {
  const seen = new Set<string>();
  return seeds.filter((s) => {
    const key = hostPort(s);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
