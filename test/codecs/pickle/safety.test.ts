// Hostile and broken input: globals outside the allow-list, refused opcodes, truncation,
// lying lengths, memo bombs, deep nesting, cycles. Every malicious pickle here is hand-made
// bytes; nothing dangerous is ever run to produce it.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  UnsupportedPickleGlobalError,
  UnsupportedPickleOpcodeError,
  dumpsPickle,
  loadsPickle,
  loadsPickleSession,
} from "../../../src/codecs/pickle/index.ts";
import {
  MalformedError,
  SessionBridgeError,
  TooLargeError,
  UnsupportedValueError,
} from "../../../src/errors.ts";
import {
  PyDateTime,
  PyDecimal,
  PyFrozenSet,
  PyMarkup,
  PyOrderedDict,
  PySet,
  PyTuple,
  PyUUID,
  type PyValue,
} from "../../../src/codecs/python-values.ts";

/** Assembles a pickle from opcode bytes, latin-1 strings and byte arrays. */
function pk(...parts: (number | string | Uint8Array | number[])[]): Uint8Array {
  const out: number[] = [];
  for (const p of parts) {
    if (typeof p === "number") out.push(p);
    else if (typeof p === "string") for (const c of p) out.push(c.charCodeAt(0));
    else out.push(...p);
  }
  return new Uint8Array(out);
}
const u32 = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];
const u64 = (n: bigint): number[] =>
  Array.from({ length: 8 }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn));
const short = (s: string): (number | string)[] => [0x8c, s.length, s];

function rejectsGlobal(bytes: Uint8Array, name: string): void {
  assert.throws(
    () => loadsPickle(bytes),
    (err: unknown) => {
      assert.ok(err instanceof UnsupportedPickleGlobalError, String(err));
      assert.equal(err.code, "unsupported-pickle-global");
      assert.equal(err.global, name);
      assert.match(
        err.message,
        new RegExp(`pickle global not allowed: ${name.replace(".", "\\.")}`),
      );
      return true;
    },
  );
}

describe("pickle safety: globals outside the allow-list are refused by name", () => {
  it("os.system (protocol 0 GLOBAL + REDUCE)", () => {
    rejectsGlobal(pk("cos\nsystem\n(S'echo pwned'\ntR."), "os.system");
  });
  it("posix.system (protocol 2)", () => {
    rejectsGlobal(pk(0x80, 2, "cposix\nsystem\nq\x00X", u32(4), "true\x85R."), "posix.system");
  });
  it("builtins.eval (protocol 4 STACK_GLOBAL)", () => {
    rejectsGlobal(
      pk(0x80, 4, ...short("builtins"), ...short("eval"), 0x93, ...short("1+1"), 0x85, "R."),
      "builtins.eval",
    );
  });
  it("__builtin__.eval (Python 2 spelling)", () => {
    rejectsGlobal(pk("c__builtin__\neval\n(Vx\ntR."), "__builtin__.eval");
  });
  it("subprocess.Popen", () => {
    rejectsGlobal(
      pk(0x80, 4, ...short("subprocess"), ...short("Popen"), 0x93, ")\x81."),
      "subprocess.Popen",
    );
  });
  it("builtins.getattr (how zoneinfo tzinfo pickles)", () => {
    rejectsGlobal(
      pk(0x80, 4, ...short("builtins"), ...short("getattr"), 0x93, "."),
      "builtins.getattr",
    );
  });
  it("a global inside copyreg._reconstructor", () => {
    rejectsGlobal(
      pk("ccopy_reg\n_reconstructor\n(cos\nsystem\nc__builtin__\nobject\nNtR."),
      "os.system",
    );
  });
  it("an allow-listed global used as a value or called the wrong way", () => {
    assert.throws(
      () => loadsPickle(pk(0x80, 4, ...short("datetime"), ...short("datetime"), 0x93, ".")),
      UnsupportedPickleGlobalError,
    );
    assert.throws(() => loadsPickle(pk("cbuiltins\nobject\n)R.")), UnsupportedPickleGlobalError);
    assert.throws(() => loadsPickle(pk("cdatetime\ndate\n)\x81.")), UnsupportedPickleGlobalError);
    assert.throws(
      () =>
        loadsPickle(pk("ccopy_reg\n_reconstructor\n(cdatetime\ndate\nc__builtin__\nobject\nNtR.")),
      MalformedError,
    );
    assert.throws(() => loadsPickle(pk("c_codecs\nencode\n(Vx\nVutf-8\ntR.")), MalformedError);
  });
});

