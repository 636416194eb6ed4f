"""Concurrent writers (issue 8 #6): 8 processes store runs into one database at once.

Each process starts from a barrier, so they create the schema, take locks and
insert at the same moment.  Four of them store distinct runs and four repeat
one of those inputs (an identical run must be re-used, not a UNIQUE failure).
Every process must succeed, and the database must hold exactly the four runs,
each complete and equal to what a single process stores.
"""

from __future__ import annotations

import multiprocessing
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
