// Both directions against real Django 3.2 / 4.2 / 5.2 (django_hashers.py, Debian's python3):
// Django verifies what we hash, we verify what Django hashes, must_update and identify agree,
// and every hasher's encoding matches at each release's defaults (pbkdf2 iterations, scrypt p).
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { Buffer } from "node:buffer";
import { before, describe, it } from "node:test";
import {
  checkPassword,
  hasherFor,
  makePassword,
  mustUpdate,
  resolveHasherConfig,
  type HasherAlgorithm,
  type MakePasswordOptions,
} from "../../../src/auth/hashers/index.ts";
import { loadArgon2Backend } from "../../../src/auth/hashers/backends.ts";
import { djangoHasHasher } from "../../../src/auth/hashers/defaults.ts";
import { DJANGO_VERSIONS, type DjangoVersion } from "../../interop/django/peer.ts";
import {
  requireNativeBackends,
  runDjangoHashers,
  type DjangoBatch,
  type DjangoOp,
} from "./support.ts";

const PASSWORDS = ["correct horse battery staple", "pässwörd ☃ 🔑"];
const WRONG = "correct horse battery stapler";
const ALL: HasherAlgorithm[] = [
  "pbkdf2_sha256",
  "pbkdf2_sha1",
  "argon2",
  "bcrypt_sha256",
  "bcrypt",
  "scrypt",
  "md5",
  "sha1",
  "unsalted_sha1",
  "unsalted_md5",
];
const MAKEABLE: HasherAlgorithm[] = [
  "pbkdf2_sha256",
  "pbkdf2_sha1",
  "argon2",
  "bcrypt_sha256",
  "bcrypt",
  "scrypt",
];
const md5hex = (s: string): string => createHash("md5").update(s, "utf8").digest("hex");
const b64 = (b: Uint8Array): string => Buffer.from(b).toString("base64").replace(/=+$/, "");

/** Expected encodings at a release's defaults (§7.1, §7.2). */
function formatOf(algorithm: HasherAlgorithm, version: DjangoVersion): RegExp {
  const it = resolveHasherConfig({ djangoVersion: version }).params;
  const salt = "[a-zA-Z0-9]{22}";
  switch (algorithm) {
    case "pbkdf2_sha256":
      return new RegExp(`^pbkdf2_sha256\\$${it.pbkdf2Iterations}\\$${salt}\\$[A-Za-z0-9+/]{43}=$`);
    case "pbkdf2_sha1":
      return new RegExp(`^pbkdf2_sha1\\$${it.pbkdf2Iterations}\\$${salt}\\$[A-Za-z0-9+/]{27}=$`);
    case "argon2":
      return /^argon2\$argon2id\$v=19\$m=102400,t=2,p=8\$[A-Za-z0-9+/]{30}\$[A-Za-z0-9+/]{22}$/;
    case "bcrypt_sha256":
    case "bcrypt":
      return new RegExp(`^${algorithm}\\$\\$2b\\$12\\$[./A-Za-z0-9]{53}$`);
    case "scrypt":
      return new RegExp(`^scrypt\\$16384\\$${salt}\\$8\\$${it.scrypt.p}\\$[A-Za-z0-9+/]{86}==$`);
    default:
      return /./;
  }
}

