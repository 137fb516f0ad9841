// Bounds and malformed input: every outcome is an output or a typed error (never a crash or a
// hang), truncations and corruptions are MalformedError, bombs are TooLargeError, fast.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { constants, deflateRawSync, deflateSync, inflateRawSync, inflateSync } from "node:zlib";
import { inflateZlib } from "../../../src/codecs/inflate/index.ts";
import { zlibDecompress } from "../../../src/codecs/zlib.ts";
import { MalformedError, TooLargeError } from "../../../src/errors.ts";
import { runPython } from "../../support/python.ts";
import {
  BitWriter,
  nodeOutcome,
  ourOutcome,
  prng,
  sampleInput,
  writeDynamicHeader,
  zlibWrap,
  type Outcome,
} from "./support.ts";

const MiB = 1024 * 1024;

function assertMalformed(data: Uint8Array, label: string, max = MiB): void {
  assert.throws(() => inflateZlib(data, max), MalformedError, label);
}

function assertSameOutcome(data: Uint8Array, label: string, max = 4 * MiB): Outcome {
  const ours = ourOutcome(data, max);
  const ref = nodeOutcome(data, max);
  assert.equal(
    ours.ok,
    ref.ok,
    `${label}: ours ${JSON.stringify(ours.ok ? "ok" : ours.error)} vs node ${ref.ok ? "ok" : ref.error}`,
  );
  if (ours.ok && ref.ok) assert.ok(ours.bytes.equals(ref.bytes), `${label}: bytes differ`);
  if (!ours.ok && !ref.ok) assert.equal(ours.error, ref.error, label);
  return ours;
}

function validStreams(): Buffer[] {
  const rand = prng(42);
  const out: Buffer[] = [];
  for (const [size, kind, level, strategy] of [
    [0, 0, 6, 0],
    [1, 1, 6, 0],
    [300, 1, 6, 0], // dynamic, session-sized
    [300, 1, 6, constants.Z_FIXED], // fixed
    [300, 0, 0, 0], // stored
    [2000, 2, 9, 0],
    [5000, 3, 1, constants.Z_RLE],
    [1500, 4, 6, constants.Z_HUFFMAN_ONLY],
  ] as const) {
    out.push(deflateSync(sampleInput(rand, size, kind), { level, strategy }));
  }
  return out;
}