describe("pickle safety: refused opcodes", () => {
  const cases: [string, Uint8Array][] = [
    ["INST", pk("(ios\nsystem\nS'x'\n.")],
    ["OBJ", pk("(No.")],
    ["PERSID", pk("Pfoo\n.")],
    ["BINPERSID", pk("NQ.")],
    ["EXT1", pk(0x80, 2, 0x82, 1, ".")],
    ["EXT2", pk(0x80, 2, 0x83, 1, 0, ".")],
    ["EXT4", pk(0x80, 2, 0x84, 1, 0, 0, 0, ".")],
    ["NEWOBJ_EX", pk(0x80, 4, "N)}", 0x92, ".")],
    ["NEXT_BUFFER", pk(0x80, 5, 0x97, ".")],
    ["READONLY_BUFFER", pk(0x80, 5, "N", 0x98, ".")],
    ["STRING", pk("S'abc'\n.")],
    ["unknown", pk(0x80, 4, 0xff, ".")],
  ];
  for (const [name, bytes] of cases) {
    it(name, () => {
      assert.throws(
        () => loadsPickle(bytes),
        (err: unknown) =>
          err instanceof UnsupportedPickleOpcodeError &&
          err.code === "unsupported-pickle-opcode" &&
          err.message.includes(name),
      );
    });
  }
});

