"""Schema migrations: a new database and a kaohe 0.1.0 database both reach the current schema."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect
from sqlmodel import SQLModel

import kaohe.engine.serve.tables  # noqa: F401  (their tables are part of the schema)
from kaohe.engine import migrations
from kaohe.engine.store import Store

FIXTURE = Path(__file__).parent / "fixtures" / "store-0.1.0-baseline.sqlite"
BASELINE_RUNS = {
    "5a51efbbe8f288fd": ("shunde-court-2025", "2025Q1", 24),
    "bfa8d6e7397343c3": ("shunde-court-2025", "2025Q2", 24),
    "e304f2cbc6ef9e6d": ("shunde-court-2025", "2025Q3", 24),
    "1f524763422df711": ("shunde-court-2025", "2025Q4", 24),
    "ddcac54cbf411e4f": ("wulate-health-2025", "2025Q1", 14),
}


def _schema_differences(url: str) -> list[object]:
    engine = create_engine(url)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(ctx, SQLModel.metadata))


def test_head_constant_is_the_head_of_the_versions_folder():
    script = ScriptDirectory.from_config(migrations.config())
    assert script.get_heads() == [migrations.HEAD]
    assert script.get_base() == migrations.BASELINE


def test_a_new_database_is_built_by_the_migrations_and_matches_the_tables(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'new.db'}"
    Store(url)
    with create_engine(url).connect() as conn:
        assert migrations.current_revision(conn) == migrations.HEAD
    assert _schema_differences(url) == []


def test_a_database_of_kaohe_0_1_0_opens_after_the_upgrade_with_its_runs_intact(tmp_path: Path):
    db = tmp_path / "old.db"
    shutil.copy(FIXTURE, db)
    before = sqlite3.connect(db)
    counts_before = {t: before.execute(f"select count(*) from {t}").fetchone()[0]
                     for t in ("runs", "unit_results", "indicator_results", "rule_firings", "alerts")}
    assert before.execute("select count(*) from sqlite_master where name = 'alembic_version'").fetchone()[0] == 0
    before.close()

    store = Store(f"sqlite:///{db}")
    runs = {i.id: (i.ruleset_id, i.period, i.units) for i in store.list_runs()}
    assert runs == BASELINE_RUNS
    for run_id, (_ruleset, _period, n) in BASELINE_RUNS.items():
        units = store.load_units(run_id)
        assert len(units) == n
        assert all(u.score is not None and u.grade for u in units)
    after = sqlite3.connect(db)
    counts_after = {t: after.execute(f"select count(*) from {t}").fetchone()[0] for t in counts_before}
    after.close()
    assert counts_after == counts_before
    assert _schema_differences(f"sqlite:///{db}") == []


def test_a_database_where_serve_already_created_its_tables_is_upgraded(tmp_path: Path):
    """Before migrations, kaohe serve created its tables itself: those are kept, the rest added."""
    from kaohe.engine.serve.tables import UserRow

    db = tmp_path / "served.db"
    shutil.copy(FIXTURE, db)
    engine = create_engine(f"sqlite:///{db}")
    SQLModel.metadata.create_all(engine, tables=[UserRow.__table__])  # type: ignore[attr-defined]
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO serve_users (name, role, password_hash, created_at) "
                             "VALUES ('admin', 'admin', 'x', '2025-01-01 00:00:00')")
    Store(f"sqlite:///{db}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT name FROM serve_users").scalars().all() == ["admin"]
    assert _schema_differences(f"sqlite:///{db}") == []


def test_a_database_where_metric_details_was_created_before_migrations_is_upgraded(tmp_path: Path):
    from kaohe.engine.store import MetricDetailRow

    db = tmp_path / "details.db"
    shutil.copy(FIXTURE, db)
    engine = create_engine(f"sqlite:///{db}")
    SQLModel.metadata.create_all(engine, tables=[MetricDetailRow.__table__])  # type: ignore[attr-defined]
    Store(f"sqlite:///{db}")
    assert _schema_differences(f"sqlite:///{db}") == []


def test_opening_twice_is_a_no_op(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'twice.db'}"
    Store(url)
    Store(url)
    with create_engine(url).connect() as conn:
        assert migrations.current_revision(conn) == migrations.HEAD


def test_the_revisions_downgrade_to_nothing_and_upgrade_again(tmp_path: Path):
    """Every revision's downgrade undoes its upgrade: down to nothing, up again, same schema."""
    from alembic import command

    url = f"sqlite:///{tmp_path / 'down.db'}"
    Store(url)
    engine = create_engine(url)
    with engine.begin() as conn:
        command.downgrade(migrations.config(conn), "base")
    with engine.connect() as conn:
        assert not inspect(conn).has_table("runs")
    with engine.begin() as conn:
        command.upgrade(migrations.config(conn), migrations.HEAD)
    assert _schema_differences(url) == []
