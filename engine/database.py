"""Opening the run database so that several writers and read-only copies work.

Cron jobs overlap and offices share one database, so every process that opens
it must cope with the others:

- **SQLite** waits for a lock instead of failing (a busy timeout), keeps the
  journal in WAL mode (readers never block the writer) and starts each write
  transaction with ``BEGIN IMMEDIATE``: the write lock is taken before the
  first read, so two writers queue instead of one failing when it upgrades
  its read lock ("database is locked").  A database that cannot be written
  (a read-only file system, a read-only file) is opened read-only, so runs
  can still be listed and reported.  A new database file appears complete:
  it is built under a temporary name beside it (WAL mode, every migration) and
  hard-linked into place, so no process ever opens a half-made file (switching
  a brand-new file to WAL while another process does the same fails at once
  with "database is locked", without waiting); a process that loses that race
  uses the winner's file.
- **PostgreSQL** serialises schema migrations and the writing of one run id
  with transaction-scoped advisory locks.
- **Any database**: a write transaction that loses a race (a lock timeout, a
  serialisation failure, a duplicate key from a concurrent identical run) is
  rolled back and tried again a few times with a growing pause; the
  transaction body re-checks what is stored, so the retry of an identical run
  finds the run the other process stored.
"""

from __future__ import annotations

import os
import random
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, SQLAlchemyError

from kaohe.engine.errors import Hint, Location, Problem, RunError
from kaohe.engine.i18n import register

register(
    {
        "store.corrupt": ("数据库文件已损坏，无法读取：{error}", "the database file is damaged and cannot be read: {error}"),
        "hint.corrupt_db": ("从备份恢复该文件；或用 sqlite3 {file} \".recover\" 导出仍可读的部分",
                            "restore the file from a backup, or save what is still readable with "
                            "sqlite3 {file} \".recover\""),
    }
)

BUSY_TIMEOUT_S = 60.0
ATTEMPTS = 8
SCHEMA_LOCK = 0x6B616F6865  # "kaohe": the advisory lock key of schema migrations (PostgreSQL)

T = TypeVar("T")


def open_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets a busy timeout, WAL, immediate write transactions."""
    if not url.startswith("sqlite"):
        return create_engine(url)
    path = _sqlite_path(url)
    if path is not None and not _writable(path):
        return _readonly_sqlite(path)
    if path is not None and not path.exists():
        _create_sqlite(path)
    engine = _sqlite_engine(url)
    _report_corruption(engine, path)
    return engine


def _sqlite_engine(url: str) -> Engine:
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S})
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _create_sqlite(path: Path) -> None:
    """Make the new database ``path`` appear at once with its whole schema, in WAL mode.

    It is built as a hidden file in the same folder and hard-linked to ``path``:
    the link fails when another process linked its copy first, and that copy
    is used.  Where the copy cannot be made (no such folder, no hard links on
    that drive) nothing is changed and the database is created as it is opened.
    """
    from kaohe.engine.migrations import upgrade

    building = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.new")
    engine: Engine | None = None
    try:
        engine = _sqlite_engine(f"sqlite:///{building}")
        upgrade(engine)
        engine.dispose()  # the last connection closes: the WAL is checkpointed into the file
        os.link(building, path)
    except (OSError, SQLAlchemyError):
        pass  # FileExistsError: another process made it; otherwise the ordinary way reports what is wrong
    finally:
        if engine is not None:
            engine.dispose()
        for leftover in (building, Path(f"{building}-wal"), Path(f"{building}-shm")):
            leftover.unlink(missing_ok=True)


def is_readonly(engine: Engine) -> bool:
    """Whether ``engine`` was opened read-only (a SQLite file that cannot be written)."""
    return bool(getattr(engine, "_kaohe_readonly", False))


def _sqlite_path(url: str) -> Path | None:
    """The file of a ``sqlite:///path`` URL (None for memory databases and URI forms)."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or "?" in url:
        return None
    rest = url[len(prefix):]
    if rest in ("", ":memory:"):
        return None
    return Path(rest)


