"""Cross-test helper: runs the REAL itsdangerous / Flask / Starlette / Flask-Session /
Flask-Login code for the TypeScript tests.

Run as `/usr/bin/python3 python_peer.py` with PYTHONPATH from .cache/python-peers/peers.json.
stdin: a JSON list of requests `{"op": ..., ...}`; stdout: a JSON list of results, one per
request, each `{"ok": ...}` or `{"error": "<exception class>", "message": ...}`.

Values cross the boundary as "descriptions" (see describe/build) so types survive:
null/bool/str as JSON; {"int": "digits"}, {"float": "<json repr>"}, {"list": [...]},
{"tuple": [...]}, {"dict": [[k, v], ...]}, {"bytes": hex}, {"markup": s}, {"uuid": hex},
{"datetime": [y, mo, d, h, mi, s, us, utcoffset_seconds_or_null]}.
"""

import asyncio
import base64
import datetime
import hashlib
import json
import sys
import uuid

FIXED = {"now": 1700000000}


def describe(v):
    if v is None or isinstance(v, bool):
        return v
    if isinstance(v, int):
        return {"int": str(v)}
    if isinstance(v, float):
        return {"float": json.dumps(v)}
    try:
        from markupsafe import Markup

        if isinstance(v, Markup):
            return {"markup": str(v)}
    except ImportError:  # Starlette peers have no markupsafe
        pass
    if isinstance(v, str):
        return v
    if isinstance(v, bytes):
        return {"bytes": v.hex()}
    if isinstance(v, tuple):
        return {"tuple": [describe(x) for x in v]}
    if isinstance(v, list):
        return {"list": [describe(x) for x in v]}
    if isinstance(v, dict):
        return {"dict": [[k, describe(x)] for k, x in v.items()]}
    if isinstance(v, uuid.UUID):
        return {"uuid": v.hex}
    if isinstance(v, datetime.datetime):
        off = v.utcoffset()
        return {
            "datetime": [
                v.year, v.month, v.day, v.hour, v.minute, v.second, v.microsecond,
                None if off is None else int(off.total_seconds()),
            ]
        }
    raise TypeError(f"cannot describe {type(v).__name__}")


def build(d):
    if d is None or isinstance(d, (bool, str)):
        return d
    (kind, x), = d.items()
    if kind == "int":
        return int(x)
    if kind == "float":
        return float(x)
    if kind == "list":
        return [build(i) for i in x]
    if kind == "tuple":
        return tuple(build(i) for i in x)
    if kind == "dict":
        return {k: build(i) for k, i in x}
    if kind == "bytes":
        return bytes.fromhex(x)
    if kind == "markup":
        from markupsafe import Markup

        return Markup(x)
    if kind == "uuid":
        return uuid.UUID(hex=x)
    if kind == "datetime":
        y, mo, day, h, mi, s, us, off = x
        tz = None if off is None else datetime.timezone(datetime.timedelta(seconds=off))
        return datetime.datetime(y, mo, day, h, mi, s, us, tzinfo=tz)
    raise ValueError(kind)


def pin_clock(now):
    from itsdangerous import timed

    FIXED["now"] = now
    timed.TimestampSigner.get_timestamp = lambda self: FIXED["now"]


def flask_app(req):
    import flask

    app = flask.Flask("peer")
    app.secret_key = req.get("secret", "test-secret-key")
    if "fallbacks" in req:
        app.config["SECRET_KEY_FALLBACKS"] = req["fallbacks"]
    return app


def op_versions(req):
    from importlib.metadata import version

    out = {}
    for name in req["packages"]:
        out[name] = version(name)
    return out


def op_flask_dumps(req):
    """get_signing_serializer(app).dumps(session) inside an app context, as save_session does."""
    pin_clock(req["now"])
    app = flask_app(req)
    with app.test_request_context("/"):
        s = app.session_interface.get_signing_serializer(app)
        data = build(req["session"])
        return {"cookie": s.dumps(data), "json": s.serializer.dumps(data)}


def op_flask_loads(req):
    """s.loads(cookie, max_age=PERMANENT_SESSION_LIFETIME), as open_session does."""
    pin_clock(req["now"])
    app = flask_app(req)
    with app.test_request_context("/"):
        s = app.session_interface.get_signing_serializer(app)
        max_age = int(app.permanent_session_lifetime.total_seconds())
        return describe(s.loads(req["cookie"], max_age=max_age))


def op_flask_open_session(req):
    """The full open_session path with the cookie in a request (errors become {})."""
    pin_clock(req["now"])
    app = flask_app(req)
    with app.test_request_context("/", headers={"Cookie": f"session={req['cookie']}"}) as ctx:
        sess = app.session_interface.open_session(app, ctx.request)
        return describe(dict(sess))


def op_flask_save_session(req):
    """The full save_session path: the Set-Cookie header Flask sends for a modified session."""
    pin_clock(req["now"])
    app = flask_app(req)
    with app.test_request_context("/") as ctx:
        sess = app.session_interface.open_session(app, ctx.request)
        sess.update(build(req["session"]))
        resp = app.response_class()
        app.session_interface.save_session(app, sess, resp)
        return resp.headers.getlist("Set-Cookie")


def op_flask_session_sign(req):
    """Flask-Session's SESSION_USE_SIGNER signer (`_get_signer(app)`)."""
    import flask
    from flask_session import Session

    app = flask.Flask("peer")
    app.secret_key = req.get("secret", "test-secret-key")
    app.config.update(SESSION_TYPE="redis", SESSION_USE_SIGNER=True)
    import redis

    app.config["SESSION_REDIS"] = redis.Redis()  # lazy: never connects here
    Session(app)
    signer = app.session_interface._get_signer(app)
    out = {"signed": signer.sign(req["sid"].encode()).decode()}
    if "cookie" in req:
        try:
            out["unsigned"] = signer.unsign(req["cookie"]).decode()
        except Exception as e:  # noqa: BLE001
            out["unsigned_error"] = type(e).__name__
    return out


