"""A real Django project with the apps a Node peer meets beside it (issue 17): django-allauth
(account, headless, usersessions), Django REST framework, django-axes, and Django's messages.
It reuses project.py's database settings and management commands; settings from the
environment:

    DJANGO_DB            sqlite:PATH | postgres://... | mysql://...
    SECRET_KEY           the project's SECRET_KEY
    AXES_FAILURE_LIMIT   default 5
    AXES_COOLOFF_TIME    hours (float), default 1
    AXES_LOCKOUT         "username" (AXES_ONLY_USER_FAILURES, default), "ip" or "username+ip"

    python3 apps_project.py migrate | createsuperuser USERNAME EMAIL | serve

Views beside allauth's (/accounts/, /_allauth/) and the admin:
  GET  /session/                    the session as JSON (project.py's)
  GET  /messages/add/?storage=S&level=L&text=T   adds a message with storage S (session, cookie,
                                    fallback: Django's own storage classes)
  GET  /messages/show/?storage=S    lists (and so consumes) the messages, as JSON
  GET  /api/me/  POST /api/echo/    DRF views behind SessionAuthentication + IsAuthenticated
  GET  /api/node/?url=U             a DRF view that calls Node at U with the user's session cookie
  GET  /sensitive/                  behind allauth's @reauthentication_required
  GET  /usersessions/               the user's allauth UserSession rows (purged, as the page lists)
  POST /usersessions/end/           ends every other session of the user, as allauth's page does
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import project  # noqa: E402  (project.py: settings_dict, serve, management commands)


def configure():
    import django
    from django.conf import settings

    lockout = os.environ.get("AXES_LOCKOUT", "username")
    base = project.settings_dict()
    settings.configure(
        **dict(
            base,
            INSTALLED_APPS=base["INSTALLED_APPS"]
            + ["allauth", "allauth.account", "allauth.headless", "allauth.usersessions", "rest_framework", "axes"],
            MIDDLEWARE=base["MIDDLEWARE"]
            + [
                "allauth.account.middleware.AccountMiddleware",
                "allauth.usersessions.middleware.UserSessionsMiddleware",
                "axes.middleware.AxesMiddleware",
            ],
            AUTHENTICATION_BACKENDS=[
                "axes.backends.AxesStandaloneBackend",
                "django.contrib.auth.backends.ModelBackend",
                "allauth.account.auth_backends.AuthenticationBackend",
            ],
            ROOT_URLCONF="project",
            # allauth: username logins, no e-mail verification, sessions listed and tracked.
            ACCOUNT_LOGIN_METHODS={"username"},
            ACCOUNT_SIGNUP_FIELDS=["username*", "password1*", "password2*"],
            ACCOUNT_EMAIL_VERIFICATION="none",
            ACCOUNT_RATE_LIMITS=False,
            USERSESSIONS_TRACK_ACTIVITY=True,
            HEADLESS_CLIENTS=("app", "browser"),
            # DRF: the session (and its CSRF rule) is how a browser user reaches the API.
            REST_FRAMEWORK={
                "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
                "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
            },
            # axes 5.x settings (what AXES_LOCKOUT_PARAMETERS replaced in axes 6).
            AXES_FAILURE_LIMIT=int(os.environ.get("AXES_FAILURE_LIMIT", "5")),
            AXES_COOLOFF_TIME=float(os.environ.get("AXES_COOLOFF_TIME", "1")),
            AXES_ONLY_USER_FAILURES=lockout == "username",
            AXES_LOCK_OUT_BY_COMBINATION_USER_AND_IP=lockout == "username+ip",
            AXES_RESET_ON_SUCCESS=True,
            AXES_VERBOSE=False,
        )
    )
    django.setup()


def build_urls():
    from django.contrib import messages
    from django.contrib.messages.storage.cookie import CookieStorage
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.contrib.messages.storage.session import SessionStorage
    from django.http import JsonResponse
    from django.urls import include, path
    from rest_framework.decorators import api_view
    from rest_framework.response import Response

    from allauth.account.decorators import reauthentication_required
    from allauth.usersessions.models import UserSession

    _project_urls()
    storages = {"session": SessionStorage, "cookie": CookieStorage, "fallback": FallbackStorage}

    def use_storage(request):
        # Django's own storage class, as MESSAGE_STORAGE would pick it (MessageMiddleware's
        # process_response calls update() on whatever request._messages is).
        request._messages = storages[request.GET["storage"]](request)

    def messages_add(request):
        use_storage(request)
        messages.add_message(
            request, int(request.GET.get("level", "20")), request.GET["text"], extra_tags=request.GET.get("tags", "")
        )
        return JsonResponse({"ok": True})

    def messages_show(request):
        use_storage(request)
        shown = [
            {"level": m.level, "message": m.message, "tags": m.tags}
            for m in messages.get_messages(request)
        ]
        return JsonResponse({"messages": shown})

    @api_view(["GET"])
    def api_me(request):
        return Response({"username": request.user.get_username(), "auth": type(request.successful_authenticator).__name__})

    @api_view(["POST"])
    def api_echo(request):
        return Response({"username": request.user.get_username(), "data": request.data})

    @api_view(["GET"])
    def api_node(request):
        # The reverse: a DRF view calls a Node service as the same user, with the user's own
        # session cookie (the README's Python snippet).
        import urllib.request

        call = urllib.request.Request(
            request.GET["url"], headers={"Cookie": f"sessionid={request.COOKIES['sessionid']}"}
        )
        with urllib.request.urlopen(call) as answer:
            return Response({"node": json.loads(answer.read())})

    @reauthentication_required
    def sensitive(request):
        return JsonResponse({"ok": True, "methods": request.session.get("account_authentication_methods")})

    def usersessions(request):
        if not request.user.is_authenticated:
            return JsonResponse({"error": "anonymous"}, status=401)
        rows = UserSession.objects.purge_and_list(request.user)
        return JsonResponse(
            {
                "sessions": [
                    {"key": s.session_key, "ip": s.ip, "user_agent": s.user_agent, "current": s.is_current()}
                    for s in rows
                ]
            }
        )

    def usersessions_end(request):
        from allauth.usersessions.internal.flows.sessions import end_sessions

        others = [s for s in UserSession.objects.purge_and_list(request.user) if not s.is_current()]
        end_sessions(request, others)
        return JsonResponse({"ended": [s.session_key for s in others]})

    project.urlpatterns += [
        path("accounts/", include("allauth.urls")),
        path("_allauth/", include("allauth.headless.urls")),
        path("messages/add/", messages_add),
        path("messages/show/", messages_show),
        path("api/me/", api_me),
        path("api/echo/", api_echo),
        path("api/node/", api_node),
        path("sensitive/", sensitive),
        path("usersessions/", usersessions),
        path("usersessions/end/", usersessions_end),
    ]


_project_urls = project.build_urls


def main(argv):
    project.configure = configure
    project.build_urls = build_urls
    project.main(argv)


if __name__ == "__main__":
    main(sys.argv)