def _writable(path: Path) -> bool:
    """Whether a SQLite database at ``path`` can be written (the file and its folder, for the journal)."""
    folder = path.parent if str(path.parent) else Path(".")
    if path.exists():
        return os.access(path, os.W_OK) and os.access(folder, os.W_OK) and not _readonly_mount(folder)
    return True  # a new database: creating it reports its own error


def _readonly_mount(folder: Path) -> bool:
    """Whether ``folder`` is on a read-only file system (root ignores file modes, not mounts)."""
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def _readonly_sqlite(path: Path) -> Engine:
    """Open a SQLite file that cannot be written, read-only.

    A WAL database needs its ``-shm`` index: when the folder cannot hold one
    and none was left behind, the file is opened ``immutable`` (nothing can be
    writing it then); a ``-wal`` left behind is read through the existing index.
    """
    uri = f"file:{path.resolve()}?mode=ro"
    folder_readonly = not os.access(path.parent, os.W_OK) or _readonly_mount(path.parent)
    if folder_readonly and not Path(f"{path}-wal").exists():
        uri += "&immutable=1"

    def connect() -> sqlite3.Connection:
        return sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S, check_same_thread=False)

    engine = create_engine("sqlite://", creator=connect)
    engine._kaohe_readonly = True  # type: ignore[attr-defined]
    _report_corruption(engine, path)
    return engine


_CORRUPT = ("malformed", "not a database", "file is encrypted", "database corrupt")


def _report_corruption(engine: Engine, path: Path | None) -> None:
    """A damaged SQLite file is a clear error naming the file, wherever it is read."""

    def handle(context: ExceptionContext) -> None:
        message = str(context.original_exception)
        if any(s in message.lower() for s in _CORRUPT):
            file = str(path) if path is not None else "kaohe.db"
            raise RunError(Problem("store.corrupt", {"error": message}, Location(file=file),
                                   Hint("hint.corrupt_db", {"file": file}))) from context.original_exception

    event.listen(engine, "handle_error", handle)


def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    # let SQLAlchemy's "begin" event emit BEGIN, so writes can use BEGIN IMMEDIATE
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
    _wal(cur)
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _wal(cur: sqlite3.Cursor) -> None:
    """Switch to WAL mode; SQLite refuses at once, without the busy timeout, while another
    process switches the same file (a database kaohe 0.1.0 made), so this waits itself."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as e:
            if not _busy(str(e)) or time.monotonic() > deadline:
                raise
            time.sleep(0.02 + 0.08 * random.random())


def _busy(message: str) -> bool:
    return any(s in message.lower() for s in ("database is locked", "busy"))


def _sqlite_begin(conn: Connection) -> None:
    write = conn.get_execution_options().get("kaohe_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


@contextmanager
def write_transaction(engine: Engine, lock: str | None = None) -> Iterator[Connection]:
    """One write transaction: SQLite takes the write lock at once; on PostgreSQL
    ``lock`` (e.g. a run id) is held as an advisory lock until the commit."""
    with engine.execution_options(kaohe_write=True).begin() as conn:
        if lock is not None and conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": lock})
        yield conn


def retrying(work: Callable[[], T], attempts: int = ATTEMPTS) -> T:
    """Run ``work`` (one whole transaction); run it again when it lost a race with another writer."""
    for attempt in range(1, attempts + 1):
        try:
            return work()
        except (OperationalError, IntegrityError, DBAPIError) as e:
            if attempt == attempts or not is_contention(e):
                raise
            time.sleep(min(2.0, 0.05 * 2**attempt) * (0.5 + random.random()))
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


def is_contention(e: BaseException) -> bool:
    """Whether a database error means another writer got there first (worth a retry)."""
    if isinstance(e, IntegrityError):
        return True  # a concurrent identical run, or a schema row created at the same time
    message = str(getattr(e, "orig", e)).lower()
    return any(s in message for s in (
        "database is locked", "database table is locked", "busy", "deadlock detected",
        "could not serialize", "already exists", "duplicate key", "lock timeout",
    ))
