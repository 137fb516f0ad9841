"""Django peer harness for sessionbridge interop tests.

Runs with Debian's system Python (/usr/bin/python3) and a Django taken from
.cache/python-peers (see scripts/python-peers.sh); works unchanged on Django
3.2, 4.2 and 5.2. Configured entirely from environment variables:

  DJANGO_DB            sqlite:/abs/path.sqlite3 | postgres://user[:pw]@host:port/db
                       | mysql://user[:pw]@host:port/db   (default: sqlite in $TMPDIR)
  SECRET_KEY           (default "sessionbridge-test-secret")
  SECRET_KEY_FALLBACKS comma-separated (Django >= 4.1; ignored on 3.2)
  SESSION_ENGINE       default django.contrib.sessions.backends.db
  SESSION_SERIALIZER, SESSION_FILE_PATH, SESSION_SAVE_EVERY_REQUEST,
  SESSION_EXPIRE_AT_BROWSER_CLOSE, SESSION_COOKIE_AGE, SESSION_COOKIE_NAME,
  SESSION_COOKIE_DOMAIN, SESSION_COOKIE_PATH, SESSION_COOKIE_SECURE,
  SESSION_COOKIE_HTTPONLY, SESSION_COOKIE_SAMESITE, SESSION_CACHE_ALIAS,
  DEFAULT_HASHING_ALGORITHM (3.2 only)               optional
  DJANGO_CACHE         django-redis:redis://127.0.0.1:6379/N  (django_redis.cache.RedisCache)
                       | redis:redis://...  (Django >= 4.0 built-in RedisCache)
                       | locmem (default)
  DJANGO_REDIS_SERIALIZER  pickle | json | msgpack     (django-redis only)
  DJANGO_REDIS_COMPRESSOR  zlib                        (django-redis only)
  CACHE_KEY_PREFIX, CACHE_VERSION

Subcommands (argv[1]) print one JSON document on stdout. Typed values use
{"$type": T, "value": V} with T in datetime (isoformat), date, time,
timedelta (total seconds), decimal (str), uuid (str), tuple (list),
bytes (hex), set / frozenset (list), ordereddict ([key, value] pairs); the
same convention is accepted on input.

  migrate | encode (stdin dict) | decode <value> | create [--expiry N] (stdin dict)
  load <key> | raw-row <key> | clearsessions | serve <port>  (0 = any free port)
  version | drop-tables (drops the django_* / auth_* tables, never the database)

postgres URLs accept ?schema=NAME (search_path; created by `migrate`) so that
concurrent users of the same database do not clash.
"""

import collections
import datetime
import decimal
import json
import os
import socketserver
import sys
import tempfile
import uuid
from urllib.parse import parse_qs, unquote, urlsplit


# ---------------------------------------------------------------------------
# Typed JSON convention
# ---------------------------------------------------------------------------
def to_json(v):
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    if isinstance(v, datetime.datetime):
        return {"$type": "datetime", "value": v.isoformat()}
    if isinstance(v, datetime.date):
        return {"$type": "date", "value": v.isoformat()}
    if isinstance(v, datetime.time):
        return {"$type": "time", "value": v.isoformat()}
    if isinstance(v, datetime.timedelta):
        return {"$type": "timedelta", "value": v.total_seconds()}
    if isinstance(v, decimal.Decimal):
        return {"$type": "decimal", "value": str(v)}
    if isinstance(v, uuid.UUID):
        return {"$type": "uuid", "value": str(v)}
    if isinstance(v, tuple):
        return {"$type": "tuple", "value": [to_json(x) for x in v]}
    if isinstance(v, (bytes, bytearray)):
        return {"$type": "bytes", "value": bytes(v).hex()}
    if isinstance(v, (set, frozenset)):
        kind = "set" if isinstance(v, set) else "frozenset"
        return {"$type": kind, "value": [to_json(x) for x in v]}
    if isinstance(v, collections.OrderedDict):
        return {"$type": "ordereddict", "value": [[k, to_json(x)] for k, x in v.items()]}
    if isinstance(v, list):
        return [to_json(x) for x in v]
    if isinstance(v, dict):
        if all(isinstance(k, str) for k in v):
            return {k: to_json(x) for k, x in v.items()}
        return {"$type": "dict", "value": [[to_json(k), to_json(x)] for k, x in v.items()]}
    return {"$type": "repr", "value": repr(v)}


