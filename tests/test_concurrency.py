"""Concurrent writers (issue 8 #6): 8 processes store runs into one database at once.

Each process starts from a barrier, so they create the schema, take locks and
insert at the same moment.  Four of them store distinct runs and four repeat
one of those inputs (an identical run must be re-used, not a UNIQUE failure).
Every process must succeed, and the database must hold exactly the four runs,
each complete and equal to what a single process stores.  Opening a new database
is raced on its own too: switching a file to WAL while another process holds its
write lock used to fail at once with "database is locked" (about one round of forty
on a new database); the single-process tests below force that moment.
"""

from __future__ import annotations

import multiprocessing
import sqlite3
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.samples import MINI, Q1

PROCESSES = 8
TABLES = ("alerts", "rule_firings", "indicator_results", "unit_results", "runs")


def _facts(i: int) -> str:
    return Q1.replace("c01,刑一庭,criminal,100,95", f"c01,刑一庭,criminal,100,{90 + i}")


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "mini.yaml").write_text(textwrap.dedent(MINI).lstrip("\n"), encoding="utf-8")
    for i in range(PROCESSES // 2):
        (tmp_path / f"q{i}.csv").write_text(_facts(i), encoding="utf-8")
    return tmp_path


def _child(files: Path, db: str, i: int, barrier, results) -> None:  # type: ignore[no-untyped-def]
    from kaohe.engine.errors import KaoheError
    from kaohe.engine.run import run

    try:
        barrier.wait(timeout=60)
        outcome = run(files / "mini.yaml", files / f"q{i % (PROCESSES // 2)}.csv", period="2025Q1", db=db)
        results.put((i, "ok", outcome.info.id))
    except KaoheError as e:
        results.put((i, "error", e.render("en")))
    except BaseException as e:  # noqa: BLE001 - any failure in the child is reported to the test
        results.put((i, "error", f"{type(e).__name__}: {e}"))


def _run_concurrently(files: Path, db: str) -> dict[int, tuple[str, str]]:
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(PROCESSES)
    results = ctx.Queue()
    procs = [ctx.Process(target=_child, args=(files, db, i, barrier, results)) for i in range(PROCESSES)]
    for p in procs:
        p.start()
    out = {}
    for _ in procs:
        i, status, detail = results.get(timeout=240)
        out[i] = (status, detail)
    for p in procs:
        p.join(timeout=30)
        assert p.exitcode == 0, f"child exit code {p.exitcode}"
    return out


def _counts(db: str) -> dict[str, int]:
    engine = create_engine(db)
    with engine.connect() as conn:
        counts = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}
    engine.dispose()
    return counts


def _check(files: Path, db: str, tmp_path: Path) -> None:
    from kaohe.engine.run import run
    from kaohe.engine.store import Store

    results = _run_concurrently(files, db)
    failures = {i: d for i, (s, d) in results.items() if s != "ok"}
    assert failures == {}
    ids = {i: d for i, (_s, d) in results.items()}
    half = PROCESSES // 2
    # runs of one ruleset and period supersede each other: they must form one chain (each run
    # supersedes exactly the one before it, one is current); identical inputs that land one
    # after the other are one run
    store = Store(db)
    chain = store.list_runs(limit=100)
    assert half <= len(chain) <= PROCESSES and set(ids.values()) <= {r.id for r in chain}
    superseded = [r.supersedes for r in chain if r.supersedes]
    assert len(superseded) == len(chain) - 1 and len(set(superseded)) == len(superseded)
    assert [r.id for r in store.list_runs(current_only=True)] == [r.id for r in chain if r.id not in superseded]
    counts = _counts(db)
    assert counts["runs"] == len(chain) and counts["unit_results"] == len(chain) * 6
    # each stored run is complete and equal to a run made alone in a fresh database
    for i in range(PROCESSES):
        alone = run(files / "mini.yaml", files / f"q{i % half}.csv", period="2025Q1",
                    db=f"sqlite:///{tmp_path}/alone{i}.db")
        assert list(store.load_units(ids[i])) == list(alone.units)
    store.engine.dispose()


def test_eight_processes_store_into_one_new_sqlite_database(files, tmp_path):
    _check(files, f"sqlite:///{tmp_path / 'shared.db'}", tmp_path)


