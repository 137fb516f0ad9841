"""A real Flask app (cookie sessions, or Flask-Session on Redis) with Flask-Login, served by
Werkzeug's threaded WSGI server. Prints "READY <port>" once listening.

    python3 peer.py cookie            # SecureCookieSessionInterface
    python3 peer.py flask-session     # Flask-Session RedisSessionInterface (env FS_PREFIX, FS_SIGNER, FS_FORMAT)

Env: SECRET_KEY (default "test-secret-key").

Routes (GET): /set/<scenario>, /expected/<scenario>, /dump, /login/<uid>, /logout, /me,
/flash, /flashes, /clear, /plain, /permanent, /cookie-headers, /keep/<types|python-only>,
/types, /add-tag/<n>.
"""
import collections
import json
import os
import sys
import uuid
from datetime import datetime, timezone

from flask import Flask, flash, get_flashed_messages, jsonify, session
from flask.sessions import session_json_serializer
from flask_login import LoginManager, UserMixin, current_user, login_fresh, login_user, logout_user
from markupsafe import Markup
from werkzeug.serving import make_server

MODE = sys.argv[1] if len(sys.argv) > 1 else "cookie"
app = Flask(__name__)
app.config["SECRET_KEY"] = os.environ.get("SECRET_KEY", "test-secret-key")

if MODE == "flask-session":
    import redis
    from flask_session import Session

    app.config["SESSION_TYPE"] = "redis"
    app.config["SESSION_REDIS"] = redis.Redis(host="127.0.0.1", port=6379)
    app.config["SESSION_KEY_PREFIX"] = os.environ.get("FS_PREFIX", "session:")
    app.config["SESSION_USE_SIGNER"] = os.environ.get("FS_SIGNER") == "1"
    if os.environ.get("FS_FORMAT"):
        app.config["SESSION_SERIALIZATION_FORMAT"] = os.environ["FS_FORMAT"]
    Session(app)

login_manager = LoginManager(app)


class User(UserMixin):
    def __init__(self, uid):
        self.id = uid


@login_manager.user_loader
def load_user(uid):
    return User(uid) if uid in ("42", "alice", "7") else None


class Cart:
    """An application object in the session (pickled by reference: __main__.Cart)."""

    def __init__(self, items):
        self.items = items


def keep_scenario(kind):
    """A set, a frozenset and an OrderedDict; with python-only, what only Python can read."""
    data = {
        "tags": {1, 2, 3},
        "roles": frozenset(["admin"]),
        "steps": collections.OrderedDict([("pay", "2"), ("ship", "1")]),
    }
    if kind == "python-only":
        from zoneinfo import ZoneInfo

        data["cart"] = Cart(["apple"])
        data["at"] = datetime(2026, 1, 2, 3, 4, tzinfo=ZoneInfo("Europe/Paris"))
    return data


@app.get("/keep/<kind>")
def keep(kind):
    session.update(keep_scenario(kind))
    login_user(User("7"))
    return jsonify(ok=True)


@app.get("/types")
def types():
    """Each key's Python type and a JSON view of the kept values."""
    out = {"types": {k: type(v).__name__ for k, v in session.items()}}
    if "tags" in session:
        out["tags"] = sorted(session["tags"])
        out["roles"] = sorted(session["roles"])
        out["steps"] = [list(item) for item in session["steps"].items()]
    if "cart" in session:
        out["cart"] = session["cart"].items
        out["at"] = [session["at"].isoformat(), session["at"].tzinfo.key]
    out["user"] = current_user.get_id() if current_user.is_authenticated else None
    return jsonify(out)


@app.get("/add-tag/<int:n>")
def add_tag(n):
    session["tags"].add(n)  # what Flask code does with a set in the session
    session.modified = True
    return jsonify(tags=sorted(session["tags"]))


def scenario(name):
    if name == "plain":
        return {"user": "alice", "n": 42, "flag": True, "nothing": None, "f": 1.5, "one": 1.0,
                "big": 12345678901234567890, "neg": -7}
    if name == "unicode":
        return {"name": "Zo\u00eb \U0001f389", "k\u00e9y": "\u2603", "\uff5e": 1, "\U0001f600": 2}
    if name == "nested":
        return {"cart": {"items": [{"sku": "a", "qty": 2}], "total": 12.5}, "list": [1, [2, [3]]]}
    if name == "tagged":
        return {
            "tuple": (1, "a", (2,)),
            "bytes": b"\x00\xffhello",
            "uuid": uuid.UUID("12345678123456781234567812345678"),
            "dt": datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
            "markup": Markup("<b>hi</b>"),
            "escaped": {" t": "x"},
            "list_of_tuples": [("message", "Hello")],
        }
    if name == "typed":  # for Flask-Session: what pickle and msgpack both carry
        return {"tuple": (1, "a"), "bytes": b"\x00\xff", "dt": datetime(2024, 1, 2, 3, 4, 5, 123000, tzinfo=timezone.utc)}
    if name == "large":
        return {"blob": "lorem ipsum dolor " * 300, "n": list(range(200))}
    if name == "permanent":
        return {"user": "alice"}
    if name == "noise":  # incompressible: a signed cookie of about 4.5 KB (the nginx buffer test)
        import base64
        import random

        return {"noise": base64.b64encode(random.Random(7).randbytes(3400)).decode()}
    raise KeyError(name)


def canonical(data):
    """Flask's own tagged JSON, sorted: the comparison form for both sides."""
    return session_json_serializer.dumps(dict(data))


@app.get("/set/<name>")
def set_scenario(name):
    data = scenario(name)
    session.update(data)
    if name == "permanent":
        session.permanent = True
    return jsonify(ok=True)


@app.get("/expected/<name>")
def expected(name):
    data = dict(scenario(name))
    if name == "permanent":
        data["_permanent"] = True
    return jsonify(canonical=canonical(data))


@app.get("/dump")
def dump():
    data = dict(session)
    return jsonify(canonical=canonical(data), keys=sorted(data.keys()))


@app.get("/login/<uid>")
def login(uid):
    login_user(User(uid))
    flash("welcome")
    return jsonify(ok=True)


@app.get("/logout")
def logout():
    logout_user()
    return jsonify(ok=True)


@app.get("/me")
def me():
    user = current_user.get_id() if current_user.is_authenticated else None
    data = {k: v for k, v in session.items() if not k.startswith("_")}
    pending = [list(f) for f in session.get("_flashes", [])]
    return jsonify(user=user, fresh=login_fresh(), data=json.loads(canonical(data)), pending_flashes=pending)


@app.get("/flash")
def do_flash():
    flash("welcome")
    return jsonify(ok=True)


@app.get("/flashes")
def flashes():
    return jsonify(flashes=[list(f) for f in get_flashed_messages(with_categories=True)])


@app.get("/put/<name>")
def put(name):
    session[name] = name
    return jsonify(ok=True)


@app.get("/clear")
def clear():
    session.clear()
    return jsonify(ok=True)


@app.get("/plain")
def plain():
    return jsonify(ok=True)


@app.get("/read")
def read():
    return jsonify(user=session.get("user"))


@app.get("/permanent")
def permanent():
    session["user"] = "alice"
    session.permanent = True
    return jsonify(ok=True)


if __name__ == "__main__":
    server = make_server("127.0.0.1", 0, app, threaded=True)
    print(f"READY {server.server_port}", flush=True)
    server.serve_forever()
