"""Schema migrations of the run database (Alembic), applied when a store opens.

Every change to the tables of ``engine/store.py`` is a revision in
``versions/``.  :func:`upgrade` brings any database to :data:`HEAD`: a new
database is built by running every revision from the first; a database made
by kaohe 0.1.0 (tables created directly, no ``alembic_version`` table) is
first stamped with the baseline revision, whose schema it has, and then
upgraded, keeping its runs.

To add a revision after changing a table (developers)::

    .venv/bin/python -m kaohe.engine.migrations new "what changed"

then edit the generated file (``op.add_column`` …), set :data:`HEAD` to its
id and run ``tests/test_migrations.py``, which checks that the migrated
schema equals the SQLModel tables.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine, inspect, text

from kaohe.engine.errors import Problem, RunError
from kaohe.engine.i18n import register

register({"store.readonly_old_schema": (
    "数据库只读，且为旧版本结构（{revision}，当前为 {head}），无法读取：请在可写的位置用新版 kaohe 打开一次以升级",
    "the database is read-only and has an older schema ({revision}; current {head}): open it once where it "
    "can be written, with this kaohe, to upgrade it")})

BASELINE = "0001"
"""The schema of kaohe 0.1.0 (the tables as ``create_all`` made them)."""

HEAD = "0006"
"""The newest revision; a test checks it is the head of ``versions/``."""


def script_location() -> Path:
    """The folder holding ``env.py`` and ``versions/`` (inside the installed package)."""
    return Path(str(resources.files(__package__)))


def config(connection: Connection | None = None) -> Config:
    """An Alembic configuration for kaohe's migrations, optionally bound to ``connection``."""
    cfg = Config()
    cfg.set_main_option("script_location", str(script_location()))
    cfg.set_main_option("path_separator", "os")
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at (``None``: never migrated)."""
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, *, readonly: bool = False) -> None:
    """Bring the database to :data:`HEAD` in one write transaction (a no-op when it is there).

    The transaction takes the write lock first (SQLite ``BEGIN IMMEDIATE``,
    a PostgreSQL advisory lock) and is retried when it loses a race, so two
    processes opening a new database at once both succeed.  A read-only
    database is left as it is; one of an older schema cannot be read.
    """
    from kaohe.engine.database import SCHEMA_LOCK, retrying, write_transaction

    with engine.connect() as conn:
        revision = current_revision(conn)
        has_runs = inspect(conn).has_table("runs")
    if revision == HEAD:
        return
    if readonly:
        if revision is None and not has_runs:
            return  # an empty read-only database: nothing to read, nothing to write
        raise RunError(Problem("store.readonly_old_schema", {"revision": revision or BASELINE, "head": HEAD}))

    def migrate() -> None:
        with write_transaction(engine) as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": SCHEMA_LOCK})
            found = current_revision(conn)
            if found == HEAD:
                return  # another process migrated meanwhile
            if found is None and inspect(conn).has_table("runs"):
                command.stamp(config(conn), BASELINE)  # made by 0.1.0: it has the baseline schema
            command.upgrade(config(conn), HEAD)

    retrying(migrate)


def new_revision(message: str) -> None:
    """Write a new, empty revision file on top of the current head (for developers)."""
    command.revision(config(), message=message, rev_id=f"{int(HEAD) + 1:04d}")


if __name__ == "__main__":  # pragma: no cover - a developer tool
    import sys

    if len(sys.argv) != 3 or sys.argv[1] != "new":
        sys.exit('usage: python -m kaohe.engine.migrations new "message"')
    new_revision(sys.argv[2])
