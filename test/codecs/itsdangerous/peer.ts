/**
 * Test support: runs `python_peer.py` against a real Python peer from
 * `.cache/python-peers/peers.json` (built by `scripts/python-peers.sh`), always with
 * `/usr/bin/python3`, and converts values to and from the helper's "descriptions".
 * A missing peer is a test failure with a clear message, never a skip.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { floatRepr } from "../../../src/codecs/python-json.ts";
import {
  PyDateTime,
  PyFloat,
  PyMarkup,
  PyTuple,
  PyUUID,
  isPyDict,
  type PyDict,
  type PyValue,
  type SessionData,
} from "../../../src/codecs/python-values.ts";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, "..", "..", "..");
const PEERS_JSON = join(ROOT, ".cache", "python-peers", "peers.json");
const HELPER = join(HERE, "python_peer.py");
const PYTHON = "/usr/bin/python3";

/** A value as the Python helper describes it (type-preserving JSON). */
export type Desc =
  | null
  | boolean
  | string
  | { readonly int: string }
  | { readonly float: string }
  | { readonly list: readonly Desc[] }
  | { readonly tuple: readonly Desc[] }
  | { readonly dict: readonly (readonly [string, Desc])[] }
  | { readonly bytes: string }
  | { readonly markup: string }
  | { readonly uuid: string }
  | { readonly datetime: readonly (number | null)[] };

/** One helper result. */
export type PeerResult = { ok: unknown } | { error: string; message: string };

/** The PYTHONPATH entries of a peer, or a thrown Error explaining how to get them. */
export function peerPath(name: string): string[] {
  if (!existsSync(PEERS_JSON)) {
    throw new Error(
      `Python peer "${name}" unavailable: ${PEERS_JSON} is missing. Run \`npm run peers\` ` +
        "(scripts/python-peers.sh) first; cross-tests never skip.",
    );
  }
  const peers = JSON.parse(readFileSync(PEERS_JSON, "utf8")) as Record<string, string[]>;
  const dirs = peers[name];
  if (!dirs) {
    throw new Error(
      `Python peer "${name}" is not in ${PEERS_JSON} (has: ${Object.keys(peers).join(", ")}). ` +
        "Re-run `npm run peers`; cross-tests never skip.",
    );
  }
  return dirs;
}

/** Runs a batch of helper requests in one Python process. */
export function runPeer(name: string, requests: readonly object[]): PeerResult[] {
  const dirs = peerPath(name);
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} not found: the Python peers need it`);
  const res = spawnSync(PYTHON, [HELPER], {
    input: JSON.stringify(requests),
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      PYTHONPATH: dirs.join(":"),
      LC_ALL: "C.UTF-8",
    },
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (res.status !== 0) {
    throw new Error(`Python peer "${name}" failed (exit ${res.status}): ${res.stderr}`);
  }
  return JSON.parse(res.stdout) as PeerResult[];
}

/** The `ok` value of a result, or a thrown Error with Python's exception. */
export function ok(result: PeerResult | undefined): unknown {
  if (result === undefined) throw new Error("missing peer result");
  if ("error" in result) throw new Error(`Python raised ${result.error}: ${result.message}`);
  return result.ok;
}

/** Describes a TS value the way the helper describes the equal Python value. */
export function toDesc(value: PyValue | SessionData): Desc {
  if (value === null || typeof value === "boolean" || typeof value === "string") return value;
  if (typeof value === "bigint") return { int: value.toString() };
  if (typeof value === "number") {
    return Number.isInteger(value) && !Object.is(value, -0)
      ? { int: BigInt(value).toString() }
      : { float: floatRepr(value) };
  }
  if (value instanceof Map) return { dict: [...value].map(([k, v]) => [k, toDesc(v)] as const) };
  if (Array.isArray(value)) return { list: value.map(toDesc) };
  if (value instanceof PyFloat) return { float: floatRepr(value.value) };
  if (value instanceof PyTuple) return { tuple: value.items.map(toDesc) };
  if (value instanceof Uint8Array) return { bytes: Buffer.from(value).toString("hex") };
  if (value instanceof PyMarkup) return { markup: value.value };
  if (value instanceof PyUUID) return { uuid: value.hex };
  if (value instanceof PyDateTime) {
    const v = value;
    return {
      datetime: [
        v.year,
        v.month,
        v.day,
        v.hour,
        v.minute,
        v.second,
        v.microsecond,
        v.utcOffsetSeconds,
      ],
    };
  }
  if (isPyDict(value)) {
    return { dict: Object.entries(value).map(([k, v]) => [k, toDesc(v)] as const) };
  }
  throw new TypeError("toDesc: unsupported value");
}

/** Builds the TS value of a description (dicts as plain objects). */
export function fromDesc(desc: Desc): PyValue {
  if (desc === null || typeof desc !== "object") return desc;
  if ("int" in desc) {
    const n = BigInt(desc.int);
    return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(n)
      : n;
  }
  if ("float" in desc) {
    const x = Number(desc.float); // "NaN", "Infinity", "1e+16" all parse
    return Number.isInteger(x) || Object.is(x, -0) ? new PyFloat(x) : x;
  }
  if ("list" in desc) return desc.list.map(fromDesc);
  if ("tuple" in desc) return new PyTuple(desc.tuple.map(fromDesc));
  if ("dict" in desc) {
    const out: PyDict = {};
    for (const [k, v] of desc.dict) {
      Object.defineProperty(out, k, {
        value: fromDesc(v),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  if ("bytes" in desc) return new Uint8Array(Buffer.from(desc.bytes, "hex"));
  if ("markup" in desc) return new PyMarkup(desc.markup);
  if ("uuid" in desc) return new PyUUID(desc.uuid);
  const [y, mo, d, h, mi, s, us, off] = desc.datetime;
  return new PyDateTime(y!, mo!, d!, h!, mi!, s!, us!, off ?? null);
}

/** A session map from a top-level dict description. */
export function sessionFromDesc(desc: Desc): SessionData {
  if (desc === null || typeof desc !== "object" || !("dict" in desc)) {
    throw new TypeError("not a dict description");
  }
  return new Map(desc.dict.map(([k, v]) => [k, fromDesc(v)] as const));
}