describe("inflateZlib on bad input", () => {
  it("every truncation of valid streams is MalformedError (as node:zlib and CPython refuse it)", () => {
    for (const [i, z] of validStreams().entries()) {
      for (let cut = 0; cut < z.length; cut++) {
        assertMalformed(z.subarray(0, cut), `stream ${i} cut at ${cut}/${z.length}`);
        assert.equal(nodeOutcome(z.subarray(0, cut)).ok, false);
      }
      assert.ok(ourOutcome(z).ok, `stream ${i} whole`);
    }
  });

  it("ignores bytes after the Adler-32 trailer, like zlib.decompress and inflateSync", () => {
    for (const z of validStreams()) {
      const padded = Buffer.concat([z, Buffer.from("trailing garbage")]);
      assert.ok(Buffer.from(inflateZlib(padded, MiB)).equals(inflateSync(z)));
      assertSameOutcome(padded, "trailing");
    }
  });

  it("bad Adler-32 → MalformedError", () => {
    for (const z of validStreams()) {
      for (let byte = 1; byte <= 4; byte++) {
        const bad = Buffer.from(z);
        bad[bad.length - byte]! ^= 0x10;
        assertMalformed(bad, `adler byte -${byte}`);
      }
    }
  });

  it("header rules: FCHECK, CM, CINFO, FDICT (preset dictionary refused)", () => {
    const z = deflateSync(Buffer.from("hello hello hello"));
    assertMalformed(Buffer.from([0x78, 0x9d, ...z.subarray(2)]), "FCHECK");
    // CM = 7 with a valid FCHECK.
    const cmf = 0x77;
    const flgCm = 31 - ((cmf * 256) % 31);
    assertMalformed(Buffer.from([cmf, flgCm, ...z.subarray(2)]), "CM");
    // CINFO = 8 (64 KiB window) with a valid FCHECK.
    const cmf8 = 0x88;
    assertMalformed(Buffer.from([cmf8, 31 - ((cmf8 * 256) % 31), ...z.subarray(2)]), "CINFO");
    // CINFO < 7 is fine.
    const small = deflateSync(Buffer.from("hello hello hello"), { windowBits: 9 });
    assert.equal(small[0]! >> 4, 1);
    assert.equal(Buffer.from(inflateZlib(small, MiB)).toString(), "hello hello hello");
    // FDICT: a stream compressed with a preset dictionary.
    const withDict = deflateSync(Buffer.from("hello hello hello"), {
      dictionary: Buffer.from("hello "),
    });
    assert.equal(withDict[1]! & 0x20, 0x20);
    assert.throws(() => inflateZlib(withDict, MiB), /preset dictionary/);
    assertMalformed(withDict, "FDICT");
    assert.throws(() => zlibDecompress(withDict), MalformedError);
    // Empty and one-byte inputs.
    assertMalformed(new Uint8Array(0), "empty");
    assertMalformed(new Uint8Array([0x78]), "one byte");
  });

  // How fast a bomb is refused is measured in bench/, not here (no wall-clock asserts in tests).
  it("a bomb (10 MiB of zeros) with maxOutput 1 MiB → TooLargeError naming the limit", () => {
    const bomb = deflateSync(Buffer.alloc(10 * MiB), { level: 9 });
    assert.ok(bomb.length < 20_000, "bomb size");
    assert.throws(
      () => inflateZlib(bomb, MiB),
      (err: unknown) => {
        assert.ok(err instanceof TooLargeError);
        assert.match(err.message, new RegExp(`exceeds ${MiB} bytes`));
        return true;
      },
    );
    assert.throws(() => zlibDecompress(bomb, MiB), TooLargeError);
    // A small bomb also takes the pure-TypeScript path of zlibDecompress.
    const small = deflateSync(Buffer.alloc(200_001), { level: 9 });
    assert.ok(small.length <= 400, "small bomb size");
    assert.throws(() => zlibDecompress(small, 200_000), TooLargeError);
    assert.equal(zlibDecompress(small, 200_001).length, 200_001);
    assert.equal(zlibDecompress(deflateSync(Buffer.alloc(MiB))).length, MiB);
  });

  it("maxOutput is exact: output of maxOutput bytes passes, one more is refused", () => {
    const rand = prng(5);
    for (const size of [0, 1, 100, 65536, 65537, 100_000]) {
      for (const level of [0, 6]) {
        const z = deflateSync(sampleInput(rand, size, 1), { level });
        assert.equal(inflateZlib(z, size).length, size);
        if (size > 0) assert.throws(() => inflateZlib(z, size - 1), TooLargeError, `${size}`);
        if (size > 0) assert.equal(ourOutcome(z, size - 1).ok, nodeOutcome(z, size - 1).ok);
      }
    }
  });

  it("fuzz: bit flips, byte changes, cuts and splices never crash or hang, and agree with node:zlib", () => {
    const rand = prng(2024);
    const streams = validStreams();
    let errors = 0;
    for (let t = 0; t < 6000; t++) {
      const base = streams[t % streams.length]!;
      const m = Buffer.from(base);
      const op = t % 4;
      if (op === 0 || op === 3) {
        const flips = 1 + Math.floor(rand() * 3);
        for (let f = 0; f < flips && m.length > 0; f++) {
          const at = Math.floor(rand() * m.length);
          m[at]! ^= 1 << Math.floor(rand() * 8);
        }
      } else if (op === 1 && m.length > 0) {
        m[Math.floor(rand() * m.length)] = Math.floor(rand() * 256);
      }
      let data: Buffer = m;
      if (op === 2) {
        // splice: drop a random slice from the middle
        const a = Math.floor(rand() * m.length);
        const b = a + Math.floor(rand() * 8);
        data = Buffer.concat([m.subarray(0, a), m.subarray(b)]);
      }
      // The comparison with node:zlib is exact: same acceptance and same bytes.
      const outcome = assertSameOutcome(data, `mutation ${t} (op ${op})`);
      if (!outcome.ok) errors++;
    }
    assert.ok(errors > 1000, `only ${errors} mutations were refused`);
  });

  it("fuzz: corrupted deflate bodies with a correct header and trailer agree with node:zlib", () => {
    // A fixed header and a recomputed trailer let corruptions reach the block decoder and
    // the output comparison (not just the Adler-32 check).
    const rand = prng(77);
    for (let t = 0; t < 3000; t++) {
      const input = sampleInput(rand, Math.floor(rand() * 2000), t % 5);
      const raw = Buffer.from(deflateRawSync(input, { level: t % 10, strategy: t % 5 }));
      for (let f = 0; f < 1 + (t % 3) && raw.length > 0; f++) {
        raw[Math.floor(rand() * raw.length)]! ^= 1 << Math.floor(rand() * 8);
      }
      const ref = (() => {
        try {
          return inflateRawSync(raw);
        } catch {
          return undefined;
        }
      })();
      // Use the reference output (if any) for the trailer so a valid corruption decodes.
      const stream = zlibWrap(raw, ref ?? Buffer.alloc(0));
      assertSameOutcome(stream, `body ${t}`);
    }
  });

  it("random garbage after a valid header never crashes", () => {
    const rand = prng(8);
    for (let t = 0; t < 3000; t++) {
      const body = Buffer.from(
        Array.from({ length: Math.floor(rand() * 64) }, () => Math.floor(rand() * 256)),
      );
      assertSameOutcome(Buffer.concat([Buffer.from([0x78, 0x9c]), body]), `garbage ${t}`);
    }
  });
});

