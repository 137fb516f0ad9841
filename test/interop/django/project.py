"""A small real Django project, as `startproject` makes one (admin, auth, sessions, messages,
CSRF), for running the README's examples beside it. Settings come from the environment, the way
a twelve-factor deployment passes them:

    DJANGO_DB         sqlite:PATH | postgres://... | mysql://...
    SECRET_KEY        the project's SECRET_KEY
    SESSION_ENGINE    default django.contrib.sessions.backends.db
    DJANGO_CACHE      django-redis:redis://HOST:PORT/DB (with CACHE_KEY_PREFIX), or unset
    CSRF_USE_SESSIONS 1 to keep the CSRF secret in the session
    CSRF_TRUSTED_ORIGINS comma-separated

The database, cache and base settings come from peer.py (core_settings, cache_settings), the
one source every Django process of the tests starts from.

    python3 django_project.py migrate
    python3 django_project.py createsuperuser USERNAME EMAIL     (password: DJANGO_SUPERUSER_PASSWORD)
    python3 django_project.py check-password USERNAME             (password on stdin; prints true/false)
    python3 django_project.py serve                               (prints "READY <port>")

Views beside the admin: GET /session/ answers the request's session as JSON (what Django sees
of a session Node wrote); GET /csrf/ answers {"token": get_token(request)}, and POST /csrf/
answers {"ok": true} once Django's CsrfViewMiddleware let it through (403 otherwise); POST
/flash/ (text=...) adds a success message, GET /flash/ lists (and consumes) the messages.
"""
import json
import os
import socketserver
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peer  # noqa: E402  (peer.py: core_settings, the settings every Django process starts from)


def settings_dict():
    """The project's settings (apps_project.py extends them)."""
    return dict(
        peer.core_settings(),
        SECRET_KEY=os.environ["SECRET_KEY"],
        ALLOWED_HOSTS=["127.0.0.1", "localhost"],
        CACHES={"default": peer.cache_settings(os.environ.get("DJANGO_CACHE"))},
        INSTALLED_APPS=[
            "django.contrib.admin",
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "django.contrib.messages",
        ],
        MIDDLEWARE=[
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
        ],
        TEMPLATES=[
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "APP_DIRS": True,
                "OPTIONS": {
                    "context_processors": [
                        "django.template.context_processors.request",
                        "django.contrib.auth.context_processors.auth",
                        "django.contrib.messages.context_processors.messages",
                    ]
                },
            }
        ],
        ROOT_URLCONF=__name__,
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        CSRF_USE_SESSIONS=os.environ.get("CSRF_USE_SESSIONS") == "1",
        CSRF_TRUSTED_ORIGINS=[o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o],
    )


def configure():
    import django
    from django.conf import settings

    settings.configure(**settings_dict())
    django.setup()


urlpatterns = []


def build_urls():
    from django.contrib import admin
    from django.http import JsonResponse
    from django.urls import path

    def session_view(request):
        return JsonResponse(
            {
                "key": request.session.session_key,
                "user_id": request.user.pk if request.user.is_authenticated else None,
                "data": {k: request.session[k] for k in request.session.keys()},
            }
        )

    def csrf_view(request):
        from django.middleware.csrf import get_token

        if request.method == "POST":
            return JsonResponse({"ok": True})
        return JsonResponse({"token": get_token(request)})

    def flash_view(request):
        # POST adds a message (Django's default FallbackStorage); GET lists, and so consumes, them.
        from django.contrib import messages

        if request.method == "POST":
            messages.success(request, request.POST["text"])
            return JsonResponse({"ok": True})
        return JsonResponse({"messages": [{"message": m.message, "tags": m.tags} for m in messages.get_messages(request)]})

    urlpatterns[:] = [
        path("admin/", admin.site.urls),
        path("session/", session_view),
        path("csrf/", csrf_view),
        path("flash/", flash_view),
    ]


def serve():
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

    from django.core.wsgi import get_wsgi_application

    build_urls()

    class Server(socketserver.ThreadingMixIn, WSGIServer):
        daemon_threads = True

    class Handler(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    httpd = make_server("127.0.0.1", 0, get_wsgi_application(), server_class=Server, handler_class=Handler)
    sys.stdout.write("READY %d\n" % httpd.server_address[1])
    sys.stdout.flush()
    httpd.serve_forever()


def main(argv):
    configure()
    from django.core.management import call_command

    command = argv[1]
    if command == "migrate":
        call_command("migrate", interactive=False, verbosity=0)
    elif command == "createsuperuser":
        call_command("createsuperuser", interactive=False, username=argv[2], email=argv[3], verbosity=0)
        from django.contrib.auth import get_user_model

        print(json.dumps({"id": get_user_model().objects.get(username=argv[2]).pk}))
    elif command == "check-password":
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.get(username=argv[2])
        print(json.dumps(user.check_password(sys.stdin.read())))
    elif command == "serve":
        serve()
    else:
        raise SystemExit("unknown command %r" % (command,))


if __name__ == "__main__":
    main(sys.argv)
