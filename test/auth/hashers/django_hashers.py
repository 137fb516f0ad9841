"""Batch driver for Django's password hashers, used by django-interop.test.ts.

stdin: {"hashers": [algorithm, ...], "ops": [op, ...]}; stdout: {"versions": {...}, "results": [...]}.
ops:  {"op": "make", "password", "algorithm"}           -> {"encoded"}
      {"op": "check", "password", "encoded", "preferred"?} -> {"ok", "must_update"} (check_password;
                                                            must_update null when Django raises)
      {"op": "must_update", "encoded", "preferred"?}      -> {"must_update"} or {"error"}
      {"op": "identify", "encoded"}                       -> {"algorithm"} or {"error"}
Run with Debian's /usr/bin/python3 and a Django peer on PYTHONPATH.
"""
import json
import sys
import warnings

warnings.simplefilter("ignore")

import django  # noqa: E402
from django.conf import settings  # noqa: E402

CLASSES = {
    "pbkdf2_sha256": "PBKDF2PasswordHasher",
    "pbkdf2_sha1": "PBKDF2SHA1PasswordHasher",
    "argon2": "Argon2PasswordHasher",
    "bcrypt_sha256": "BCryptSHA256PasswordHasher",
    "bcrypt": "BCryptPasswordHasher",
    "scrypt": "ScryptPasswordHasher",
    "md5": "MD5PasswordHasher",
    "sha1": "SHA1PasswordHasher",
    "unsalted_sha1": "UnsaltedSHA1PasswordHasher",
    "unsalted_md5": "UnsaltedMD5PasswordHasher",
}

request = json.load(sys.stdin)
settings.configure(
    PASSWORD_HASHERS=["django.contrib.auth.hashers." + CLASSES[a] for a in request["hashers"]],
    SECRET_KEY="test-secret-key-for-django-vectors",
)
django.setup()

from django.contrib.auth import hashers  # noqa: E402

versions = {"django": django.get_version()}
for module in ("argon2", "bcrypt"):
    try:
        versions[module] = __import__(module).__version__
    except ImportError:
        versions[module] = None


def must_update(encoded, preferred):
    # The must_update half of verify_password (inline in 3.2's check_password), without hashing.
    hasher = hashers.identify_hasher(encoded)
    pref = hashers.get_hasher(preferred)
    return hasher.algorithm != pref.algorithm or pref.must_update(encoded)


def run(op):
    kind = op["op"]
    preferred = op.get("preferred") or "default"
    if kind == "make":
        return {"encoded": hashers.make_password(op["password"], hasher=op["algorithm"])}
    if kind == "check":
        ok = hashers.check_password(op["password"], op["encoded"], preferred=preferred)
        try:
            update = must_update(op["encoded"], preferred)
        except Exception:
            update = None
        return {"ok": ok, "must_update": update}
    if kind == "must_update":
        return {"must_update": must_update(op["encoded"], preferred)}
    if kind == "identify":
        return {"algorithm": hashers.identify_hasher(op["encoded"]).algorithm}
    raise ValueError("unknown op %r" % kind)


results = []
for op in request["ops"]:
    try:
        results.append(run(op))
    except Exception as e:  # report, do not abort the batch
        results.append({"error": "%s: %s" % (type(e).__name__, e)})
json.dump({"versions": versions, "results": results}, sys.stdout)