describe("pickle safety: broken and oversized input", () => {
  const sample = dumpsPickle(
    new Map<string, PyValue>([
      ["a", [1, 2.5, "x".repeat(300), new Uint8Array([1, 2, 3])]],
      ["when", new PyDateTime(2024, 1, 2, 3, 4, 5, 6, 3600)],
      ["big", 2n ** 100n],
      ["u", new PyUUID("12345678123456781234567812345678")],
      ["t", new PyTuple([1, new PyDecimal("1.5")])],
    ]),
  );

  it("every truncation of a valid pickle is a MalformedError", () => {
    for (let n = 0; n < sample.length; n++) {
      assert.throws(() => loadsPickle(sample.subarray(0, n)), MalformedError, `prefix ${n}`);
    }
    assert.doesNotThrow(() => loadsPickle(sample));
  });

  it("random corruption only ever raises sessionbridge errors", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(sample.length - 1), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 4,
        }),
        (edits) => {
          const bytes = sample.slice();
          for (const [i, b] of edits) bytes[i] = b;
          try {
            loadsPickle(bytes);
          } catch (err) {
            assert.ok(err instanceof SessionBridgeError, String(err));
          }
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("random bytes only ever raise sessionbridge errors", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          loadsPickle(pk(0x80, 4, bytes, "."));
        } catch (err) {
          assert.ok(err instanceof SessionBridgeError, String(err));
        }
      }),
      { numRuns: 3000 },
    );
  });

  it("lying lengths are refused without allocating", () => {
    const tooLarge = (b: Uint8Array): void => {
      assert.throws(
        () => loadsPickle(b),
        (e: unknown) => e instanceof MalformedError || e instanceof TooLargeError,
      );
    };
    tooLarge(pk(0x80, 4, 0x8d, u64(1n << 60n), "abc."));
    tooLarge(pk(0x80, 4, 0x8e, u64(1n << 60n), "abc."));
    tooLarge(pk(0x80, 5, 0x96, u64(0xffffffffn), "abc."));
    tooLarge(pk(0x80, 4, 0x95, u64(1n << 40n), "N."));
    tooLarge(pk(0x80, 4, 0x95, u64(100n), "N."));
    tooLarge(pk(0x80, 3, "X", u32(0xffffffff), "abc."));
    tooLarge(pk(0x80, 3, "B", u32(0x7fffffff), "abc."));
    tooLarge(pk(0x80, 2, 0x8b, u32(0x7fffffff), "."));
    tooLarge(pk("L", "9".repeat(5000), "L\n."));
  });

  it("stack underflow, bad marks and bad memo keys are MalformedError", () => {
    for (const b of [
      pk(0x80, 4, "a."),
      pk(0x80, 4, "]a."),
      pk(0x80, 4, "N(e."),
      pk(0x80, 4, "e."),
      pk(0x80, 4, "1."),
      pk(0x80, 4, "h\x05."),
      pk(0x80, 4, "j", u32(0xffffffff), "."),
      pk(0x80, 4, "."),
      pk(0x80, 4, "K\x01N(\x86."),
      pk(0x80, 4, "Ns."),
      pk(0x80, 4, "]K\x01K\x02s."),
      pk(0x80, 4, "}K\x01a."),
      pk(0x80, 4, "K\x01}b."),
      pk(0x80, 9, "N."),
      pk(0x80, 4, 0x8c, 2, 0xff, 0xfe, "."),
      pk(0x80, 4, 0x8c, 3, 0xed, 0xa0, "."),
    ]) {
      assert.throws(() => loadsPickle(b), MalformedError, Buffer.from(b).toString("hex"));
    }
  });

  it("input size limit", () => {
    assert.throws(() => loadsPickle(new Uint8Array(100), { maxInputBytes: 99 }), TooLargeError);
  });

  describe("large stored values are refused at once, with bounds kept while parsing", () => {
    const MiB = 1024 * 1024;
    const fill = (n: number, byte: number): Uint8Array => new Uint8Array(n).fill(byte);
    // Each of these makes one value (or one MARK) per byte: without bounds while parsing,
    // 4 MiB of them built millions of objects before the final pass could count.
    const amplifiers: readonly [string, number][] = [
      ["} EMPTY_DICT", 0x7d],
      ["] EMPTY_LIST", 0x5d],
      [") EMPTY_TUPLE", 0x29],
      ["N NONE", 0x4e],
      ["\x88 NEWTRUE", 0x88],
      ["\x8f EMPTY_SET", 0x8f],
    ];

    it("the default input bound (1 MiB) refuses a 4 MiB value before reading it", () => {
      for (const [name, byte] of amplifiers) {
        assert.throws(
          () => loadsPickle(fill(4 * MiB, byte)),
          (err: unknown) =>
            err instanceof TooLargeError &&
            /input of 4194304 bytes exceeds 1048576/.test(err.message),
          name,
        );
      }
      const justInside = Buffer.concat([
        pk(0x80, 4, "X", u32(MiB - 8)),
        fill(MiB - 8, 0x61),
        pk("."),
      ]);
      assert.equal(justInside.length, MiB);
      assert.equal((loadsPickle(justInside) as string).length, MiB - 8);
    });

    it("with the input bound lifted, the item budget stops the parse itself", () => {
      // The data has no STOP: had the whole input been read, the error would be "truncated".
      for (const [name, byte] of amplifiers) {
        assert.throws(
          () => loadsPickle(fill(4 * MiB, byte), { maxInputBytes: 64 * MiB }),
          (err: unknown) =>
            err instanceof TooLargeError && /more than 100000 values/.test(err.message),
          name,
        );
      }
      // MARKs: open ones never outnumber the nesting depth CPython writes.
      assert.throws(
        () => loadsPickle(fill(4 * MiB, 0x28), { maxInputBytes: 64 * MiB }),
        (err: unknown) =>
          err instanceof TooLargeError && /nesting deeper than 500/.test(err.message),
      );
      // DUP and memo gets of one value count once per use.
      const gets = new Uint8Array(2 * MiB).map((_, i) => (i % 2 === 0 ? 0x68 : 0)); // BINGET 0
      for (const body of [
        Buffer.concat([pk("]"), fill(MiB, 0x32)]),
        Buffer.concat([pk("]q\x00"), gets]),
      ]) {
        assert.throws(
          () => loadsPickle(body, { maxInputBytes: 64 * MiB }),
          /more than 100000 values/,
        );
      }
    });

    it("the item budget is an option, and a real session is far inside the default", () => {
      const many = pk(0x80, 4, "]", "(", new Uint8Array(1000).fill(0x4e), "e.");
      assert.equal((loadsPickle(many) as unknown[]).length, 1000);
      assert.throws(() => loadsPickle(many, { maxItems: 999 }), /more than 999 values/);
    });
  });

  it("a memo 'billion laughs' is refused by the expanded-size limit", () => {
    // l0 = ["x"]; l(i+1) = [li, li] for 64 levels: 2^64 values if expanded.
    const simple: (number | string | number[])[] = [0x80, 4, "]q\x00", ...short("x"), "a"];
    for (let i = 0; i < 64; i++) simple.push("(h", i, "h", i, "lq", i + 1, "0");
    simple.push("h", 64, ".");
    // Expanding 2^64 values would never finish: the refusal itself shows nothing was expanded.
    assert.throws(() => loadsPickle(pk(...simple)), /more than 100000 values/);
  });

  it("deep nesting is refused (tuples wrapping in constant stack space)", () => {
    const deep = pk(0x80, 4, "N", new Uint8Array(100_000).fill(0x85), ".");
    assert.throws(() => loadsPickle(deep), TooLargeError);
    const ok = pk(0x80, 4, "N", new Uint8Array(100).fill(0x85), ".");
    assert.doesNotThrow(() => loadsPickle(ok));
    assert.throws(() => loadsPickle(ok, { maxDepth: 50 }), TooLargeError);
  });

  it("deep nesting through the memo is refused", () => {
    // x = []; repeat: put x, pop, y = [], get x, append -> y contains x; x = y.
    const parts: (number | string | number[])[] = [0x80, 2, "]"];
    for (let i = 0; i < 5000; i++) parts.push("r", u32(0), "0]j", u32(0), "a");
    parts.push(".");
    assert.throws(() => loadsPickle(pk(...parts)), TooLargeError);
  });

  it("recursive structures are refused", () => {
    assert.throws(() => loadsPickle(pk(0x80, 2, "]q\x00h\x00a.")), /recursive/);
    assert.throws(() => loadsPickle(pk(0x80, 2, "}q\x00X", u32(1), "ah\x00s.")), /recursive/);
  });

  it("the writer refuses cycles and over-deep values", () => {
    const a: PyValue[] = [];
    a.push(a);
    assert.throws(() => dumpsPickle(a), UnsupportedValueError);
    let deep: PyValue = 1;
    for (let i = 0; i < 600; i++) deep = [deep];
    assert.throws(() => dumpsPickle(deep), TooLargeError);
    assert.doesNotThrow(() => dumpsPickle(deep, { maxDepth: 1000 }));
    assert.throws(() => dumpsPickle(new Date() as unknown as PyValue), UnsupportedValueError);
    assert.throws(() => dumpsPickle(undefined as unknown as PyValue), UnsupportedValueError);
  });
});