def from_json(v):
    if isinstance(v, list):
        return [from_json(x) for x in v]
    if not isinstance(v, dict):
        return v
    t = v.get("$type")
    if t is None or "value" not in v:
        return {k: from_json(x) for k, x in v.items()}
    x = v["value"]
    if t == "datetime":
        return datetime.datetime.fromisoformat(x)
    if t == "date":
        return datetime.date.fromisoformat(x)
    if t == "time":
        return datetime.time.fromisoformat(x)
    if t == "timedelta":
        return datetime.timedelta(seconds=x)
    if t == "decimal":
        return decimal.Decimal(x)
    if t == "uuid":
        return uuid.UUID(x)
    if t == "tuple":
        return tuple(from_json(i) for i in x)
    if t == "bytes":
        return bytes.fromhex(x)
    if t == "set":
        return set(from_json(i) for i in x)
    if t == "frozenset":
        return frozenset(from_json(i) for i in x)
    if t == "ordereddict":
        return collections.OrderedDict((k, from_json(i)) for k, i in x)
    if t == "float":
        return float(x)
    if t == "int":
        return int(x)
    if t == "dict":
        return {from_json(k): from_json(i) for k, i in x}
    raise ValueError("unknown $type %r" % (t,))


def emit(doc):
    sys.stdout.write(json.dumps(doc))
    sys.stdout.write("\n")
    sys.stdout.flush()


# ---------------------------------------------------------------------------
# Settings
# ---------------------------------------------------------------------------
def env_bool(name):
    v = os.environ.get(name)
    if v is None or v == "":
        return None
    return v.strip().lower() in ("1", "true", "yes", "on")


def db_settings(spec):
    if spec.startswith("sqlite:"):
        path = spec[len("sqlite:"):]
        if path.startswith("//"):
            path = path[2:]
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": path}
    u = urlsplit(spec)
    common = {
        "NAME": unquote(u.path.lstrip("/")) or "test",
        "USER": unquote(u.username or ""),
        "PASSWORD": unquote(u.password or ""),
        "HOST": u.hostname or "127.0.0.1",
        "PORT": str(u.port or ""),
    }
    if u.scheme in ("postgres", "postgresql"):
        conf = dict(common, ENGINE="django.db.backends.postgresql")
        schema = parse_qs(u.query).get("schema", [""])[0]
        if schema:
            # Isolate from other users of the same database: own search_path.
            conf["OPTIONS"] = {"options": "-c search_path=%s" % schema}
            conf["SCHEMA"] = schema
        return conf
    if u.scheme in ("mysql", "mariadb"):
        return dict(common, ENGINE="django.db.backends.mysql", OPTIONS={"charset": "utf8mb4"})
    raise SystemExit("unsupported DJANGO_DB %r" % (spec,))


def core_settings(db=None):
    """The settings every Django process of the tests starts from (this peer, project.py,
    apps_project.py, test/cli/manage/django_manage.py): the database of DJANGO_DB (or `db`),
    SECRET_KEY, UTC, SESSION_ENGINE, Django's own logging off. Each adds its apps and the rest."""
    return {
        "DEBUG": False,
        "SECRET_KEY": os.environ.get("SECRET_KEY", "sessionbridge-test-secret"),
        "USE_TZ": True,
        "TIME_ZONE": "UTC",
        "DATABASES": {"default": db_settings(db or os.environ["DJANGO_DB"])},
        "SESSION_ENGINE": os.environ.get("SESSION_ENGINE") or "django.contrib.sessions.backends.db",
        "LOGGING_CONFIG": None,
    }


