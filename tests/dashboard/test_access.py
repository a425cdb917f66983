"""Who may open the dashboard: the network guard in front of Solara (sim.dashboard.access).

The guard is driven in-process as an ASGI app for every case (fast), and a real
``trustsim app`` on loopback is asked the DNS-rebinding questions over real sockets.
"""

from __future__ import annotations

import asyncio
import base64
import http.client
import os
import socket

import pytest

from sim.dashboard import access

PORT = 8765
TOKEN = "a-workshop-token-for-the-guard-tests"
COOKIE = f"trustsim-token-{PORT}"

# --- the guard in-process ---------------------------------------------------------------


class Reply:
    """What a client saw: the status (101 for an accepted websocket, 403 for one closed
    before it was accepted, as uvicorn answers), headers, body, and whether the app behind
    the guard was reached."""

    def __init__(self) -> None:
        self.status, self.headers, self.body, self.reached = 0, [], b"", False

    def header(self, name: str) -> list[str]:
        return [v.decode() for k, v in self.headers if k.decode().lower() == name]


def ask(guard, path: str = "/", *, host: str | None = f"127.0.0.1:{PORT}",
        origin: str | None = None, cookie: str | None = None, websocket: bool = False,
        method: str = "GET", query: str = "", extra: tuple = ()) -> Reply:
    """One request through ``guard`` (in front of a stand-in for Solara); ``extra``:
    more (name, value) headers."""
    reply = Reply()
    headers = [(b"host", host.encode())] if host is not None else []
    headers += [(k.encode(), v.encode()) for k, v in extra]
    headers += [(b"origin", origin.encode())] if origin is not None else []
    headers += [(b"cookie", cookie.encode())] if cookie is not None else []
    scope = {"type": "websocket" if websocket else "http", "path": path, "raw_path":
             path.encode(), "query_string": query.encode(), "headers": headers,
             "method": method, "scheme": "ws" if websocket else "http",
             "server": ("127.0.0.1", PORT), "client": ("127.0.0.1", 50000),
             "root_path": "", "http_version": "1.1", "asgi": {"version": "3.0"}}

    async def solara(scope, receive, send):
        reply.reached = True
        if scope["type"] == "websocket":
            await receive()
            await send({"type": "websocket.accept"})
            return
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"the app"})

    async def receive():
        if websocket:
            return {"type": "websocket.connect"}
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        kind = message["type"]
        if kind == "http.response.start":
            reply.status, reply.headers = message["status"], list(message.get("headers", []))
        elif kind == "http.response.body":
            reply.body += message.get("body", b"")
        elif kind == "websocket.accept":
            reply.status = 101
        elif kind == "websocket.close" and not reply.status:
            reply.status = 403

    asyncio.run(guard(solara)(scope, receive, send))
    return reply


def loopback(app):
    return access.Guard(app, host="127.0.0.1")


def off_loopback(app):
    return access.Guard(app, host="192.168.1.20", token=TOKEN)


def refused(reply: Reply) -> None:
    assert reply.status == 403 and not reply.reached, (reply.status, reply.body)
    assert b"the app" not in reply.body
    assert len(reply.body.decode().strip().splitlines()) <= 1  # one short line