describe("pickle: options", () => {
  it("non-str dict keys are refused by default and stringified on request", () => {
    // {1: "a", True: "b", None: "c", 1.5: "d", 2**70: "e"}
    const bytes = pk(
      0x80,
      4,
      "}(K\x01",
      ...short("a"),
      0x88,
      ...short("b"),
      "N",
      ...short("c"),
      "G",
      [0x3f, 0xf8, 0, 0, 0, 0, 0, 0],
      ...short("d"),
      0x8a,
      9,
      [0, 0, 0, 0, 0, 0, 0, 0, 0x40],
      ...short("e"),
      "u.",
    );
    assert.throws(
      () => loadsPickle(bytes),
      (e: unknown) => e instanceof MalformedError && /nonStringKeys/.test(e.message),
    );
    assert.deepEqual(loadsPickle(bytes, { nonStringKeys: "stringify" }), {
      "1": "a",
      true: "b",
      null: "c",
      "1.5": "d",
      "1180591620717411303424": "e",
    });
    const tupleKey = pk(0x80, 4, "}K\x01\x85Ns.");
    assert.throws(() => loadsPickle(tupleKey, { nonStringKeys: "stringify" }), MalformedError);
  });

  it("sets read as PySet/PyFrozenSet, as lists with sets: 'list', or are refused with sets: 'error'", () => {
    const set = pk(0x80, 4, 0x8f, 0x94, "(K\x01K\x02", 0x90, ".");
    assert.deepEqual(loadsPickle(set), new PySet([1, 2]));
    assert.ok(loadsPickle(set) instanceof PySet);
    assert.deepEqual(loadsPickle(set, { sets: "list" }), [1, 2]);
    assert.throws(() => loadsPickle(set, { sets: "error" }), UnsupportedPickleOpcodeError);
    const frozen = pk(0x80, 4, "(K\x01", 0x91, ".");
    assert.ok(loadsPickle(frozen) instanceof PyFrozenSet);
    assert.deepEqual(loadsPickle(frozen, { sets: "list" }), [1]);
    const old = pk(0x80, 2, "c__builtin__\nset\n]K\x01a\x85R.");
    assert.deepEqual(loadsPickle(old), new PySet([1]));
    assert.deepEqual(loadsPickle(old, { sets: "list" }), [1]);
    assert.throws(() => loadsPickle(old, { sets: "error" }), UnsupportedPickleGlobalError);
  });

  it("ADDITEMS on anything but a set, SETITEMS on a set, BUILD on an OrderedDict are malformed", () => {
    assert.throws(() => loadsPickle(pk(0x80, 4, "}(K\x01", 0x90, ".")), MalformedError);
    assert.throws(() => loadsPickle(pk(0x80, 4, 0x8f, "(K\x01K\x02u.")), MalformedError);
    const odictBuild = pk(0x80, 2, "ccollections\nOrderedDict\n)R}b.");
    assert.throws(() => loadsPickle(odictBuild), MalformedError);
  });

  it("a set or OrderedDict holding an object that waits for BUILD gets the built object", () => {
    // set([Markup("a")]) at protocol 2: the Markup is made by NEWOBJ and never BUILT; the final
    // pass builds it, in the set and in the OrderedDict.
    const markup = "cmarkupsafe\nMarkup\nX\x01\x00\x00\x00a\x85\x81";
    const set = loadsPickle(pk(0x80, 2, `c__builtin__\nset\n]${markup}a\x85R.`));
    assert.ok(set instanceof PySet);
    assert.deepEqual([...set], [new PyMarkup("a")]);
    const od = loadsPickle(
      pk(0x80, 2, `ccollections\nOrderedDict\n)RX\x01\x00\x00\x00k${markup}s.`),
    );
    assert.ok(od instanceof PyOrderedDict);
    assert.deepEqual([...od], [["k", new PyMarkup("a")]]);
  });

  it("a set holding what Python cannot hash is refused on write", () => {
    for (const item of [
      [1],
      { a: 1 },
      new PySet([1]),
      new PyTuple([1, [2]]),
      new PyOrderedDict(),
    ]) {
      assert.throws(() => dumpsPickle({ s: new PySet([item]) }), UnsupportedValueError);
      assert.throws(() => dumpsPickle({ s: new PyFrozenSet([item]) }), UnsupportedValueError);
    }
    const fine = new PySet([1, "a", new PyTuple([1, "b"]), new PyFrozenSet([2]), null]);
    assert.deepEqual(loadsPickle(dumpsPickle(fine)), fine);
  });

  it("the allow-list can be extended with typed hooks", () => {
    // myapp.Money(Decimal("9.99"), "EUR") via REDUCE
    const reduce = pk(
      0x80,
      4,
      ...short("myapp"),
      ...short("Money"),
      0x93,
      ...short("decimal"),
      ...short("Decimal"),
      0x93,
      ...short("9.99"),
      0x85,
      "R",
      ...short("EUR"),
      0x86,
      "R.",
    );
    assert.throws(() => loadsPickle(reduce), UnsupportedPickleGlobalError);
    const options = {
      globals: {
        "myapp.Money": (args: readonly PyValue[]): PyValue => ({
          amount: args[0]!,
          currency: args[1]!,
        }),
      },
    };
    assert.deepEqual(loadsPickle(reduce, options), {
      amount: new PyDecimal("9.99"),
      currency: "EUR",
    });

    // a plain class: copyreg.__newobj__ (NEWOBJ) + BUILD with its __dict__
    const newobj = pk(
      0x80,
      4,
      ...short("myapp"),
      ...short("User"),
      0x93,
      ")",
      0x81,
      "}",
      ...short("name"),
      ...short("ann"),
      "sb.",
    );
    assert.throws(() => loadsPickle(newobj, options), UnsupportedPickleGlobalError);
    const user = loadsPickle(newobj, {
      globals: { "myapp.User": { newobj: (_args, state) => ({ user: state ?? null }) } },
    });
    assert.deepEqual(user, { user: { name: "ann" } });
  });

  it("reads markupsafe.Markup and writes it back", () => {
    const m = loadsPickleSession(dumpsPickle(new Map([["m", new PyMarkup("<b>")]])));
    assert.deepEqual(m.get("m"), new PyMarkup("<b>"));
  });

  it("loadsPickleSession refuses a non-dict", () => {
    assert.throws(() => loadsPickleSession(dumpsPickle([1])), MalformedError);
    assert.deepEqual(loadsPickle(dumpsPickle({ a: 1 })), { a: 1 });
  });
});
