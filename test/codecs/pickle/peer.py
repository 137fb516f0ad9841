"""Python peer for the pickle codec tests (run with /usr/bin/python3).

Commands (argv[1]):
  fixtures  print {name: {"canon": ..., "hex": {"0": ..., "5": ...}, "exact": bool}} for FIXTURES
  load      stdin: JSON list of hex pickles (made by sessionbridge; trusted test data only);
            print [{"canon": ..., "redump": hex of pickle.dumps(value, 4)} | {"error": str}]
  shared    stdin: one hex pickle of {"a": x, "b": x}; print whether value["a"] is value["b"]

The canonical JSON form keeps Python types: {"$int": "12"}, {"$float": repr}, {"$bytes": hex},
{"$tuple": [...]}, {"$dict": [[k, v], ...]}, {"$datetime": [y, mo, d, h, mi, s, us, offset]},
{"$date": [y, m, d]}, {"$td": [d, s, us]}, {"$decimal": str}, {"$uuid": hex},
{"$set": [...]} and {"$frozenset": [...]} (items in iteration order),
{"$odict": [[k, v], ...]} (in order); bytearray becomes bytes.
"""
import collections
import datetime as dt
import decimal
import json
import math
import pickle
import sys
import types
import uuid
from datetime import timedelta, timezone


# A stand-in for markupsafe (not installed here): a str subclass with __slots__ = (), as Markup is.
_markupsafe = types.ModuleType("markupsafe")


class Markup(str):
    __slots__ = ()


Markup.__module__ = "markupsafe"
_markupsafe.Markup = Markup
sys.modules["markupsafe"] = _markupsafe


def canon(v):
    if isinstance(v, Markup):
        return {"$markup": str(v)}
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, int):
        return {"$int": str(v)}
    if isinstance(v, float):
        return {"$float": repr(v)}
    if isinstance(v, (bytes, bytearray)):
        return {"$bytes": bytes(v).hex()}
    if isinstance(v, tuple):
        return {"$tuple": [canon(x) for x in v]}
    if isinstance(v, list):
        return [canon(x) for x in v]
    if isinstance(v, (set, frozenset)):
        return {"$set" if isinstance(v, set) else "$frozenset": [canon(x) for x in v]}
    if isinstance(v, collections.OrderedDict):
        return {"$odict": [[canon(k), canon(x)] for k, x in v.items()]}
    if isinstance(v, dict):
        return {"$dict": [[canon(k), canon(x)] for k, x in v.items()]}
    if isinstance(v, dt.datetime):
        off = v.utcoffset()
        return {"$datetime": [v.year, v.month, v.day, v.hour, v.minute, v.second, v.microsecond,
                              None if off is None else int(off.total_seconds())]}
    if isinstance(v, dt.date):
        return {"$date": [v.year, v.month, v.day]}
    if isinstance(v, timedelta):
        return {"$td": [v.days, v.seconds, v.microseconds]}
    if isinstance(v, decimal.Decimal):
        return {"$decimal": str(v)}
    if isinstance(v, uuid.UUID):
        return {"$uuid": v.hex}
    raise TypeError(f"no canonical form for {type(v)!r}")


UTC = timezone.utc
IST = timezone(timedelta(hours=5, minutes=30))
PST = timezone(timedelta(hours=-8))

