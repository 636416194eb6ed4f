"""The same runs on a real PostgreSQL server: store, idempotence, previous period, atomic failure."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from tests.samples import MINI, Q1


@pytest.fixture
def court(project, pg_url):
    engine = create_engine(pg_url)
    with engine.begin() as conn:  # each test starts from an empty database (migrations included)
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return project({"court/mini.yaml": MINI, "q1.csv": Q1,
                    "q2.csv": Q1.replace("c03,刑三庭,criminal,100,70", "c03,刑三庭,criminal,100,71")})


def test_runs_are_stored_and_read_back_from_postgresql(court, kaohe, pg_url):
    args = ("run", court / "court/mini.yaml", "--facts", court / "q1.csv", "--period", "2025Q1", "--json",
            "--db", pg_url)
    first = kaohe(*args)
    assert first.exit_code == 0, first.stderr
    assert kaohe(*args).stdout == first.stdout  # idempotent
    forced = kaohe(*args, "--force", "--reason", "re-run")
    assert forced.json()["units"] == first.json()["units"]
    assert forced.json()["run"]["id"] != first.json()["run"]["id"]  # a new run supersedes; both kept
    second = kaohe("run", court / "court/mini.yaml", "--facts", court / "q2.csv", "--period", "2025Q2", "--json",
                   "--db", pg_url)
    units = {u["unit"]: u for u in second.json()["units"]}
    assert units["c03"]["alerts"] == ["督办"]  # previous.light read back from PostgreSQL
    runs = kaohe("runs", "--json", "--db", pg_url).json()["runs"]
    assert [r["period"] for r in runs] == ["2025Q2", "2025Q1"]
    explained = kaohe("explain", first.json()["run"]["id"][:6], "c04", "--db", pg_url)
    assert explained.exit_code == 0 and "integrity_veto" in explained.stdout


def test_a_failed_save_leaves_nothing_in_postgresql(court, pg_url, monkeypatch):
    import kaohe.engine.store as store_module
    from kaohe.engine.errors import RunError
    from kaohe.engine.run import run

    def broken(run_id, evaluation):
        yield from ()
        raise store_module.SQLAlchemyError("disk full (simulated)")

    monkeypatch.setattr(store_module, "_indicator_rows", broken)
    with pytest.raises(RunError):
        run(court / "court/mini.yaml", court / "q1.csv", period="2025Q1", db=pg_url)
    engine = create_engine(pg_url)
    with engine.connect() as conn:
        counts = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
                  for t in ("runs", "unit_results", "indicator_results", "rule_firings", "alerts")}
    engine.dispose()
    assert counts == dict.fromkeys(counts, 0)


def test_the_migrations_build_the_same_schema_on_postgresql(court, pg_url):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlmodel import SQLModel

    import kaohe.engine.serve.tables  # noqa: F401  (their tables are part of the schema)
    from kaohe.engine import migrations
    from kaohe.engine.store import Store

    Store(pg_url)
    engine = create_engine(pg_url)
    with engine.connect() as conn:
        assert migrations.current_revision(conn) == migrations.HEAD
        assert compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                SQLModel.metadata) == []
    engine.dispose()


def test_without_server_binaries_the_tests_skip_with_the_reason(monkeypatch):
    """The pg_url fixture skips with this reason instead of erroring (tests/conftest.py)."""
    import glob

    from tests import pg

    present = all(glob.glob(pg.BIN_GLOB.format(name=n)) for n in pg.SERVER_BINARIES)
    if present:
        assert pg.unavailable() is None  # here the PostgreSQL tests really run
    monkeypatch.setattr(pg, "BIN_GLOB", "/nonexistent/postgresql/*/bin/{name}")
    reason = pg.unavailable()
    assert reason is not None and "initdb, pg_ctl, createdb" in reason and "make sysdeps" in reason


TABLES = ("unit_results", "indicator_results", "rule_firings", "alerts", "metric_details", "unit_sources",
          "run_sources", "run_warnings")


def _rows(url: str) -> dict[str, list[tuple[object, ...]]]:
    """Every row of the run tables but their ids, in insertion order."""
    engine = create_engine(url)
    with engine.connect() as conn:
        out = {}
        for table in TABLES:
            names = conn.execute(text(f"SELECT * FROM {table} LIMIT 0")).keys()
            cols = [c for c in names if c != "id"]
            out[table] = [tuple(r) for r in conn.execute(text(f"SELECT {', '.join(cols)} FROM {table} ORDER BY id"))]
    engine.dispose()
    return out


@pytest.mark.parametrize("region", ["huojia-county/towns.yaml", "wulate-health/health.yaml", "pzhen/staff-review.yaml"])
def test_binary_copy_stores_what_sqlite_stores(region, pg_url, tmp_path):
    """Every value (missing ones, ranks, notes, sources, warnings, metric details) as in SQLite."""
    from pathlib import Path

    from kaohe.engine.run import run
    from tests.samples import REGION_RUNS

    engine = create_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    root = Path(__file__).resolve().parent.parent
    sqlite = f"sqlite:///{tmp_path}/k.db"
    for entry in REGION_RUNS[region]:
        facts = [root / "examples" / f for f in entry] if isinstance(entry, tuple) else root / "examples" / entry
        for db in (sqlite, pg_url):
            run(root / "rulesets" / region, facts, db=db)
    stored = _rows(pg_url)
    assert stored == _rows(sqlite)
    assert stored["unit_results"] and stored["indicator_results"]