for (const version of DJANGO_VERSIONS) {
  describe(`Django ${version} password hashers`, () => {
    // PASSWORD_HASHERS: everything this release ships, default order first.
    const hashers = ALL.filter((a) => djangoHasHasher(version, a));
    const opts = { djangoVersion: version, hashers } as const;
    const creatable = MAKEABLE.filter((a) => hashers.includes(a));
    let ours: { algorithm: HasherAlgorithm; password: string; encoded: string }[] = [];
    let probes: {
      name: string;
      algorithm: HasherAlgorithm;
      password: string;
      encoded: string;
    }[] = [];
    let batch: DjangoBatch;
    let theirs: { algorithm: HasherAlgorithm; password: string; encoded: string }[] = [];
    let theirsUpdate: DjangoBatch;
    const identifyInputs = [
      md5hex("x"),
      `md5$$${md5hex("x")}`,
      `sha1$$${"a".repeat(40)}`,
      `sha1$$${"a".repeat(41)}`,
      "md5$abcdefghijklmnopqrstuvwxyz01",
      "crypt$$ab0123456789a",
      "pbkdf2_sha256$x",
      "bcrypt$x",
      "garbage",
      "",
    ];
    const malformedInputs = [
      "pbkdf2_sha256$abc",
      "pbkdf2_sha256$0260000$seasalt0123456789ABCDE$mQVJHnltC5pDRjyNLoC9ruo4/Mv5MqCFIrj5/IQ5gXU=",
      "scrypt$16384$salt$8$1",
      "md5$$" + "0".repeat(33),
      `!${"a".repeat(40)}`,
      "garbage",
    ];

    before(async () => {
      await requireNativeBackends();
      // argon2-cffi and bcrypt on the Django side: ask Django once, cheaply.
      const probe = await runDjangoHashers(version, hashers, []);
      const missing = [
        ...(probe.versions.argon2 !== null ? [] : ["python argon2-cffi (python3-argon2)"]),
        ...(probe.versions.bcrypt !== null ? [] : ["python bcrypt (python3-bcrypt)"]),
      ];
      if (missing.length > 0) throw new Error(`argon2/bcrypt interop needs ${missing.join(", ")}`);

      // Our hashes at this release's defaults.
      const makeAll = creatable.flatMap((algorithm) =>
        PASSWORDS.map(async (password) => ({
          algorithm,
          password,
          encoded: await makePassword(password, { ...opts, algorithm }),
        })),
      );
      ours = await Promise.all(makeAll);

      // must_update probes: other releases' / overridden work factors, short salts, old variants.
      const P = PASSWORDS[0]!;
      const probe1 = async (
        name: string,
        o: MakePasswordOptions & { algorithm: HasherAlgorithm },
      ) => ({
        name,
        algorithm: o.algorithm,
        password: P,
        encoded: await makePassword(P, { ...opts, ...o }),
      });
      const wanted: Promise<(typeof probes)[number]>[] = [
        probe1("pbkdf2 at 3.2 iterations", {
          algorithm: "pbkdf2_sha256",
          params: { pbkdf2Iterations: 260_000 },
        }),
        probe1("pbkdf2 at 5.2 iterations", {
          algorithm: "pbkdf2_sha256",
          params: { pbkdf2Iterations: 1_000_000 },
        }),
        probe1("pbkdf2 12-char salt", { algorithm: "pbkdf2_sha256", salt: "shortsalt123" }),
        probe1("pbkdf2 21-char salt", { algorithm: "pbkdf2_sha256", salt: "a".repeat(21) }),
        probe1("pbkdf2_sha1 at 4.2 iterations", {
          algorithm: "pbkdf2_sha1",
          params: { pbkdf2Iterations: 600_000 },
        }),
        // argon2 and bcrypt exist in every release tested (the modules are required, above).
        probe1("argon2 t=3", { algorithm: "argon2", params: { argon2: { timeCost: 3 } } }),
        probe1("argon2 m=65536,p=4", {
          algorithm: "argon2",
          params: { argon2: { memoryCost: 65536, parallelism: 4 } },
        }),
        probe1("argon2 12-char salt", { algorithm: "argon2", salt: "shortsalt123" }),
        (async () => {
          // An argon2i hash (older Django default) built directly with the backend.
          const backend = await loadArgon2Backend();
          const salt = Buffer.from("abcdefghijklmnopqrstuv");
          const raw = await backend.hashRaw(Buffer.from(P), {
            variant: "argon2i",
            version: 0x13,
            memoryCost: 512,
            timeCost: 2,
            parallelism: 2,
            salt,
            hashLength: 16,
          });
          return {
            name: "argon2i m=512,t=2,p=2",
            algorithm: "argon2" as const,
            password: P,
            encoded: `argon2$argon2i$v=19$m=512,t=2,p=2$${b64(salt)}$${b64(raw)}`,
          };
        })(),
        probe1("bcrypt_sha256 10 rounds", {
          algorithm: "bcrypt_sha256",
          params: { bcryptRounds: 10 },
        }),
        probe1("bcrypt 4 rounds", { algorithm: "bcrypt", params: { bcryptRounds: 4 } }),
      ];
      // scrypt is Django 4.0+.
      if (hashers.includes("scrypt")) {
        const otherP = resolveHasherConfig(opts).params.scrypt.p === 5 ? 1 : 5;
        wanted.push(
          probe1(`scrypt p=${otherP}`, {
            algorithm: "scrypt",
            params: { scrypt: { p: otherP } },
          }),
        );
        wanted.push(
          probe1("scrypt n=2**13", { algorithm: "scrypt", params: { scrypt: { n: 2 ** 13 } } }),
        );
      }
      const salted = `md5$shortsalt123$${md5hex(`shortsalt123${P}`)}`;
      probes = [
        ...(await Promise.all(wanted)),
        { name: "md5 short salt", algorithm: "md5", password: P, encoded: salted },
      ];

      const djangoMakes = hashers; // Django can still make the legacy ones
      const ops: DjangoOp[] = [
        ...djangoMakes.flatMap((algorithm) =>
          PASSWORDS.map((password) => ({ op: "make", password, algorithm }) as const),
        ),
        ...ours.flatMap(({ password, encoded }) => [
          { op: "check", password, encoded } as const,
          { op: "check", password: WRONG, encoded } as const,
        ]),
        ...probes.flatMap(({ password, encoded, algorithm }) => [
          { op: "check", password, encoded, preferred: algorithm } as const,
          { op: "must_update", encoded } as const,
        ]),
        ...identifyInputs.map((encoded) => ({ op: "identify", encoded }) as const),
        ...malformedInputs.map(
          (encoded) => ({ op: "check", password: PASSWORDS[0]!, encoded }) as const,
        ),
      ];
      batch = await runDjangoHashers(version, hashers, ops);
      theirs = djangoMakes.flatMap((algorithm, i) =>
        PASSWORDS.map((password, j) => {
          const r = batch.results[i * PASSWORDS.length + j]!;
          assert.equal(r.error, undefined, `Django make_password ${algorithm}: ${r.error ?? ""}`);
          return { algorithm, password, encoded: r.encoded! };
        }),
      );
      // Django's must_update for its own hashes: preferred = the default and = the same algorithm.
      theirsUpdate = await runDjangoHashers(
        version,
        hashers,
        theirs.flatMap(({ encoded, algorithm }) => [
          { op: "must_update", encoded } as const,
          { op: "must_update", encoded, preferred: algorithm } as const,
        ]),
      );
    });

    it("Django's encodings match ours at this release's defaults", () => {
      for (const { algorithm, encoded } of [...theirs, ...ours]) {
        assert.match(encoded, formatOf(algorithm, version), `${algorithm}: ${encoded}`);
      }
    });

    it("Django verifies what we hash (right and wrong password)", () => {
      const offset = theirs.length;
      ours.forEach(({ algorithm }, i) => {
        const right = batch.results[offset + 2 * i]!;
        const wrong = batch.results[offset + 2 * i + 1]!;
        assert.equal(right.ok, true, `${algorithm} right: ${JSON.stringify(right)}`);
        assert.equal(wrong.ok, false, `${algorithm} wrong: ${JSON.stringify(wrong)}`);
        const expected = mustUpdate(ours[i]!.encoded, opts);
        assert.equal(right.must_update, expected, `${algorithm} must_update`);
        assert.equal(expected, algorithm !== hashers[0]);
      });
    });

    it("we verify what Django hashes, and must_update agrees", async () => {
      for (const [i, { algorithm, password, encoded }] of theirs.entries()) {
        const right = await checkPassword(password, encoded, opts);
        assert.deepEqual(
          right,
          { ok: true, mustUpdate: algorithm !== hashers[0], algorithm },
          encoded,
        );
        const wrong = await checkPassword(WRONG, encoded, opts);
        assert.deepEqual(wrong, { ok: false, mustUpdate: false, reason: "mismatch" }, encoded);
        const viaDefault = theirsUpdate.results[2 * i]!;
        const viaSame = theirsUpdate.results[2 * i + 1]!;
        assert.equal(
          mustUpdate(encoded, opts),
          viaDefault.must_update,
          `${algorithm} (default preferred)`,
        );
        assert.equal(
          mustUpdate(encoded, { ...opts, preferred: algorithm }),
          viaSame.must_update,
          algorithm,
        );
        const viaCheck = await checkPassword(password, encoded, {
          ...opts,
          preferred: algorithm,
        });
        assert.equal(viaCheck.mustUpdate, viaSame.must_update, `${algorithm} via checkPassword`);
      }
    });

    it("must_update agrees on old work factors, short salts and old variants", async () => {
      const offset = theirs.length + 2 * ours.length;
      for (const [i, { name, algorithm, password, encoded }] of probes.entries()) {
        const check = batch.results[offset + 2 * i]!;
        const update = batch.results[offset + 2 * i + 1]!;
        assert.equal(check.ok, true, `${name}: Django check ${JSON.stringify(check)}`);
        const r = await checkPassword(password, encoded, { ...opts, preferred: algorithm });
        assert.equal(r.ok, true, `${name}: our check`);
        assert.equal(
          r.mustUpdate,
          check.must_update,
          `${name}: must_update (preferred ${algorithm})`,
        );
        assert.equal(
          mustUpdate(encoded, opts),
          update.must_update,
          `${name}: must_update (default)`,
        );
      }
    });

    it("identify_hasher agrees", () => {
      const offset = theirs.length + 2 * ours.length + 2 * probes.length;
      identifyInputs.forEach((encoded, i) => {
        const r = batch.results[offset + i]!;
        assert.equal(
          hasherFor(encoded, opts),
          r.algorithm,
          `${JSON.stringify(encoded)}: ${JSON.stringify(r)}`,
        );
      });
    });

    it("malformed, unusable and unknown hashes: Django never accepts them, we answer ok=false", async () => {
      const offset = theirs.length + 2 * ours.length + 2 * probes.length + identifyInputs.length;
      for (const [i, encoded] of malformedInputs.entries()) {
        const r = batch.results[offset + i]!;
        // Django returns False or raises (e.g. ValueError for "pbkdf2_sha256$abc"); never True.
        assert.notEqual(r.ok, true, encoded);
        const ourResult = await checkPassword(PASSWORDS[0], encoded, opts);
        assert.equal(ourResult.ok, false, encoded);
      }
    });
  });
}