FIXTURES = {
    "plain": {"foo": "bar", "n": 1, "l": [1, "two", None, True], "u": "é😀"},
    "unicode": {"kéy": "😀 astral \U0001F600 \U0010FFFF", "cjk": "漢字", "empty": "", "nul": "a\x00b",
                "long": "x" * 300, "lone_hi": "\ud800", "lone_lo": "a\udfffb", "ctrl": "\n\t\x7f\x80",
                "fffd": "\ufffd", "é" * 100: 1},
    "nested": {"a": {"b": {"c": [1, [2, [3, {"d": ()}]]]}}, "e": [], "f": {}, "g": [[]], "h": [{}]},
    "ints": {"zero": 0, "b1": 255, "b2": 256, "b2max": 65535, "i32": 65536, "neg": -1, "neg128": -128,
             "neg129": -129, "negpow": -256, "i32min": -2**31, "i32max": 2**31 - 1, "over": 2**31,
             "under": -2**31 - 1, "safe": 2**53 - 1, "unsafe": 2**53 + 1, "nsafe": -(2**53 - 1),
             "nunsafe": -(2**53 + 1), "huge": 2**200 + 12345, "nhuge": -2**200, "n63": -2**63,
             "p63": 2**63, "ff": 0xff << 64, "nff": -(0x80 << 64), "big4": 7**1000, "bools": [True, False]},
    "floats": {"half": 0.5, "one": 1.0, "negzero": -0.0, "zero": 0.0, "nan": math.nan, "inf": math.inf,
               "ninf": -math.inf, "big": 1e300, "bigint_float": 2.0**60, "tiny": 5e-324, "pi": math.pi,
               "neg": -2.5, "e16": 1e16, "e22": 1e22},
    "bytes": {"empty": b"", "b": b"\x00\xff abc", "long": bytes(range(256)) * 2, "ba": bytearray(b"xy"),
              "eba": bytearray()},
    "tuples": {"t0": (), "t1": (1,), "t2": (1, "a"), "t3": (1, 2, 3), "t4": (1, 2, 3, 4),
               "nested": ((1,), [()], ((),))},
    "datetimes": {
        "naive": dt.datetime(2024, 2, 29, 23, 59, 58, 123456),
        "utc": dt.datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
        "utc2": dt.datetime(2023, 12, 31, 0, 0, tzinfo=UTC),
        "ist": dt.datetime(2020, 6, 1, 12, 30, tzinfo=IST),
        "pst": dt.datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=PST),
        "pst2": dt.datetime(2001, 1, 1, tzinfo=PST),
        "date": dt.date(1999, 12, 31),
        "date_min": dt.date.min,
        "td": timedelta(days=-1, seconds=5, microseconds=7),
        "td2": timedelta(days=400, seconds=3600),
        "td0": timedelta(0),
        "min": dt.datetime.min,
        "max": dt.datetime.max,
    },
    "decimal": {"d": decimal.Decimal("12.50"), "neg": decimal.Decimal("-0.001"),
                "exp": decimal.Decimal("1E+10"), "nan": decimal.Decimal("NaN"),
                "inf": decimal.Decimal("-Infinity"), "zero": decimal.Decimal("0.00")},
    "uuid": {"u": uuid.UUID("12345678-1234-5678-1234-567812345678"), "one": uuid.UUID(int=1),
             "max": uuid.UUID(int=2**128 - 1), "zero": uuid.UUID(int=0)},
    "django": {"_auth_user_id": "1", "_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
               "_auth_user_hash": "a" * 64,
               "_session_expiry": dt.datetime(2025, 3, 4, 5, 6, 7, 890123, tzinfo=UTC),
               "cart": [{"sku": "X-1", "qty": 2, "price": decimal.Decimal("9.99")}],
               "visited": dt.date(2025, 3, 1)},
    "order": {"b": 1, "10": 2, "a": 3, "2": 4, "__proto__": 5, "constructor": 6},
    "big_list": {"l": list(range(2500)), "one": [1]},
    "dict1000": {str(i): i for i in range(1000)},
    "dict2001": {f"k{i}": i for i in range(2001)},
    "large_str": {"a": "x" * 70000, "b": b"y" * 70000, "c": "é" * 40000, "d": 1},
    "many_frames": {"s": [f"item-{i}-" + "z" * 20 for i in range(8000)]},
    "markup": {"m": Markup("<b>x</b>"), "e": Markup("")},
    # Not byte-identical (different Python types or identity-based memo):
    "sets": {"s": {1, 2, 3}, "fs": frozenset(["a"]), "empty": set(), "efs": frozenset(),
             "in": [{(1, "b")}, frozenset([frozenset([2])])], "big": set(range(2001))},
    "ordered": collections.OrderedDict([("z", 1), ("a", [collections.OrderedDict()]),
                                        ("2", collections.OrderedDict([("b", 1), ("1", 2)]))]),
    "ordered1000": {"o": collections.OrderedDict((f"k{i}", i) for i in range(1000)),
                    "o1001": collections.OrderedDict((f"k{i}", i) for i in range(1001))},
}
# bytearray changes type; "tuples": CPython shares the equal constant (1,) between two places,
# so its pickle has a BINGET where ours repeats the tuple.
INEXACT = {"bytes", "tuples"}


def main():
    cmd = sys.argv[1]
    if cmd == "fixtures":
        out = {}
        for name, value in FIXTURES.items():
            out[name] = {
                "canon": canon(value),
                "hex": {str(p): pickle.dumps(value, p).hex() for p in range(6)},
                "exact": name not in INEXACT,
            }
        json.dump(out, sys.stdout)
    elif cmd == "load":
        out = []
        for h in json.load(sys.stdin):
            try:
                v = pickle.loads(bytes.fromhex(h))
                out.append({"canon": canon(v), "redump": pickle.dumps(v, 4).hex()})
            except Exception as e:  # noqa: BLE001 - reported to the test
                out.append({"error": f"{type(e).__name__}: {e}"})
        json.dump(out, sys.stdout)
    elif cmd == "shared":
        v = pickle.loads(bytes.fromhex(sys.stdin.read().strip()))
        json.dump({"same": v["a"] is v["b"], "canon": canon(v)}, sys.stdout)
    else:
        raise SystemExit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
