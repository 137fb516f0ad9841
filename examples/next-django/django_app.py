"""The Django half of the example: a project as `startproject` makes one (auth, sessions,
CSRF), users in the database, sessions in Redis through django-redis, and a few views the Next.js
front end works with. Settings come from the environment:

    DJANGO_DB     postgres://USER@HOST:PORT/NAME or sqlite:PATH
    REDIS_URL     redis://HOST:PORT/DB (sessions: SESSION_ENGINE cache, KEY_PREFIX "next-django")
    SECRET_KEY    shared with the Next.js app
    NEXT_ORIGIN   the Next.js app's origin, e.g. http://127.0.0.1:3000 (a trusted `next`)

    python3 django_app.py migrate
    python3 django_app.py createsuperuser --noinput --username alice --email a@example.com
    python3 django_app.py serve PORT    (prints "READY <port>")
"""
import json
import os
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

HERE = Path(__file__).resolve().parent


def database():
    spec = os.environ["DJANGO_DB"]
    if spec.startswith("sqlite:"):
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": spec[len("sqlite:"):]}
    u = urlsplit(spec)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(u.path.lstrip("/")),
        "USER": unquote(u.username or ""),
        "PASSWORD": unquote(u.password or ""),
        "HOST": u.hostname or "127.0.0.1",
        "PORT": str(u.port or ""),
    }


def configure():
    import django
    from django.conf import settings

    next_origin = os.environ.get("NEXT_ORIGIN", "http://127.0.0.1:3000")
    settings.configure(
        DEBUG=False,
        SECRET_KEY=os.environ["SECRET_KEY"],
        ALLOWED_HOSTS=["127.0.0.1", "localhost"],
        USE_TZ=True,
        DATABASES={"default": database()},
        CACHES={
            "default": {
                "BACKEND": "django_redis.cache.RedisCache",
                "LOCATION": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
                "KEY_PREFIX": "next-django",
                "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient"},
            }
        },
        SESSION_ENGINE="django.contrib.sessions.backends.cache",
        INSTALLED_APPS=[
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
        ],
        MIDDLEWARE=[
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
        ],
        TEMPLATES=[
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "DIRS": [str(HERE / "templates")],
            }
        ],
        ROOT_URLCONF=__name__,
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        LOGIN_URL="/accounts/login/",
        LOGIN_REDIRECT_URL=next_origin + "/",
        LOGOUT_REDIRECT_URL=next_origin + "/",
        CSRF_TRUSTED_ORIGINS=[next_origin],
        LOGGING_CONFIG=None,
    )
    django.setup()


urlpatterns = []


def build_urls():
    from django.contrib.auth import views as auth_views
    from django.contrib.auth.decorators import login_required
    from django.http import HttpResponse, JsonResponse
    from django.urls import path
    from django.utils.html import escape

    next_host = urlsplit(os.environ.get("NEXT_ORIGIN", "http://127.0.0.1:3000")).netloc

    def cart(request):
        items = request.session.get("cart", [])
        if request.headers.get("Accept") == "application/json":
            return JsonResponse({"cart": items})
        rows = "".join("<li>%s</li>" % escape(item) for item in items)
        return HttpResponse(
            "<!doctype html><title>Django cart</title><h1>Django sees this cart</h1>"
            "<p id='who'>%s</p><ul id='cart'>%s</ul>" % (escape(request.user.get_username() or "anonymous"), rows)
        )

    @login_required
    def me(request):
        # A POST passed Django's CsrfViewMiddleware: the forwarded cookie and X-CSRFToken match.
        return JsonResponse({"username": request.user.get_username(), "method": request.method})

    urlpatterns.extend(
        [
            path(
                "accounts/login/",
                auth_views.LoginView.as_view(success_url_allowed_hosts={next_host}),
            ),
            path("accounts/logout/", auth_views.LogoutView.as_view()),
            path("cart/", cart),
            path("api/me/", me),
        ]
    )


def serve(port):
    from socketserver import ThreadingMixIn
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

    from django.core.wsgi import get_wsgi_application

    class Server(ThreadingMixIn, WSGIServer):
        daemon_threads = True

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    httpd = make_server("127.0.0.1", port, get_wsgi_application(), Server, Quiet)
    print("READY %d" % httpd.server_port, flush=True)
    httpd.serve_forever()


if __name__ == "__main__":
    configure()
    build_urls()
    if sys.argv[1] == "serve":
        serve(int(sys.argv[2]) if len(sys.argv) > 2 else 8000)
    else:
        from django.core.management import execute_from_command_line

        execute_from_command_line([sys.argv[0], *sys.argv[1:]])
