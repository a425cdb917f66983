"""What the dashboard exposes: which scenario files it reads, and who may open it.

The page runs on the server, so a path typed into it is read there: only ``.yaml`` files
in the shipped ``scenarios/`` folder and in folders named on the command line are loaded.
Off loopback the page needs the token ``trustsim app`` prints in its address (as Jupyter
does), compared in constant time.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import socket
from pathlib import Path
from urllib.parse import parse_qs

DIRS_ENV = "TRUSTSIM_APP_DIRS"
TOKEN_ENV = "TRUSTSIM_APP_TOKEN"
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