# Loopback: a page on the internet reaching the dashboard through DNS rebinding or a
# cross-site websocket (defect 1).
LOOPBACK_HOSTILE = {
    "foreign Host": dict(host=f"evil.example:{PORT}"),
    "foreign Host, no port": dict(host="evil.example"),
    "loopback name on another port": dict(host="127.0.0.1:9999"),
    "Host without its port": dict(host="localhost"),
    "name under a foreign domain": dict(host=f"localhost.evil.example:{PORT}"),
    "no Host": dict(host=None),
    "garbage Host": dict(host="[::1"),
    "foreign Origin on a websocket": dict(origin="http://evil.example", websocket=True),
    "foreign Origin on the page": dict(origin="http://evil.example"),
    "foreign Origin on the close API": dict(origin="http://evil.example", method="POST",
                                            path="/_solara/api/close/k1"),
    "null Origin on a websocket": dict(origin="null", websocket=True),
    "Origin on another loopback port": dict(origin="http://127.0.0.1:9999", websocket=True),
    "Origin naming another loopback host": dict(origin=f"http://localhost:{PORT}",
                                               websocket=True),
    "foreign Host on a websocket": dict(host=f"evil.example:{PORT}", websocket=True),
    "a second, foreign Host": dict(extra=[("host", f"evil.example:{PORT}")]),
    "a second, foreign Origin": dict(origin=f"http://127.0.0.1:{PORT}", websocket=True,
                                     extra=[("origin", "http://evil.example")]),
    "Origin with a path": dict(origin=f"http://127.0.0.1:{PORT}/x", websocket=True),
    "Origin of another scheme": dict(origin=f"file://127.0.0.1:{PORT}", websocket=True),
}


@pytest.mark.parametrize("case", LOOPBACK_HOSTILE.values(), ids=LOOPBACK_HOSTILE.keys())
def test_loopback_refuses_foreign_hosts_and_origins(case):
    case = {"path": "/jupyter/api/kernels/k1/channels" if case.get("websocket") else "/",
            **case}
    refused(ask(loopback, **case))


@pytest.mark.parametrize("host", [f"127.0.0.1:{PORT}", f"localhost:{PORT}",
                                  f"LocalHost:{PORT}", f"127.8.9.10:{PORT}", f"[::1]:{PORT}"])
def test_loopback_serves_its_own_origin(host):
    assert ask(loopback, host=host).status == 200
    reply = ask(loopback, "/jupyter/api/kernels/k1/channels", host=host,
                origin=f"http://{host}", websocket=True)
    assert reply.status == 101 and reply.reached


def test_a_websocket_without_origin_from_a_local_program_is_served():
    """Browsers always send Origin on websockets; a program on this machine need not."""
    assert ask(loopback, "/jupyter/api/kernels/k1/channels", websocket=True).status == 101


# Off loopback: nothing of the app (page, assets, session, API) without the token
# (defect 2).
APP_PATHS = {
    "page": dict(path="/"),
    "a page path": dict(path="/anything"),
    "app asset": dict(path="/static/assets/custom.css"),
    "shared asset": dict(path="/static/public/main.js"),
    "nbextension": dict(path="/jupyter/nbextensions/jupyter-vue/extension.js"),
    "kernel API": dict(path="/jupyter/api/kernels/k1"),
    "close API": dict(path="/_solara/api/close/k1", method="POST"),
    "readyz": dict(path="/readyz"),
    "websocket": dict(path="/jupyter/api/kernels/k1/channels", websocket=True),
}
HOST = f"192.168.1.20:{PORT}"
WITHOUT_TOKEN = {
    "no token": {},
    "wrong token": dict(query="token=not-the-token"),
    "empty token": dict(query="token="),
    "token's prefix": dict(query=f"token={TOKEN[:-1]}"),
    "wrong cookie": dict(cookie=f"{COOKIE}=not-the-token"),
    "cookie for another port": dict(cookie=f"trustsim-token-9999={TOKEN}"),
    "right token, foreign Host": dict(query=f"token={TOKEN}", host=f"evil.example:{PORT}"),
    "right cookie, foreign Origin": dict(cookie=f"{COOKIE}={TOKEN}",
                                         origin="http://evil.example"),
}


@pytest.mark.parametrize("where", APP_PATHS.values(), ids=APP_PATHS.keys())
@pytest.mark.parametrize("how", WITHOUT_TOKEN.values(), ids=WITHOUT_TOKEN.keys())
def test_off_loopback_nothing_without_the_token(where, how):
    refused(ask(off_loopback, **{"host": HOST, **where, **how}))


def test_the_refusal_says_how_to_get_in():
    reply = ask(off_loopback, host=HOST)
    assert reply.header("content-type")[0].startswith("text/plain")
    assert reply.header("x-content-type-options") == ["nosniff"]
    assert reply.body.decode() == ("This dashboard needs the address with its token, as "
                                   "printed by `trustsim app`.\n")


