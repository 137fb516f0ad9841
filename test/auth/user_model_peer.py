"""Real Django auth on a chosen user model, for DjangoUserSource's interop tests.

Runs with the system Python and a Django from .cache/python-peers, like peer.py (whose
database URLs and JSON conventions it reuses). Environment:

  DJANGO_DB    as peer.py (sqlite:/path | postgres://… | mysql://…)
  SECRET_KEY   default "sessionbridge-test-secret"
  USER_MODEL   "auth.User" (default) or "uuidaccounts.Member" (django_apps/uuidaccounts: an
               AbstractUser with `id = UUIDField(primary_key=True, default=uuid4)`)

Subcommands print one JSON document on stdout. A user document is
{id: str(pk), username, email, last_login, date_joined (isoformat or null)}.

  setup                 migrate; for uuidaccounts.Member also creates its tables with Django's
                        schema editor (what a CreateModel migration runs) -> {pk_db_type}
  create-user           stdin {username, password, email?} -> user (UserManager.create_user)
  user                  stdin {id} | {username}, optional password -> user + {password_ok},
                        or null when there is no such user (pk lookups go through the model's
                        field, so `id` may be any form uuid.UUID() takes)
  set-last-login        stdin {username, at (isoformat)} -> user (save(update_fields=...))
  grant                 stdin {username, group, group_perms: ["app.codename"], user_perms}
  authenticate          stdin {username, password} -> django.contrib.auth.authenticate():
                        user + {is_staff, is_superuser}, or null
  session-user <key>    Django's get_user() on a django_session row -> {id, username,
                        is_authenticated}
"""

import datetime
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "interop", "django"))
sys.path.insert(0, os.path.join(HERE, "django_apps"))
import peer  # noqa: E402


def configure():
    import django
    from django.conf import settings

    user_model = os.environ.get("USER_MODEL") or "auth.User"
    apps = ["django.contrib.contenttypes", "django.contrib.auth", "django.contrib.sessions"]
    if user_model != "auth.User":
        apps.append(user_model.split(".")[0])
    settings.configure(
        **peer.core_settings(),
        INSTALLED_APPS=apps,
        AUTH_USER_MODEL=user_model,
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
        PASSWORD_HASHERS=["django.contrib.auth.hashers.PBKDF2PasswordHasher"],
    )
    django.setup()


def read_stdin():
    raw = sys.stdin.read()
    return json.loads(raw) if raw.strip() else {}


def model():
    from django.contrib.auth import get_user_model

    return get_user_model()


def iso(value):
    return value.isoformat() if value is not None else None


def user_doc(u):
    return {
        "id": str(u.pk),
        "username": u.get_username(),
        "email": u.email,
        "last_login": iso(u.last_login),
        "date_joined": iso(u.date_joined),
    }


def find(d):
    User = model()
    try:
        if "id" in d:
            return User.objects.get(pk=d["id"])
        return User.objects.get(**{User.USERNAME_FIELD: d["username"]})
    except User.DoesNotExist:
        return None


def cmd_setup(args):
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0, interactive=False)
    User = model()
    if User._meta.app_label != "auth":
        # The app has no migrations: its tables come from the schema editor, which is what
        # migrate's CreateModel runs (the many-to-many tables included), after auth_group and
        # auth_permission exist for their foreign keys.
        with connection.cursor() as cursor:
            tables = connection.introspection.table_names(cursor)
        if User._meta.db_table not in tables:
            with connection.schema_editor() as editor:
                editor.create_model(User)
    peer.emit({"pk_db_type": User._meta.pk.db_type(connection)})


def cmd_create_user(args):
    d = read_stdin()
    u = model().objects.create_user(d["username"], d.get("email", ""), d.get("password"))
    peer.emit(user_doc(u))


def cmd_user(args):
    d = read_stdin()
    u = find(d)
    if u is None:
        peer.emit(None)
        return
    doc = user_doc(u)
    if "password" in d:
        doc["password_ok"] = u.check_password(d["password"])
    peer.emit(doc)


def cmd_set_last_login(args):
    d = read_stdin()
    u = find(d)
    u.last_login = datetime.datetime.fromisoformat(d["at"])
    u.save(update_fields=["last_login"])
    peer.emit(user_doc(find(d)))


def perm(name):
    from django.contrib.auth.models import Permission

    app_label, codename = name.split(".", 1)
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def cmd_grant(args):
    from django.contrib.auth.models import Group

    d = read_stdin()
    u = find(d)
    group, _ = Group.objects.get_or_create(name=d["group"])
    for name in d.get("group_perms", []):
        group.permissions.add(perm(name))
    u.groups.add(group)
    for name in d.get("user_perms", []):
        u.user_permissions.add(perm(name))
    peer.emit({"ok": True})


def cmd_authenticate(args):
    from django.contrib.auth import authenticate

    d = read_stdin()
    u = authenticate(None, username=d["username"], password=d["password"])
    if u is None:
        peer.emit(None)
        return
    peer.emit({**user_doc(u), "is_staff": u.is_staff, "is_superuser": u.is_superuser})


def cmd_session_user(args):
    from django.contrib.auth import get_user
    from django.contrib.sessions.backends.db import SessionStore
    from django.http import HttpRequest

    request = HttpRequest()
    request.session = SessionStore(session_key=args[0])
    u = get_user(request)
    peer.emit({
        "id": None if u.pk is None else str(u.pk),
        "username": u.get_username(),
        "is_authenticated": bool(u.is_authenticated),
    })


COMMANDS = {
    "setup": cmd_setup,
    "create-user": cmd_create_user,
    "user": cmd_user,
    "set-last-login": cmd_set_last_login,
    "grant": cmd_grant,
    "authenticate": cmd_authenticate,
    "session-user": cmd_session_user,
}


def main(argv):
    if len(argv) < 2 or argv[1] not in COMMANDS:
        sys.stderr.write("usage: user_model_peer.py {%s} ...\n" % "|".join(sorted(COMMANDS)))
        return 2
    configure()
    COMMANDS[argv[1]](argv[2:])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
