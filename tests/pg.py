"""A throwaway PostgreSQL server for tests: a fresh cluster in a temp folder,
listening only on a Unix socket, stopped and deleted afterwards.

Uses Debian's server binaries (`postgresql` package, installed by `make`).
As root the server runs as the `postgres` user (initdb refuses root).  Without
the binaries (or psycopg) the PostgreSQL tests are skipped with the reason
(the ``pg_url`` fixture in conftest.py), never errors.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PORT = 54329
BIN_GLOB = "/usr/lib/postgresql/*/bin/{name}"
SERVER_BINARIES = ("initdb", "pg_ctl", "createdb")


def unavailable() -> str | None:
    """Why a throwaway server cannot be started here, or ``None`` when it can."""
    missing = [name for name in SERVER_BINARIES if not glob.glob(BIN_GLOB.format(name=name))]
    if missing:
        return (f"PostgreSQL server binaries not found ({', '.join(missing)} under "
                f"{BIN_GLOB.format(name='')}); run `make sysdeps` (Debian package postgresql)")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed (pip install 'kaohe[postgres]')"
    if os.geteuid() == 0:
        import pwd

        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root without a `postgres` user to run the server as"
    return None


def _bin(name: str) -> str:
    found = sorted(glob.glob(BIN_GLOB.format(name=name)))
    if not found:
        raise RuntimeError(unavailable() or f"PostgreSQL binary {name} not found")
    return found[-1]


def _as_server_user(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@contextmanager
def postgres_server() -> Iterator[str]:
    """Start a server; yield its SQLAlchemy URL (database ``kaohe``)."""
    root = Path(tempfile.mkdtemp(prefix="kaohe-pg-"))
    data, sock = root / "data", root / "sock"
    sock.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(sock, "postgres")
    run = lambda args: subprocess.run(_as_server_user(args), check=True, capture_output=True, text=True)  # noqa: E731
    try:
        run([_bin("initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"])
        run([_bin("pg_ctl"), "-D", str(data), "-w", "-l", str(root / "log"), "-o",
             f"-k {sock} -p {PORT} -c listen_addresses='' -c fsync=off", "start"])
        run([_bin("createdb"), "-h", str(sock), "-p", str(PORT), "-U", "postgres", "kaohe"])
        yield f"postgresql+psycopg://postgres@/kaohe?host={sock}&port={PORT}"
    finally:
        subprocess.run(_as_server_user([_bin("pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                       capture_output=True, check=False)
        shutil.rmtree(root, ignore_errors=True)