def test_the_token_in_the_address_sets_a_strict_http_only_cookie():
    reply = ask(off_loopback, host=HOST, query=f"x=1&token={TOKEN}")
    assert reply.status == 200 and reply.reached
    (cookie,) = reply.header("set-cookie")
    parts = [p.strip().lower() for p in cookie.split(";")]
    assert parts[0] == f"{COOKIE}={TOKEN}".lower()
    assert "httponly" in parts and "samesite=strict" in parts and "path=/" in parts


@pytest.mark.parametrize("where", APP_PATHS.values(), ids=APP_PATHS.keys())
def test_off_loopback_the_cookie_lets_assets_and_the_session_through(where):
    reply = ask(off_loopback, **{"host": HOST, "cookie": f"other=1; {COOKIE}={TOKEN}",
                                 "origin": f"http://{HOST}", **where})
    assert reply.status == (101 if where.get("websocket") else 200) and reply.reached


def test_a_wildcard_bind_answers_to_this_machines_addresses_only():
    guard = lambda app: access.Guard(app, host="0.0.0.0", token=TOKEN)  # noqa: E731
    ok = dict(query=f"token={TOKEN}")
    assert ask(guard, host=f"{socket.gethostname()}:{PORT}", **ok).status == 200
    assert ask(guard, host=f"127.0.0.1:{PORT}", **ok).status == 200
    refused(ask(guard, host=f"evil.example:{PORT}", **ok))


def test_the_guard_is_built_from_what_trustsim_app_sets(monkeypatch):
    monkeypatch.setenv(access.HOST_ENV, "192.168.1.20")
    monkeypatch.setenv(access.TOKEN_ENV, TOKEN)
    guard = access.guarded_app(app=lambda scope, receive, send: None)
    assert (guard.host, guard.token) == ("192.168.1.20", TOKEN)


@pytest.mark.parametrize(("search", "token", "ok"), [
    (None, None, True), ("", None, True), ("token=abc", "abc", True),
    ("x=1&token=abc", "abc", True), (None, "abc", False), ("token=abd", "abc", False),
    ("token=", "abc", False),
])
def test_token_ok_compares_the_address_token(search, token, ok):
    assert access.token_ok(search, token) is ok


# --- a real `trustsim app` on loopback ----------------------------------------------------


def get(port: int, path: str = "/", **headers) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers=headers)
        return conn.getresponse().status
    finally:
        conn.close()


def upgrade(port: int, origin: str) -> str:
    """The status line a websocket upgrade of a kernel channel gets."""
    key = base64.b64encode(os.urandom(16)).decode()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall((f"GET /jupyter/api/kernels/k1/channels?session_id=s1 HTTP/1.1\r\n"
                   f"Host: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                   f"Origin: {origin}\r\n\r\n").encode())
        data = b""
        while b"\r\n" not in data and (chunk := s.recv(1024)):
            data += chunk
    return data.split(b"\r\n")[0].decode()


@pytest.fixture(scope="module")
def served(tmp_path_factory, start_app):
    """`trustsim app` on loopback (no token) on a free port; yields the port."""
    folder = tmp_path_factory.mktemp("app")
    with start_app(["--save-dir", folder / "saved"], folder / "server.log") as port:
        yield port


@pytest.mark.slow
def test_served_on_loopback_refuses_a_rebound_host(served):
    assert get(served, Host=f"evil.example:{served}") == 403
    assert get(served, "/static/assets/custom.css", Host="evil.example") == 403
    assert get(served, Host=f"localhost:{served}") == 200


@pytest.mark.slow
def test_served_on_loopback_refuses_a_foreign_websocket(served):
    assert upgrade(served, "http://evil.example").split()[1] == "403"
    assert get(served, Host=f"127.0.0.1:{served}", Origin=f"http://127.0.0.1:{served}") == 200
