"""A real Django project for the management-command tests, run with the peer's interpreter
(`djangoPython(version)`) and the PYTHONPATH of `djangoPeerEnv(version)`
(test/interop/django/peer.ts).

Configured from the environment:
  DJANGO_DB         sqlite:/abs/path | postgres://user@host:port/db | mysql://user@host:port/db
  SECRET_KEY        default "sessionbridge-test-secret"
  SESSION_ENGINE    default django.contrib.sessions.backends.db
  SESSION_FILE_PATH optional

Usage:
  django_manage.py call <command> [args...]   run `manage.py <command> args` (stdout passed through)
  django_manage.py sqlmigrate-all             print every statement of contenttypes 0001-0002,
                                              auth 0001-0012 and sessions 0001 as JSON
  django_manage.py schema                     print the introspected schema of every django_/auth_
                                              table as JSON (columns, types, nullability,
                                              constraints, indexes)
  django_manage.py migrations                 print the django_migrations rows as JSON
  django_manage.py create-user USER PASSWORD  create a user and a logged-in session; print
                                              {"id", "session_key", "password"} as JSON
  django_manage.py check-password USER PW     print {"ok": bool, "must_update": bool, "password"}
                                              as JSON (must_update: the configured hashers would
                                              rehash the stored value at the next login)
  django_manage.py session-user KEY           print {"user_id": ...} of a db session as Django
                                              resolves it (get_user), "" when anonymous
"""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "interop", "django"))
import peer  # noqa: E402  (peer.py: core_settings, the settings every Django process starts from)


def configure():
    import django
    from django.conf import settings

    conf = peer.core_settings()
    conf.update({
        "INSTALLED_APPS": [
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "django.contrib.sessions",
        ],
        "DEFAULT_AUTO_FIELD": "django.db.models.BigAutoField",  # what startproject writes
    })
    if os.environ.get("SESSION_FILE_PATH"):
        conf["SESSION_FILE_PATH"] = os.environ["SESSION_FILE_PATH"]
    if os.environ.get("PASSWORD_HASHERS"):
        conf["PASSWORD_HASHERS"] = os.environ["PASSWORD_HASHERS"].split(",")
    settings.configure(**conf)
    django.setup()


MIGRATIONS = [("contenttypes", "0001_initial"), ("contenttypes", "0002_remove_content_type_name")] + [
    ("auth", name)
    for name in (
        "0001_initial",
        "0002_alter_permission_name_max_length",
        "0003_alter_user_email_max_length",
        "0004_alter_user_username_opts",
        "0005_alter_user_last_login_null",
        "0006_require_contenttypes_0002",
        "0007_alter_validators_add_error_messages",
        "0008_alter_user_username_max_length",
        "0009_alter_user_last_name_max_length",
        "0010_alter_group_name_max_length",
        "0011_update_proxy_permissions",
        "0012_alter_user_first_name_max_length",
    )
] + [("sessions", "0001_initial")]


def sqlmigrate_all():
    import io
    from django.core.management import call_command

    out = []
    for app, name in MIGRATIONS:
        buf = io.StringIO()
        call_command("sqlmigrate", app, name, stdout=buf, no_color=True)
        out.append({"app": app, "name": name, "sql": buf.getvalue()})
    return out


def schema():
    from django.db import connection

    result = {}
    with connection.cursor() as c:
        names = sorted(
            n for n in connection.introspection.table_names(c) if n.startswith("django_") or n.startswith("auth_")
        )
        for name in names:
            cols = []
            if connection.vendor == "sqlite":
                c.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = %s", [name])
                table_sql = c.fetchone()[0]
                c.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL ORDER BY name", [name])
                index_sql = [list(r) for r in c.fetchall()]
                result[name] = {"sql": table_sql, "indexes": index_sql}
                continue
            if connection.vendor == "postgresql":
                c.execute(
                    "SELECT column_name, data_type, character_maximum_length, is_nullable, column_default, is_identity, identity_generation "
                    "FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = %s ORDER BY ordinal_position",
                    [name],
                )
                cols = [list(r) for r in c.fetchall()]
                c.execute(
                    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass ORDER BY conname",
                    [name],
                )
                cons = [list(r) for r in c.fetchall()]
                c.execute("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = %s ORDER BY indexname", [name])
                idx = [list(r) for r in c.fetchall()]
                result[name] = {"columns": cols, "constraints": cons, "indexes": idx}
            else:
                c.execute("SHOW CREATE TABLE %s" % connection.ops.quote_name(name))
                result[name] = {"sql": c.fetchone()[1]}
    return result


def migrations():
    from django.db import connection

    with connection.cursor() as c:
        if "django_migrations" not in connection.introspection.table_names(c):
            return []
        c.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
        return [list(r) for r in c.fetchall()]


def main(argv):
    configure()
    cmd = argv[1]
    if cmd == "call":
        from django.core.management import call_command

        call_command(*argv[2:])
        return 0
    if cmd == "sqlmigrate-all":
        print(json.dumps(sqlmigrate_all()))
        return 0
    if cmd == "schema":
        print(json.dumps(schema(), default=str))
        return 0
    if cmd == "migrations":
        print(json.dumps(migrations()))
        return 0
    if cmd == "create-user":
        from django.contrib.auth import SESSION_KEY, BACKEND_SESSION_KEY, HASH_SESSION_KEY
        from django.contrib.auth.models import User
        from django.contrib.sessions.backends.db import SessionStore

        user = User.objects.create_user(argv[2], email=argv[2] + "@example.com", password=argv[3])
        s = SessionStore()
        s[SESSION_KEY] = str(user.pk)
        s[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        s[HASH_SESSION_KEY] = user.get_session_auth_hash()
        s.create()
        print(json.dumps({"id": user.pk, "session_key": s.session_key, "password": user.password}))
        return 0
    if cmd == "check-password":
        from django.contrib.auth.models import User

        from django.contrib.auth.hashers import identify_hasher

        user = User.objects.get(username=argv[2])
        stored = user.password
        must_update = identify_hasher(stored).must_update(stored)
        ok = user.check_password(argv[3])
        print(json.dumps({"ok": ok, "must_update": must_update, "password": stored}))
        return 0
    if cmd == "session-user":
        from django.contrib.auth import get_user
        from django.contrib.sessions.backends.db import SessionStore
        from django.http import HttpRequest

        request = HttpRequest()
        request.session = SessionStore(argv[2])
        user = get_user(request)
        print(json.dumps({"user_id": user.pk if user.is_authenticated else ""}))
        return 0
    sys.stderr.write("unknown subcommand %r\n" % cmd)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