def cache_settings(spec):
    if not spec or spec == "locmem":
        c = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    elif spec.startswith("django-redis:"):
        opts = {"CLIENT_CLASS": "django_redis.client.DefaultClient"}
        ser = os.environ.get("DJANGO_REDIS_SERIALIZER")
        if ser:
            opts["SERIALIZER"] = {
                "pickle": "django_redis.serializers.pickle.PickleSerializer",
                "json": "django_redis.serializers.json.JSONSerializer",
                "msgpack": "django_redis.serializers.msgpack.MSGPackSerializer",
            }.get(ser, ser)
        comp = os.environ.get("DJANGO_REDIS_COMPRESSOR")
        if comp:
            opts["COMPRESSOR"] = {
                "zlib": "django_redis.compressors.zlib.ZlibCompressor",
                "identity": "django_redis.compressors.identity.IdentityCompressor",
            }.get(comp, comp)
        c = {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": spec[len("django-redis:"):], "OPTIONS": opts}
    elif spec.startswith("redis:"):
        c = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": spec[len("redis:"):]}
    else:
        raise SystemExit("unsupported DJANGO_CACHE %r" % (spec,))
    if os.environ.get("CACHE_KEY_PREFIX") is not None:
        c["KEY_PREFIX"] = os.environ["CACHE_KEY_PREFIX"]
    if os.environ.get("CACHE_VERSION"):
        c["VERSION"] = int(os.environ["CACHE_VERSION"])
    return c


def configure():
    import django
    from django.conf import settings

    db = os.environ.get("DJANGO_DB") or "sqlite:" + os.path.join(tempfile.gettempdir(), "sessionbridge-django.sqlite3")
    conf = core_settings(db)
    conf.update({
        "ALLOWED_HOSTS": ["*"],
        "CACHES": {"default": cache_settings(os.environ.get("DJANGO_CACHE"))},
        "INSTALLED_APPS": [
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "django.contrib.sessions",
        ],
        "MIDDLEWARE": [
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
        ],
        "ROOT_URLCONF": __name__,
        "DEFAULT_AUTO_FIELD": "django.db.models.AutoField",
    })
    if django.VERSION >= (4, 1) and os.environ.get("SECRET_KEY_FALLBACKS"):
        conf["SECRET_KEY_FALLBACKS"] = [k for k in os.environ["SECRET_KEY_FALLBACKS"].split(",") if k]
    for name in ("SESSION_SERIALIZER", "SESSION_FILE_PATH", "SESSION_COOKIE_NAME", "SESSION_COOKIE_DOMAIN",
                 "SESSION_COOKIE_PATH", "SESSION_COOKIE_SAMESITE", "SESSION_CACHE_ALIAS"):
        if os.environ.get(name):
            conf[name] = os.environ[name]
    for name in ("SESSION_SAVE_EVERY_REQUEST", "SESSION_EXPIRE_AT_BROWSER_CLOSE", "SESSION_COOKIE_SECURE",
                 "SESSION_COOKIE_HTTPONLY"):
        b = env_bool(name)
        if b is not None:
            conf[name] = b
    if os.environ.get("SESSION_COOKIE_AGE"):
        conf["SESSION_COOKIE_AGE"] = int(os.environ["SESSION_COOKIE_AGE"])
    if django.VERSION < (4, 0) and os.environ.get("DEFAULT_HASHING_ALGORITHM"):
        conf["DEFAULT_HASHING_ALGORITHM"] = os.environ["DEFAULT_HASHING_ALGORITHM"]
    settings.configure(**conf)
    django.setup()


# ---------------------------------------------------------------------------
# WSGI views (used by `serve`)
# ---------------------------------------------------------------------------
def _session_doc(request, status=200):
    from django.http import JsonResponse

    return JsonResponse(
        {"data": to_json(dict(request.session.items())), "key": request.session.session_key},
        status=status,
    )


def view_get(request):
    return _session_doc(request)


def view_set(request):
    for k, v in request.GET.items():
        request.session[k] = v
    return _session_doc(request)


def view_set_json(request):
    request.session.update(from_json(json.loads(request.body.decode("utf-8") or "{}")))
    return _session_doc(request)


def view_expiry(request):
    if "at" in request.GET:
        request.session.set_expiry(datetime.datetime.fromisoformat(request.GET["at"]))
    else:
        request.session.set_expiry(int(request.GET.get("seconds", "0")))
    return _session_doc(request)


def view_flush(request):
    request.session.flush()
    return _session_doc(request)


def view_cycle(request):
    request.session.cycle_key()
    return _session_doc(request)


def view_noop(request):
    from django.http import JsonResponse

    return JsonResponse({"noop": True})


def _error(status):
    def view(request):
        params = dict(request.GET.items()) or {"error": str(status)}
        for k, v in params.items():
            request.session[k] = v
        return _session_doc(request, status=status)

    return view


urlpatterns = []


def build_urls():
    from django.urls import path

    urlpatterns[:] = [
        path("get", view_get),
        path("set", view_set),
        path("set-json", view_set_json),
        path("expiry", view_expiry),
        path("flush", view_flush),
        path("cycle", view_cycle),
        path("noop", view_noop),
        path("error500", _error(500)),
        path("error503", _error(503)),
    ]


def serve(port):
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

    from django.core.wsgi import get_wsgi_application

    build_urls()

    class Server(socketserver.ThreadingMixIn, WSGIServer):
        daemon_threads = True
        allow_reuse_address = True

    class Handler(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    httpd = make_server("127.0.0.1", port, get_wsgi_application(), server_class=Server, handler_class=Handler)
    emit_line = "READY %d\n" % httpd.server_address[1]
    sys.stdout.write(emit_line)
    sys.stdout.flush()
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass


# ---------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------
def engine_store(**kw):
    from importlib import import_module

    from django.conf import settings

    return import_module(settings.SESSION_ENGINE).SessionStore(**kw)


def db_store():
    from django.contrib.sessions.backends.db import SessionStore

    return SessionStore()


def read_stdin_dict():
    raw = sys.stdin.read()
    d = from_json(json.loads(raw)) if raw.strip() else {}
    if not isinstance(d, dict):
        raise SystemExit("stdin must be a JSON object")
    return d


def cmd_migrate(args):
    from django.core.management import call_command
    from django.db import connection

    schema = connection.settings_dict.get("SCHEMA")
    if schema and connection.vendor == "postgresql":
        with connection.cursor() as c:
            c.execute("CREATE SCHEMA IF NOT EXISTS %s" % connection.ops.quote_name(schema))

    call_command("migrate", verbosity=0, interactive=False)
    emit({"ok": True})


def cmd_encode(args):
    emit({"encoded": db_store().encode(read_stdin_dict())})


def cmd_decode(args):
    emit({"data": to_json(db_store().decode(args[0]))})


def cmd_create(args):
    expiry = None
    if args and args[0] == "--expiry":
        expiry = int(args[1])
    s = engine_store()
    s.update(read_stdin_dict())
    if expiry is not None:
        s.set_expiry(expiry)
    s.save()
    emit({
        "key": s.session_key,
        "expiry_age": s.get_expiry_age(),
        "expire_date": s.get_expiry_date().isoformat(),
    })


def cmd_load(args):
    key = args[0]
    exists = engine_store().exists(key)
    s = engine_store(session_key=key)
    data = dict(s.items())
    emit({
        "exists": bool(exists),
        "data": to_json(data),
        "key_after_load": s.session_key,
        "expiry_age": s.get_expiry_age(),
        "expire_date": s.get_expiry_date().isoformat(),
        "expire_at_browser_close": s.get_expire_at_browser_close(),
    })


def cmd_raw_row(args):
    from django.contrib.sessions.models import Session
    from django.db import connection

    key = args[0]
    try:
        row = Session.objects.get(session_key=key)
    except Session.DoesNotExist:
        emit({"exists": False})
        return
    vendor = connection.vendor
    if vendor == "postgresql":
        sql = "SELECT expire_date::text FROM django_session WHERE session_key = %s"
    elif vendor == "mysql":
        sql = "SELECT CAST(expire_date AS CHAR) FROM django_session WHERE session_key = %s"
    else:
        sql = "SELECT CAST(expire_date AS TEXT) FROM django_session WHERE session_key = %s"
    with connection.cursor() as c:
        c.execute(sql, [key])
        text = c.fetchone()[0]
    emit({
        "exists": True,
        "session_data": row.session_data,
        "expire_date": str(row.expire_date),
        "expire_date_iso": row.expire_date.isoformat(),
        "expire_date_text": text,
        "vendor": vendor,
    })


def cmd_clearsessions(args):
    from django.core.management import call_command

    call_command("clearsessions")
    emit({"ok": True})


def cmd_drop_tables(args):
    """Drops the django_* and auth_* tables (test cleanup; never the database)."""
    from django.db import connection

    with connection.cursor() as c:
        names = [n for n in connection.introspection.table_names(c)
                 if n.startswith("django_") or n.startswith("auth_")]
        q = connection.ops.quote_name
        if connection.vendor == "postgresql":
            if names:
                c.execute("DROP TABLE IF EXISTS %s CASCADE" % ", ".join(q(n) for n in names))
        elif connection.vendor == "mysql":
            c.execute("SET FOREIGN_KEY_CHECKS = 0")
            for n in names:
                c.execute("DROP TABLE IF EXISTS %s" % q(n))
            c.execute("SET FOREIGN_KEY_CHECKS = 1")
        else:
            for n in names:
                c.execute("DROP TABLE IF EXISTS %s" % q(n))
    emit({"dropped": sorted(names)})


def cmd_version(args):
    import django

    emit({"django": django.get_version()})


COMMANDS = {
    "migrate": cmd_migrate,
    "encode": cmd_encode,
    "decode": cmd_decode,
    "create": cmd_create,
    "load": cmd_load,
    "raw-row": cmd_raw_row,
    "clearsessions": cmd_clearsessions,
    "version": cmd_version,
    "drop-tables": cmd_drop_tables,
}


def main(argv):
    if len(argv) < 2 or (argv[1] not in COMMANDS and argv[1] != "serve"):
        sys.stderr.write("usage: peer.py {%s|serve <port>} ...\n" % "|".join(sorted(COMMANDS)))
        return 2
    configure()
    if argv[1] == "serve":
        serve(int(argv[2]) if len(argv) > 2 else 0)
        return 0
    COMMANDS[argv[1]](argv[2:])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