def test_eight_processes_store_into_one_new_postgresql_database(files, tmp_path, pg_url):
    engine = create_engine(pg_url)
    with engine.begin() as conn:  # a new database: the processes race to create the schema
        for table in TABLES:
            conn.execute(text(f"DROP TABLE IF EXISTS {table} CASCADE"))
    engine.dispose()
    _check(files, pg_url, tmp_path)


OPEN_ROUNDS = 6


def _open_child(db: str, barrier, results) -> None:  # type: ignore[no-untyped-def]
    from kaohe.engine.store import Store

    try:
        barrier.wait(timeout=60)
        store = Store(db)
        results.put(("ok", str(len(store.list_runs()))))
        store.engine.dispose()
    except BaseException as e:  # noqa: BLE001 - any failure in the child is reported to the test
        results.put(("error", f"{type(e).__name__}: {e}"))


@pytest.mark.parametrize("start", ["absent", "empty file", "rollback journal"])
def test_eight_processes_open_one_new_sqlite_database_at_once(tmp_path, start):
    from kaohe.engine.migrations import HEAD
    from kaohe.engine.store import Store  # imported once, before the children fork

    Store(f"sqlite:///{tmp_path / 'warm.db'}").engine.dispose()  # and Alembic's scripts loaded
    ctx = multiprocessing.get_context("fork")
    for n in range(OPEN_ROUNDS // 3):
        path = tmp_path / f"new{n}.db"
        if start == "empty file":
            path.touch()
        elif start == "rollback journal":  # a database made by another tool, not yet in WAL mode
            with sqlite3.connect(path) as conn:
                conn.execute("CREATE TABLE notes (text TEXT)")
            conn.close()
        barrier, results = ctx.Barrier(PROCESSES), ctx.Queue()
        procs = [ctx.Process(target=_open_child, args=(f"sqlite:///{path}", barrier, results))
                 for _ in range(PROCESSES)]
        for p in procs:
            p.start()
        outcomes = [results.get(timeout=120) for _ in procs]
        for p in procs:
            p.join(timeout=30)
        assert outcomes == [("ok", "0")] * PROCESSES, f"round {n}: {outcomes}"
        with sqlite3.connect(path) as conn:
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [(HEAD,)]
        conn.close()
        assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".new")] == []  # no copy left behind


def test_switching_to_wal_waits_for_another_writer_instead_of_failing(tmp_path):
    """SQLite refuses the switch at once (no busy timeout) while another connection holds
    the write lock of a rollback-journal database; kaohe waits for it."""
    import threading
    import time

    from kaohe.engine.database import open_engine

    path = tmp_path / "old.db"
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("CREATE TABLE notes (text TEXT)")
    holder.execute("BEGIN IMMEDIATE")  # the write lock, as another process storing a run holds it
    holder.execute("INSERT INTO notes VALUES ('x')")
    release = threading.Timer(1.0, lambda: holder.execute("COMMIT"))
    release.start()
    started = time.monotonic()
    try:
        engine = open_engine(f"sqlite:///{path}")
        with engine.connect() as conn:
            mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar_one()
        engine.dispose()
    finally:
        release.join()
        holder.close()
    assert mode == "wal" and time.monotonic() - started >= 0.9


def test_a_new_database_made_meanwhile_by_another_process_is_used_as_it_is(tmp_path, monkeypatch):
    from kaohe.engine import database

    path = tmp_path / "kaohe.db"
    real_link = database.os.link

    def other_process_first(src: str, dst: str) -> None:
        with sqlite3.connect(dst) as conn:  # the winner's database, with a run of its own
            conn.execute("CREATE TABLE winner (x)")
        conn.close()
        real_link(src, dst)  # FileExistsError, as when the race is lost

    monkeypatch.setattr(database.os, "link", other_process_first)
    database._create_sqlite(path)
    monkeypatch.undo()
    with sqlite3.connect(path) as conn:
        assert [t for (t,) in conn.execute("SELECT name FROM sqlite_master")] == ["winner"]
    conn.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kaohe.db"]  # the copy it built is gone


def test_a_new_database_appears_whole_in_wal_mode(tmp_path):
    from kaohe.engine.migrations import HEAD
    from kaohe.engine.store import Store

    Store(f"sqlite:///{tmp_path / 'kaohe.db'}").engine.dispose()
    with sqlite3.connect(tmp_path / "kaohe.db") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [(HEAD,)]
    conn.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kaohe.db"]
