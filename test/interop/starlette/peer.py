"""A real Starlette app with SessionMiddleware, served by uvicorn. Prints "READY <port>".

Env: SECRET_KEY. Routes: /set/<scenario>, /expected/<scenario>, /dump, /visit, /plain, /clear, /me.
"""
import json
import os
import socket

import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.responses import JSONResponse
from starlette.routing import Route


def scenario(name):
    if name == "plain":
        return {"user": "alice", "n": 42, "flag": True, "nothing": None, "f": 1.5, "one": 1.0, "big": 12345678901234567890}
    if name == "unicode":
        return {"name": "Zo\u00eb \U0001f389", "k\u00e9y": "\u2603"}
    if name == "nested":
        return {"cart": {"items": [{"sku": "a", "qty": 2}], "total": 12.5}, "list": [1, [2, [3]]]}
    if name == "large":
        return {"blob": "lorem ipsum dolor " * 100}
    raise KeyError(name)


async def set_scenario(request):
    request.session.update(scenario(request.path_params["name"]))
    return JSONResponse({"ok": True})


async def expected(request):
    return JSONResponse({"canonical": json.dumps(scenario(request.path_params["name"]))})


async def dump(request):
    return JSONResponse({"canonical": json.dumps(dict(request.session))})


async def visit(request):
    request.session["visits"] = request.session.get("visits", 0) + 1
    return JSONResponse({"visits": request.session["visits"]})


async def plain(request):
    return JSONResponse({"ok": True})


async def clear(request):
    request.session.clear()
    return JSONResponse({"ok": True})


app = Starlette(
    routes=[
        Route("/set/{name}", set_scenario),
        Route("/expected/{name}", expected),
        Route("/dump", dump),
        Route("/visit", visit),
        Route("/plain", plain),
        Route("/clear", clear),
    ],
    middleware=[Middleware(SessionMiddleware, secret_key=os.environ.get("SECRET_KEY", "test-secret-key"))],
)

if __name__ == "__main__":
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    print(f"READY {port}", flush=True)
    server.run(sockets=[sock])