describe("inflateZlib on hand-made streams (RFC 1951 rules)", () => {
  // A valid literal/length code: 'a' (97), 'b' (98), EOB (256), length 257: four 2-bit codes.
  function litLengths(extra: Record<number, number> = {}, n = 258): number[] {
    const l = new Array<number>(n).fill(0);
    l[97] = 2;
    l[98] = 2;
    l[256] = 2;
    l[257] = 2;
    for (const [k, v] of Object.entries(extra)) l[Number(k)] = v;
    return l;
  }

  it("BTYPE 11 is refused", () => {
    const z = zlibWrap(new BitWriter().bits(1, 1).bits(3, 2).finish(), Buffer.alloc(0));
    assertMalformed(z, "btype 3");
    assertSameOutcome(z, "btype 3");
  });

  it("stored block: LEN/NLEN mismatch refused, matching ones copied, padding bits ignored", () => {
    const good = new BitWriter().bits(1, 1).bits(0, 2).bits(0b10101, 5); // non-zero padding
    const body = Buffer.from("stored!");
    const ok = zlibWrap(
      good.bytes([body.length, 0, ~body.length & 0xff, 0xff, ...body]).finish(),
      body,
    );
    assert.equal(Buffer.from(inflateZlib(ok, MiB)).toString(), "stored!");
    assertSameOutcome(ok, "stored ok");
    const bad = zlibWrap(
      new BitWriter()
        .bits(1, 1)
        .bits(0, 2)
        .bytes([7, 0, 0xf8, 0xfe, ...body])
        .finish(),
      body,
    );
    assertMalformed(bad, "nlen");
    assertSameOutcome(bad, "nlen");
  });

  it("dynamic block: valid hand-made code decodes; a match copies with overlap (RLE)", () => {
    const w = new BitWriter();
    const dist = [1]; // one distance code (0 → distance 1) of 1 bit: incomplete but allowed
    const codes = writeDynamicHeader(w, litLengths(), dist);
    w.code(codes.lit[97]!, 2); // 'a'
    w.code(codes.lit[98]!, 2); // 'b'
    w.code(codes.lit[257]!, 2); // length 3
    w.code(codes.dist[0]!, 1); // distance 1
    w.code(codes.lit[256]!, 2);
    const z = zlibWrap(w.finish(), Buffer.from("abbbb"));
    assert.equal(Buffer.from(inflateZlib(z, MiB)).toString(), "abbbb");
    assertSameOutcome(z, "hand-made dynamic");
  });

  it("dynamic block: the unused half of a one-bit distance code is an invalid distance", () => {
    const w = new BitWriter();
    const codes = writeDynamicHeader(w, litLengths(), [1]);
    w.code(codes.lit[97]!, 2).code(codes.lit[257]!, 2).code(1, 1).code(codes.lit[256]!, 2);
    const z = zlibWrap(w.finish(), Buffer.from("aaaa"));
    assertMalformed(z, "unused distance code");
    assertSameOutcome(z, "unused distance code");
  });

  it("dynamic block: no distance codes at all is fine for literals only", () => {
    const w = new BitWriter();
    const codes = writeDynamicHeader(w, litLengths(), [0]);
    w.code(codes.lit[97]!, 2).code(codes.lit[98]!, 2).code(codes.lit[256]!, 2);
    const z = zlibWrap(w.finish(), Buffer.from("ab"));
    assert.equal(Buffer.from(inflateZlib(z, MiB)).toString(), "ab");
    assertSameOutcome(z, "no distances");
  });

  it("dynamic block: over-subscribed, incomplete, missing end-of-block → refused like zlib", () => {
    const cases: [string, number[], number[]][] = [
      ["over-subscribed literal/length", litLengths({ 99: 2 }), [1]],
      ["incomplete literal/length", litLengths({ 257: 0 }), [1]],
      ["over-subscribed distances", litLengths(), [1, 1, 1]],
      ["incomplete distances (two codes)", litLengths(), [2, 2]],
      ["missing end-of-block", litLengths({ 256: 0, 99: 2 }), [1]],
    ];
    for (const [label, l, d] of cases) {
      const w = new BitWriter();
      writeDynamicHeader(w, l, d);
      w.bits(0, 16);
      const z = zlibWrap(w.finish(), Buffer.alloc(0));
      assertMalformed(z, label);
      assertSameOutcome(z, label);
    }
  });

  it("dynamic block header: HLIT > 286, HDIST > 30, bad code length code and repeats", () => {
    const header = (hlit: number, hdist: number, hclen: number): BitWriter =>
      new BitWriter().bits(1, 1).bits(2, 2).bits(hlit, 5).bits(hdist, 5).bits(hclen, 4);
    const streams: [string, Buffer][] = [];
    // HLIT = 30 → 287 codes; HDIST = 31 → 32 codes.
    streams.push(["hlit", zlibWrap(header(30, 0, 15).bits(0, 64).finish(), Buffer.alloc(0))]);
    streams.push(["hdist", zlibWrap(header(0, 31, 15).bits(0, 64).finish(), Buffer.alloc(0))]);
    // Code length code over-subscribed: all 19 lengths 1.
    const over = header(0, 0, 15);
    for (let i = 0; i < 19; i++) over.bits(1, 3);
    streams.push(["clc over", zlibWrap(over.bits(0, 32).finish(), Buffer.alloc(0))]);
    // Code length code incomplete: a single code length symbol of length 2.
    const inc = header(0, 0, 0).bits(0, 3).bits(0, 3).bits(0, 3).bits(2, 3);
    streams.push(["clc incomplete", zlibWrap(inc.bits(0, 32).finish(), Buffer.alloc(0))]);
    // Code length code empty.
    const empty = header(0, 0, 15);
    for (let i = 0; i < 19; i++) empty.bits(0, 3);
    streams.push(["clc empty", zlibWrap(empty.bits(0, 32).finish(), Buffer.alloc(0))]);
    // Repeat (16) with no previous length: code length code {16: 1 bit, 0: 1 bit}.
    const rep = header(0, 0, 0).bits(1, 3).bits(0, 3).bits(0, 3).bits(1, 3);
    // symbol 0 has code 0, 16 has code 1 (canonical: 0 < 16).
    rep.code(1, 1).bits(0, 2);
    streams.push(["repeat first", zlibWrap(rep.bits(0, 32).finish(), Buffer.alloc(0))]);
    // Zero-run (18) past HLIT + HDIST: 11 + 127 = 138 zeros twice + 18 again → overflow.
    const runs = header(0, 0, 0).bits(0, 3).bits(0, 3).bits(1, 3).bits(1, 3);
    runs.code(1, 1).bits(127, 7).code(1, 1).bits(127, 7);
    streams.push(["repeat overflow", zlibWrap(runs.bits(0, 32).finish(), Buffer.alloc(0))]);
    for (const [label, z] of streams) {
      assertMalformed(z, label);
      assertSameOutcome(z, label);
    }
  });

  it("fixed block: codes 286/287, distance codes 30/31, distance too far back → refused", () => {
    // Fixed code: 280–287 are 8-bit codes 11000000 + (sym - 280).
    const fixed = (fn: (w: BitWriter) => void): Buffer => {
      const w = new BitWriter().bits(1, 1).bits(1, 2);
      fn(w);
      w.code(0, 7); // end of block (256 = 0000000)
      return zlibWrap(w.finish(), Buffer.alloc(0));
    };
    const literalA = (w: BitWriter): void => void w.code(0x30 + 97, 8); // 0–143: 00110000 + v
    const cases: [string, Buffer][] = [
      ["code 286", fixed((w) => w.code(0xc0 + 6, 8))],
      ["code 287", fixed((w) => w.code(0xc0 + 7, 8))],
      ["distance 30", fixed((w) => (literalA(w), w.code(1, 7), w.code(30, 5)))],
      ["distance 31", fixed((w) => (literalA(w), w.code(1, 7), w.code(31, 5)))],
      // length 3 (code 257 = 0000001), distance code 1 (distance 2) after one byte.
      ["too far back", fixed((w) => (literalA(w), w.code(1, 7), w.code(1, 5)))],
      ["too far back at start", fixed((w) => (w.code(1, 7), w.code(0, 5)))],
    ];
    for (const [label, z] of cases) {
      assertMalformed(z, label);
      assertSameOutcome(z, label);
    }
    // And the valid neighbour: distance 1 after one byte.
    const ok = fixed((w) => (literalA(w), w.code(1, 7), w.code(0, 5)));
    const expected = Buffer.from("aaaa");
    const good = zlibWrap(ok.subarray(2, -4), expected);
    assert.equal(Buffer.from(inflateZlib(good, MiB)).toString(), "aaaa");
  });

  it("agrees with CPython's zlib.decompress on the accept/refuse decision for mutations", async () => {
    const rand = prng(31337);
    const base = deflateSync(sampleInput(rand, 400, 1));
    const mutations: Buffer[] = [];
    for (let t = 0; t < 400; t++) {
      const m = Buffer.from(base);
      m[2 + Math.floor(rand() * (m.length - 2))]! ^= 1 << Math.floor(rand() * 8);
      mutations.push(m);
    }
    const script = String.raw`
import zlib, sys, json, base64
res = []
for line in sys.stdin.read().split():
    try:
        res.append(base64.b64encode(zlib.decompress(base64.b64decode(line))).decode())
    except zlib.error:
        res.append(None)
json.dump(res, sys.stdout)
`;
    const py = JSON.parse(
      await runPython(script, mutations.map((m) => m.toString("base64")).join("\n")),
    ) as (string | null)[];
    for (const [i, m] of mutations.entries()) {
      const ours = ourOutcome(m);
      const expected = py[i];
      assert.equal(ours.ok, expected !== null, `mutation ${i}`);
      if (ours.ok && typeof expected === "string") {
        assert.ok(ours.bytes.equals(Buffer.from(expected, "base64")), `mutation ${i} bytes`);
      }
    }
  });
});