def op_flask_login(req):
    """Flask-Login `_create_identifier()` and `encode_cookie()` inside a real request."""
    import flask
    from flask_login import utils

    app = flask.Flask("peer")
    app.secret_key = req.get("secret", "test-secret-key")
    environ = {}
    if req.get("remote_addr") is not None:
        environ["REMOTE_ADDR"] = req["remote_addr"]
    headers = {}
    if req.get("forwarded_for") is not None:
        headers["X-Forwarded-For"] = req["forwarded_for"]
    if req.get("user_agent") is not None:
        headers["User-Agent"] = req["user_agent"]
    with app.test_request_context("/", headers=headers, environ_base=environ):
        if req.get("remote_addr") is None:
            flask.request.environ.pop("REMOTE_ADDR", None)
        out = {"identifier": utils._create_identifier()}
        if "user_id" in req:
            out["remember"] = utils.encode_cookie(req["user_id"])
            out["decoded"] = utils.decode_cookie(req.get("cookie", out["remember"]))
        return out


def run_asgi(mw, scope):
    messages = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        messages.append(message)

    asyncio.run(mw(scope, receive, send))
    return messages


def starlette_middleware(req, inner):
    from starlette.middleware.sessions import SessionMiddleware

    kwargs = {}
    if "max_age" in req:
        kwargs["max_age"] = req["max_age"]
    return SessionMiddleware(inner, secret_key=req.get("secret", "test-secret-key"), **kwargs)


def http_scope(cookie=None):
    headers = [] if cookie is None else [(b"cookie", f"session={cookie}".encode("latin-1"))]
    return {
        "type": "http", "method": "GET", "path": "/", "root_path": "", "scheme": "http",
        "query_string": b"", "headers": headers, "server": ("testserver", 80),
        "client": ("127.0.0.1", 1234), "http_version": "1.1", "asgi": {"version": "3.0"},
    }


def op_starlette_dumps(req):
    """The real SessionMiddleware: the inner app fills the session; returns the cookie value."""
    pin_clock(req["now"])
    data = build(req["session"])

    async def inner(scope, receive, send):
        scope["session"].update(data)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    messages = run_asgi(starlette_middleware(req, inner), http_scope())
    cookies = [v.decode("latin-1") for k, v in messages[0]["headers"] if k == b"set-cookie"]
    value = cookies[0].split(";", 1)[0].split("=", 1)[1]
    return {"cookie": value, "set_cookie": cookies[0]}


def op_starlette_loads(req):
    """The real SessionMiddleware reading a cookie: returns scope["session"] ({} when rejected)."""
    pin_clock(req["now"])
    seen = {}

    async def inner(scope, receive, send):
        seen["session"] = dict(scope["session"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    mw = starlette_middleware(req, inner)
    run_asgi(mw, http_scope(req["cookie"]))
    return describe(seen["session"])


def op_starlette_unsign(req):
    """The middleware's own signer with its max_age, to classify rejections."""
    pin_clock(req["now"])
    mw = starlette_middleware(req, None)
    return mw.signer.unsign(req["cookie"].encode(), max_age=mw.max_age).decode()


def key_of(k):
    return bytes.fromhex(k["hex"]) if isinstance(k, dict) else k


def op_itsdangerous(req):
    """Generic itsdangerous call: build a class with kwargs, call a method."""
    import itsdangerous

    pin_clock(req.get("now", FIXED["now"]))
    kwargs = dict(req.get("kwargs", {}))
    for name in ("signer_kwargs",):
        if name in kwargs and "digest_method" in kwargs[name]:
            kwargs[name]["digest_method"] = getattr(hashlib, kwargs[name]["digest_method"])
    if "digest_method" in kwargs:
        kwargs["digest_method"] = getattr(hashlib, kwargs["digest_method"])
    if "fallback_signers" in kwargs:
        kwargs["fallback_signers"] = [
            {**f, "digest_method": getattr(hashlib, f["digest_method"])} if "digest_method" in f else f
            for f in kwargs["fallback_signers"]
        ]
    if "salt" in kwargs and isinstance(kwargs["salt"], dict):
        kwargs["salt"] = bytes.fromhex(kwargs["salt"]["hex"])
    key = req["key"]
    key = [key_of(k) for k in key] if isinstance(key, list) else key_of(key)
    obj = getattr(itsdangerous, req["cls"])(key, **kwargs)
    args = req.get("args", [])
    if req["method"] in ("dumps",):
        args = [build(a) for a in args]
    result = getattr(obj, req["method"])(*args, **req.get("call_kwargs", {}))
    if isinstance(result, bytes):
        return {"bytes_hex": result.hex()}
    if req["method"] == "loads":
        return describe(result)
    return result


def op_b64decode(req):
    """base64.b64decode / itsdangerous base64_decode of a string, as hex (or the error)."""
    if req.get("urlsafe"):
        from itsdangerous.encoding import base64_decode

        return base64_decode(req["text"]).hex()
    return base64.b64decode(req["text"].encode("utf-8")).hex()  # Starlette decodes bytes


def main():
    requests = json.load(sys.stdin)
    results = []
    for req in requests:
        try:
            results.append({"ok": globals()["op_" + req["op"]](req)})
        except Exception as e:  # noqa: BLE001 - every failure is reported back
            results.append({"error": type(e).__name__, "message": str(e)})
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
