"""Auth operations on a real Django for sessionbridge's auth interop tests.

Configured exactly like peer.py (same environment variables; it imports peer.py and reuses its
settings), plus these subcommands, each printing one JSON document:

  migrate
  create-user        stdin {username, password, superuser?, active?, staff?}  -> {id, password}
  set-password       stdin {username, password}                               -> {password}
  set-active         stdin {username, active}
  user               stdin {username}             -> {id, password, last_login}
  grant              stdin {username, user_perms: ["app.codename"], groups: {name: [perms]}}
  has-perms          stdin {username, perms: [...]} -> {perm: bool}  (Django's user.has_perm)
  get-user <key>     Django's get_user() on a session key -> {id, username, is_authenticated,
                     key_after, row_exists}
  raw-session <key>  decoded session dict, or null
  clearsessions      Django's clearsessions
  serve <port>       peer.py's views plus:
                       POST /auth/login  (form: username, password) -> authenticate()+login()
                       GET  /auth/whoami -> {id, username, is_authenticated, key}
                       POST /auth/logout
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peer  # noqa: E402


def read_stdin():
    raw = sys.stdin.read()
    return json.loads(raw) if raw.strip() else {}


def get_user_model():
    from django.contrib.auth import get_user_model as g

    return g()


def perm_obj(name):
    from django.contrib.auth.models import Permission

    app_label, codename = name.split(".", 1)
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def cmd_create_user(args):
    d = read_stdin()
    User = get_user_model()
    make = User.objects.create_superuser if d.get("superuser") else User.objects.create_user
    u = make(d["username"], "%s@example.com" % d["username"], d.get("password"))
    if "active" in d or "staff" in d:
        u.is_active = d.get("active", True)
        u.is_staff = d.get("staff", u.is_staff)
        u.save()
    peer.emit({"id": u.pk, "password": u.password})


def cmd_set_password(args):
    d = read_stdin()
    u = get_user_model().objects.get(username=d["username"])
    u.set_password(d["password"])
    u.save()
    peer.emit({"password": u.password})


def cmd_set_active(args):
    d = read_stdin()
    u = get_user_model().objects.get(username=d["username"])
    u.is_active = bool(d["active"])
    u.save()
    peer.emit({"ok": True})


def cmd_user(args):
    d = read_stdin()
    u = get_user_model().objects.get(username=d["username"])
    peer.emit({
        "id": u.pk,
        "password": u.password,
        "last_login": u.last_login.isoformat() if u.last_login else None,
    })


def cmd_grant(args):
    from django.contrib.auth.models import Group

    d = read_stdin()
    u = get_user_model().objects.get(username=d["username"])
    for name in d.get("user_perms", []):
        u.user_permissions.add(perm_obj(name))
    for group, perms in d.get("groups", {}).items():
        g, _ = Group.objects.get_or_create(name=group)
        for name in perms:
            g.permissions.add(perm_obj(name))
        u.groups.add(g)
    peer.emit({"ok": True})


def cmd_has_perms(args):
    d = read_stdin()
    u = get_user_model().objects.get(username=d["username"])
    peer.emit({p: u.has_perm(p) for p in d["perms"]})


def cmd_get_user(args):
    from django.contrib.auth import get_user
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.http import HttpRequest

    key = args[0]
    request = HttpRequest()
    request.session = SessionStore(session_key=key)
    user = get_user(request)
    after = request.session.session_key
    if request.session.modified and after is not None:
        request.session.save()
    peer.emit({
        "id": user.pk,
        "username": user.get_username(),
        "is_authenticated": bool(user.is_authenticated),
        "key_after": after,
        "row_exists": Session.objects.filter(session_key=key).exists(),
    })


def cmd_raw_session(args):
    from django.contrib.sessions.backends.db import SessionStore

    s = SessionStore(session_key=args[0])
    data = dict(s.items())
    peer.emit({"data": peer.to_json(data) if s.session_key else None})


# --- HTTP views --------------------------------------------------------------------------
def view_login(request):
    from django.contrib.auth import authenticate, login
    from django.http import JsonResponse

    user = authenticate(request, username=request.POST.get("username"), password=request.POST.get("password"))
    if user is None:
        return JsonResponse({"ok": False}, status=400)
    login(request, user)
    return JsonResponse({"ok": True, "id": user.pk, "key": request.session.session_key})


def view_whoami(request):
    from django.http import JsonResponse

    u = request.user
    return JsonResponse({
        "id": u.pk,
        "username": u.get_username(),
        "is_authenticated": bool(u.is_authenticated),
        "key": request.session.session_key,
    })


def view_logout(request):
    from django.contrib.auth import logout
    from django.http import JsonResponse

    logout(request)
    return JsonResponse({"ok": True})


def install_views():
    original = peer.build_urls

    def build_urls():
        from django.urls import path

        original()
        peer.urlpatterns.extend([
            path("auth/login", view_login),
            path("auth/whoami", view_whoami),
            path("auth/logout", view_logout),
        ])

    peer.build_urls = build_urls


COMMANDS = {
    "migrate": peer.cmd_migrate,
    "create-user": cmd_create_user,
    "set-password": cmd_set_password,
    "set-active": cmd_set_active,
    "user": cmd_user,
    "grant": cmd_grant,
    "has-perms": cmd_has_perms,
    "get-user": cmd_get_user,
    "raw-session": cmd_raw_session,
    "raw-row": peer.cmd_raw_row,
    "clearsessions": peer.cmd_clearsessions,
}


def main(argv):
    if len(argv) < 2 or (argv[1] not in COMMANDS and argv[1] != "serve"):
        sys.stderr.write("usage: auth_peer.py {%s|serve <port>} ...\n" % "|".join(sorted(COMMANDS)))
        return 2
    peer.configure()
    if argv[1] == "serve":
        install_views()
        peer.serve(int(argv[2]) if len(argv) > 2 else 0)
        return 0
    COMMANDS[argv[1]](argv[2:])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
