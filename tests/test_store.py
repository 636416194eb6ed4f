"""The run store: atomic writes, idempotent runs, run lookup by prefix, previous period."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

import kaohe.engine.store as store_mod
from kaohe.engine.errors import RunError
from kaohe.engine.run import run
from kaohe.engine.store import (
    AlertRow,
    FiringRow,
    IndicatorRow,
    RunInfo,
    RunRow,
    Store,
    UnitRow,
    database_url,
)
from tests.samples import MINI, Q1

TABLES = (RunRow, UnitRow, IndicatorRow, FiringRow, AlertRow)


@pytest.fixture
def files(tmp_path):
    rs = tmp_path / "court" / "mini.yaml"
    rs.parent.mkdir()
    rs.write_text(textwrap.dedent(MINI).lstrip("\n"), encoding="utf-8")
    (tmp_path / "q1.csv").write_text(Q1, encoding="utf-8")
    (tmp_path / "q2.csv").write_text(Q1.replace("c03,刑三庭,criminal,100,70", "c03,刑三庭,criminal,100,71"),
                                     encoding="utf-8")
    return tmp_path


@pytest.fixture
def db(tmp_path):
    return f"sqlite:///{tmp_path / 'runs.db'}"


def counts(db: str) -> dict[str, int]:
    s = Store(db)
    with Session(s.engine) as session:
        return {t.__tablename__: session.execute(select(func.count()).select_from(t)).scalar_one()
                for t in TABLES}


def do_run(files: Path, db: str, csv: str = "q1.csv", period: str = "2025Q1", **kw):
    return run(files / "court/mini.yaml", files / csv, period=period, db=db, **kw)


# -- atomicity ------------------------------------------------------------------

def _fail_midway(real):
    """The rows come in batches: fail once the first batch has been written."""
    def rows(run_id, ev):
        for batch in real(run_id, ev):
            yield batch
            raise RuntimeError("disk on fire")
    return rows


def test_failure_during_save_leaves_nothing(files, db, monkeypatch):
    monkeypatch.setattr(store_mod, "_indicator_rows", _fail_midway(store_mod._indicator_rows))
    with pytest.raises(Exception):  # noqa: B017 - any failure; what matters is what is left behind
        do_run(files, db)
    assert counts(db) == {t.__tablename__: 0 for t in TABLES}


def test_sqlalchemy_error_during_save_is_a_run_error_and_leaves_nothing(files, db, monkeypatch):
    def boom(run_id, ev):
        yield from ()
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr(store_mod, "_alert_rows", boom)
    with pytest.raises(RunError) as info:
        do_run(files, db)
    assert info.value.exit_code == 3
    assert "database is locked" in info.value.render("en")
    assert counts(db) == {t.__tablename__: 0 for t in TABLES}


def test_failed_forced_rerun_keeps_the_earlier_run(files, db, monkeypatch):
    first = do_run(files, db)
    before = counts(db)
    monkeypatch.setattr(store_mod, "_indicator_rows", _fail_midway(store_mod._indicator_rows))
    with pytest.raises(Exception):  # noqa: B017
        do_run(files, db, force=True)
    monkeypatch.undo()
    assert counts(db) == before
    assert Store(db).get_run(first.info.id).id == first.info.id
    assert len(Store(db).load_units(first.info.id)) == 6


def test_successful_run_writes_every_table(files, db):
    out = do_run(files, db)
    c = counts(db)
    assert c["runs"] == 1 and c["unit_results"] == 6 and c["indicator_results"] == 12
    assert c["rule_firings"] >= 2  # c01 innovation_bonus, c04 integrity_veto
    assert c["alerts"] >= 1  # c04's note
    assert out.reused is False


# -- idempotence ----------------------------------------------------------------

def test_same_inputs_same_run(files, db):
    a = do_run(files, db)
    b = do_run(files, db)
    assert b.reused is True and a.reused is False
    assert a.info.id == b.info.id
    assert a.as_json() == b.as_json()
    assert counts(db)["runs"] == 1


def test_force_writes_a_new_run_that_supersedes_the_old_one(files, db):
    a = do_run(files, db)
    before = counts(db)
    c = do_run(files, db, force=True, reason="re-run after a server move")
    assert c.reused is False and c.info.id != a.info.id
    assert c.info.supersedes == a.info.id and c.info.reason == "re-run after a server move"
    assert counts(db) == {k: 2 * v for k, v in before.items()}  # both kept, nothing changed
    assert c.as_json()["units"] == a.as_json()["units"]
    assert Store(db).current_run(a.info.family, "2025Q1").id == c.info.id
    assert list(Store(db).load_units(a.info.id)) == list(a.units)


def test_run_id_derived_from_inputs(files, db):
    a = do_run(files, db)
    b = do_run(files, db, csv="q2.csv", period="2025Q2")
    c = do_run(files, db, csv="q1.csv", period="2025Q3")
    assert len({a.info.id, b.info.id, c.info.id}) == 3
    assert counts(db)["runs"] == 3
    again = RunInfo.new(ruleset_id="x", ruleset_name="", ruleset_sha256=a.info.ruleset_sha256,
                        facts_sha256=a.info.facts_sha256, period="2025Q1", units=6,
                        inputs_sha256=a.info.inputs_sha256, kaohe_version=a.info.kaohe_version)
    assert again.id == a.info.id


def test_stored_units_equal_evaluated_units(files, db):
    out = do_run(files, db)
    stored = Store(db).load_units(out.info.id)
    assert [u.as_json() for u in stored] == [u.as_json() for u in out.units]


def test_database_survives_reopen(files, db):
    out = do_run(files, db)
    assert Store(db).get_run(out.info.id).units == 6


# -- lookup ---------------------------------------------------------------------

def _fake_info(run_id: str, period: str = "2025Q1", ruleset_id: str = "mini-court") -> RunInfo:
    return RunInfo(id=run_id, ruleset_id=ruleset_id, ruleset_name="", ruleset_sha256=run_id,
                   facts_sha256="f", period=period, units=0)


def _stored_empty_runs(db: str, ids: list[str]) -> Store:
    s = Store(db)
    with s.engine.begin() as conn:
        for rid in ids:
            conn.execute(insert(RunRow), [store_mod._run_row(_fake_info(rid))])
    return s


def test_get_run_by_unique_prefix(files, db):
    out = do_run(files, db)
    s = Store(db)
    assert s.get_run(out.info.id).id == out.info.id
    assert s.get_run(out.info.id[:6]).id == out.info.id
    assert s.get_run(out.info.id[:1]).id == out.info.id


def test_get_run_ambiguous_prefix(db):
    s = _stored_empty_runs(db, ["abc111", "abc222", "def333"])
    with pytest.raises(RunError) as info:
        s.get_run("abc")
    text = info.value.render("en")
    assert "abc111" in text and "abc222" in text
    assert "abc" in info.value.render("zh")
    assert s.get_run("abc2").id == "abc222"


def test_get_run_unknown_prefix_lists_recent(db):
    s = _stored_empty_runs(db, ["abc111"])
    with pytest.raises(RunError) as info:
        s.get_run("zzz")
    assert info.value.exit_code == 3
    assert "zzz" in info.value.render() and "abc111" in info.value.render("en")


def test_get_run_unknown_in_empty_database(db):
    with pytest.raises(RunError):
        Store(db).get_run("0")


@pytest.mark.parametrize("pattern", ["_bc", "%", "a%1", "abc11_"])
def test_get_run_prefix_is_not_a_like_pattern(db, pattern):
    """A run id prefix is literal text: `%` and `_` must not act as SQL LIKE wildcards."""
    s = _stored_empty_runs(db, ["abc111"])
    with pytest.raises(RunError):
        s.get_run(pattern)


def test_list_runs_newest_first(files, db):
    a = do_run(files, db)
    b = do_run(files, db, csv="q2.csv", period="2025Q2")
    runs = Store(db).list_runs()
    assert [r.id for r in runs] == [b.info.id, a.info.id]
    assert [r.id for r in Store(db).list_runs("mini-court")] == [b.info.id, a.info.id]
    assert Store(db).list_runs("other") == []


# -- previous period ------------------------------------------------------------

def test_previous_values_picks_the_previous_period(files, db):
    do_run(files, db)  # 2025Q1: c03 closure 0.70
    do_run(files, db, csv="q2.csv", period="2025Q2")  # c03 closure 0.71
    s = Store(db)
    prev = s.previous_values("mini-court", "2025Q1")
    assert prev["c03"]["closure_rate"] == pytest.approx(0.70)
    assert prev["c03"]["light.closure_rate"] == "red"
    assert prev["c01"]["grade"] == "优秀"
    assert prev["c04"]["integrity_violations"] == 1
    assert s.previous_values("mini-court", "2025Q2")["c03"]["closure_rate"] == pytest.approx(0.71)
    assert s.previous_values("mini-court", "2024Q4") == {}
    assert s.previous_values("other-ruleset", "2025Q1") == {}


def test_run_uses_previous_period_from_store(files, db):
    do_run(files, db)
    q2 = do_run(files, db, csv="q2.csv", period="2025Q2")
    units = {u.unit: u for u in q2.units}
    assert units["c03"].alerts == ["督办"]
    # the same Q2 facts with no Q1 stored: no alert
    fresh = do_run(files, f"sqlite:///{files / 'fresh.db'}", csv="q2.csv", period="2025Q2")
    assert {u.unit: u for u in fresh.units}["c03"].alerts == []


def test_previous_period_with_a_gap_is_not_used(files, db):
    do_run(files, db)  # 2025Q1
    q3 = do_run(files, db, csv="q2.csv", period="2025Q3")  # Q2 missing: Q1 is not "previous"
    assert {u.unit: u for u in q3.units}["c03"].alerts == []


# -- database URL -----------------------------------------------------------------

def test_database_url_path_means_sqlite(monkeypatch, tmp_path):
    monkeypatch.delenv("KAOHE_DB", raising=False)
    assert database_url(str(tmp_path / "x.db")) == f"sqlite:///{tmp_path / 'x.db'}"
    assert database_url("runs.db") == "sqlite:///runs.db"
    assert database_url() == "sqlite:///kaohe.db"
    assert database_url("postgresql+psycopg://u:p@h/db") == "postgresql+psycopg://u:p@h/db"


def test_database_url_env(monkeypatch, tmp_path):
    monkeypatch.setenv("KAOHE_DB", "postgresql://u@h/kaohe")
    assert database_url() == "postgresql://u@h/kaohe"
    assert database_url("sqlite:///explicit.db") == "sqlite:///explicit.db"  # --db wins
    monkeypatch.setenv("KAOHE_DB", str(tmp_path / "env.db"))
    assert database_url() == f"sqlite:///{tmp_path / 'env.db'}"


def test_store_uses_env_database(files, monkeypatch, tmp_path):
    monkeypatch.setenv("KAOHE_DB", str(tmp_path / "env.db"))
    out = run(files / "court/mini.yaml", files / "q1.csv", period="2025Q1")
    assert (tmp_path / "env.db").exists()
    assert Store(f"sqlite:///{tmp_path / 'env.db'}").get_run(out.info.id).units == 6


def test_unavailable_database_is_a_run_error(tmp_path):
    with pytest.raises(RunError) as info:
        Store(f"sqlite:///{tmp_path / 'no' / 'such' / 'dir' / 'x.db'}")
    assert info.value.exit_code == 3
    with pytest.raises(RunError):
        Store("nosuchdialect://x/y")


def test_a_missing_database_driver_says_what_to_install():
    from kaohe.engine.errors import RunError
    from kaohe.engine.store import Store

    with pytest.raises(RunError) as e:
        Store("postgresql+pg8000://kaohe@localhost/kaohe")
    assert "kaohe[postgres]" in e.value.render("en") and "pg8000" in e.value.render("en")
