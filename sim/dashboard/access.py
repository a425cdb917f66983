"""What the dashboard exposes: which scenario files it reads, and who may open it.

The page runs on the server, so a path typed into it is read there: only ``.yaml`` files
in the shipped ``scenarios/`` folder and in folders named on the command line are loaded.

Who may open it is settled by :class:`Guard`, an ASGI middleware in front of Solara, for
every request (page, assets, API, websocket) before Solara sees it: the Host header must
name this server (so a web page cannot reach a loopback dashboard by DNS rebinding), an
Origin, when sent, must be the dashboard's own (so no other site drives its session), and
when a token is set (always off loopback) the request must carry it, in the address
(``?token=``, as Jupyter prints it) or in the HttpOnly, SameSite=Strict cookie the first
such visit sets. Tokens are compared in constant time.
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

DIRS_ENV = "TRUSTSIM_APP_DIRS"
TOKEN_ENV = "TRUSTSIM_APP_TOKEN"
HOST_ENV = "TRUSTSIM_APP_HOST"
#: Characters a token may hold: it travels in an address and a cookie unescaped.
TOKEN_CHARS = re.compile(r"[A-Za-z0-9._~-]+")
TOKEN_REFUSAL = "This dashboard needs the address with its token, as printed by `trustsim app`."
REPO_SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def served_dirs() -> list[Path]:
    """The shipped scenarios folder, then the folders named on the command line."""
    named = [Path(d).resolve() for d in os.environ.get(DIRS_ENV, "").split(os.pathsep) if d]
    return list(dict.fromkeys([REPO_SCENARIOS, *named]))


def served_file(path: str | Path) -> Path | None:
    """``path`` resolved (symlinks followed) if it is a .yaml file directly in a served
    folder, else None."""
    try:
        real = Path(path).expanduser().resolve()
    except (OSError, RuntimeError):
        return None
    ok = real.suffix in (".yaml", ".yml") and real.parent in served_dirs()
    return real if ok else None


def refusal(path: str | Path) -> str:
    """The one line shown for a file outside the served folders (nothing of it is read)."""
    where = ", ".join(str(d) for d in served_dirs())
    return (f"{path}: not in a scenario folder this dashboard serves; expected a .yaml "
            f"file in {where}")


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and names that resolve only to them (localhost)."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    return bool(infos) and all(ipaddress.ip_address(i[4][0]).is_loopback for i in infos)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_ok(search: str | None, token: str | None) -> bool:
    """Whether a page address's query string (``a=1&token=...``) carries ``token``;
    always true when no token is required."""
    if not token:
        return True
    given = parse_qs(search or "").get("token", [""])[-1]
    return secrets.compare_digest(given.encode(), token.encode())


def token_problem(token: str) -> str | None:
    """Why ``token`` cannot be used (it must pass through an address and a cookie as it
    is), or None."""
    if not TOKEN_CHARS.fullmatch(token):
        return (f"{token!r} is not a usable token; expected letters, digits and . _ ~ - "
                "only")
    return None


# --- the network guard -----------------------------------------------------------------

Scope = dict[str, Any]
ASGIApp = Callable[..., Any]
DEFAULT_PORTS = {"http": 80, "ws": 80, "https": 443, "wss": 443}


def host_and_port(value: str, scheme: str) -> tuple[str, int] | None:
    """``value`` (a Host header, ``name:port``) as (lowercase name, port), or None when it
    is not a bare host[:port]."""
    try:
        parts = urlsplit(f"//{value}")
        port = parts.port or DEFAULT_PORTS.get(scheme, 80)
    except ValueError:
        return None
    if not parts.hostname or parts.netloc != value or "@" in value:
        return None
    return parts.hostname, port


def as_ip(name: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(name)
    except ValueError:
        return None


def machine_names() -> set[str]:
    """This machine's own names and the addresses of its interfaces (for a server bound
    to all of them, 0.0.0.0 or ::)."""
    import psutil

    short = socket.gethostname().lower()
    names = {short, f"{short}.local", socket.getfqdn().lower(), "localhost"}
    for addresses in psutil.net_if_addrs().values():
        for address in addresses:
            if address.family in (socket.AF_INET, socket.AF_INET6):
                names.add(str(ipaddress.ip_address(address.address.split("%")[0])))
    return names


class Guard:
    """ASGI middleware that refuses, before the app sees it, a request whose Host is not
    this server, whose Origin is another site's, or that lacks the token when one is set."""

    def __init__(self, app: ASGIApp, host: str, token: str | None = None) -> None:
        if token and (problem := token_problem(token)):
            raise ValueError(problem)
        self.app, self.host, self.token = app, host, token or None
        self.loopback = is_loopback(host)
        # off loopback the printed address (0.0.0.0 included), or a name of this machine
        self.names = {"localhost"} if self.loopback else {host.lower(), *machine_names()}
        self.expected = ("localhost or a loopback address (127.0.0.1, [::1])" if self.loopback
                         else f"{host} or this machine's name")

    def host_ok(self, name: str) -> bool:
        ip = as_ip(name)
        if self.loopback:
            return name in self.names or (ip is not None and ip.is_loopback)
        return name in self.names or (ip is not None and str(ip) in self.names)

    def refusal(self, scope: Scope) -> str | None:
        """The one line a request is refused with, or None when it may pass."""
        from starlette.requests import HTTPConnection

        conn = HTTPConnection(scope)
        scheme = scope.get("scheme", "http")
        port = (scope.get("server") or (None, None))[1]
        raw = ", ".join(conn.headers.getlist("host"))  # two Host headers: refused
        host = host_and_port(raw, scheme)
        if host is None or not self.host_ok(host[0]) or port not in (None, host[1]):
            where = f" with port {port}" if port else ""
            return (f"Refused: Host {raw!r} is not this dashboard's address; expected "
                    f"{self.expected}{where}.")
        for origin in conn.headers.getlist("origin"):
            if not same_origin(origin, raw, scheme):
                return (f"Refused: Origin {origin!r} is not this dashboard's own page; "
                        f"expected http://{raw}.")
        if self.token and not (self.query_token(scope) or self.cookie_token(conn, port)):
            return TOKEN_REFUSAL
        return None

    def query_token(self, scope: Scope) -> bool:
        return token_ok(scope.get("query_string", b"").decode("latin-1"), self.token)

    def cookie_token(self, conn: Any, port: int | None) -> bool:
        given = conn.cookies.get(cookie_name(port), "")
        return secrets.compare_digest(given.encode(), str(self.token).encode())

    async def __call__(self, scope: Scope, receive: ASGIApp, send: ASGIApp) -> None:
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        if (why := self.refusal(scope)) is not None:
            return await refuse(scope, receive, send, why)
        if scope["type"] == "http" and self.token and self.query_token(scope):
            send = self.setting_cookie(send, (scope.get("server") or (None, None))[1])
        await self.app(scope, receive, send)

    def setting_cookie(self, send: ASGIApp, port: int | None) -> ASGIApp:
        """``send`` that adds the token cookie to the response, so the page's assets and
        websocket (which carry no ``?token=``) pass."""
        cookie = f"{cookie_name(port)}={self.token}; Path=/; HttpOnly; SameSite=Strict"

        async def send_with_cookie(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", []), (b"set-cookie", cookie.encode())]
                message = {**message, "headers": headers}
            await send(message)

        return send_with_cookie


def cookie_name(port: int | None) -> str:
    """One cookie per port: browsers share cookies across a host's ports."""
    return f"trustsim-token-{port or 0}"


def same_origin(origin: str, host: str, scheme: str) -> bool:
    """Whether an Origin header names the page at ``host`` (the Host header)."""
    try:
        parts = urlsplit(origin)
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or parts.path or parts.query:
        return False
    ours = host_and_port(host, "https" if scheme in ("https", "wss") else "http")
    return ours is not None and host_and_port(parts.netloc, parts.scheme) == ours


async def refuse(scope: Scope, receive: ASGIApp, send: ASGIApp, why: str) -> None:
    """403 with one plain-text line; a websocket is closed before it is accepted, which
    the server answers with 403."""
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008})
        return
    from starlette.responses import PlainTextResponse

    headers = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
    await PlainTextResponse(why + "\n", 403, headers)(scope, receive, send)


def guarded_app(app: ASGIApp | None = None) -> Guard:
    """Solara's Starlette app behind the guard, configured by ``trustsim app`` through the
    environment (uvicorn ``--factory`` entry)."""
    if app is None:
        from solara.server.starlette import app
    return Guard(app, host=os.environ.get(HOST_ENV, "127.0.0.1"),
                 token=os.environ.get(TOKEN_ENV) or None)
