"""Stored runs (SQLModel): runs, unit results, indicator results, rule firings, alerts.

A run is written in one transaction, so a failure leaves nothing behind.  The
run id is derived from (ruleset sha256, facts sha256, period): the same
inputs give the same run, and re-running is a no-op unless forced.  SQLite
by default (``kaohe.db``); any SQLAlchemy URL (PostgreSQL) via ``--db`` or
``KAOHE_DB``.  Rows are built column by column and inserted in bulk (executemany;
COPY on PostgreSQL), see ``engine.store_rows``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, delete, insert, select
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Field, Session, SQLModel

from kaohe.engine import store_inputs
from kaohe.engine.database import (
    is_readonly,
    open_engine,
    retrying,
    write_transaction,
)
from kaohe.engine.errors import Hint, Problem, RunError
from kaohe.engine.i18n import register
from kaohe.engine.migrations import upgrade
from kaohe.engine.results import Evaluation, Firing, IndicatorResult, UnitResult
from kaohe.engine.store_rows import (
    ALERT_COLUMNS,
    FIRING_COLUMNS,
    INDICATOR_COLUMNS,
    UNIT_COLUMNS,
    FactColumns,
    write_rows,
)
from kaohe.engine.store_rows import alert_rows as _alert_rows
from kaohe.engine.store_rows import firing_rows as _firing_rows
from kaohe.engine.store_rows import indicator_rows as _indicator_rows
from kaohe.engine.store_rows import unit_rows as _unit_rows

if TYPE_CHECKING:
    from kaohe.engine.details import MetricRecord

DEFAULT_DB = "sqlite:///kaohe.db"

register(
    {
        "store.unavailable": ("无法打开数据库 {url}：{error}", "cannot open the database {url}: {error}"),
        "store.failed": ("写入数据库失败，未保存任何内容：{error}", "writing to the database failed; nothing was stored: {error}"),
        "store.readonly": ("数据库 {url} 只读（只读文件系统或文件），不能保存运行；可以用 kaohe runs / report 读取",
                           "the database {url} is read-only (a read-only file system or file); runs cannot be "
                           "stored, but kaohe runs / report can read it"),
        "store.no_run": ("没有编号为 `{run}` 的运行记录", "no stored run `{run}`"),
        "store.ambiguous": ("`{run}` 可对应多个运行记录：{matches}", "`{run}` matches several runs: {matches}"),
        "hint.install_postgres": ("安装 PostgreSQL 驱动：pip install 'kaohe[postgres]'，并使用 postgresql+psycopg:// 地址",
                                  "install the PostgreSQL driver with pip install 'kaohe[postgres]' and use a "
                                  "postgresql+psycopg:// URL"),
        "hint.recent_runs": ("最近的运行：{runs}（用 kaohe runs 查看全部）", "recent runs: {runs} (see kaohe runs)"),
    }
)


class RunRow(SQLModel, table=True):
    """One evaluation: ruleset × period × facts."""

    __tablename__ = "runs"
    id: str = Field(primary_key=True)
    ruleset_id: str = Field(index=True)
    ruleset_name: str = ""
    ruleset_sha256: str = Field(index=True)
    facts_sha256: str
    period: str = Field(index=True)
    units: int
    status: str = "done"
    ruleset_path: str = ""
    facts_path: str = ""
    ruleset_json: str = ""
    ties_json: str = "[]"
    timings_json: str = "{}"
    kaohe_version: str = ""
    created_at: dt.datetime


class UnitRow(SQLModel, table=True):
    """One unit's result in one run."""

    __tablename__ = "unit_results"
    id: int | None = Field(default=None, primary_key=True)
    run_id: str = Field(index=True, foreign_key="runs.id")
    unit: str
    name: str
    category: str
    parent: str | None = None
    base_score: float | None = None
    points: float = 0.0
    score: float | None = None
    grade: str | None = None
    rank: int | None = None
    band_grade: str | None = None
    cap_grade: str | None = None
    quota_note: str | None = None
    facts_json: str = "{}"


class IndicatorRow(SQLModel, table=True):
    """One indicator of one unit in one run."""

    __tablename__ = "indicator_results"
    id: int | None = Field(default=None, primary_key=True)
    run_id: str = Field(index=True, foreign_key="runs.id")
    unit: str
    indicator: str
    value: float | None = None
    score: float | None = None
    light: str = "none"
    weight: float = 0.0


class FiringRow(SQLModel, table=True):
    """A rule that fired for a unit, with the values its condition read."""

    __tablename__ = "rule_firings"
    id: int | None = Field(default=None, primary_key=True)
    run_id: str = Field(index=True, foreign_key="runs.id")
    unit: str
    rule_id: str
    values_json: str = "{}"


class AlertRow(SQLModel, table=True):
    """An alert (a named warning level) or a note from a rule."""

    __tablename__ = "alerts"
    id: int | None = Field(default=None, primary_key=True)
    run_id: str = Field(index=True, foreign_key="runs.id")
    unit: str
    kind: str  # "alert" | "note"
    text: str


class MetricDetailRow(SQLModel, table=True):
    """What a plugin metric recorded for one indicator of a run (``engine.details``).

    ``unit`` is empty for the record's head (metric, parameters, inputs,
    population-wide figures, warnings), else the unit the figures are about.
    """

    __tablename__ = "metric_details"
    id: int | None = Field(default=None, primary_key=True)
    run_id: str = Field(index=True, foreign_key="runs.id")
    indicator: str
    unit: str = ""
    data_json: str = "{}"


@dataclass
class RunInfo:
    """A stored run's header."""

    id: str
    ruleset_id: str
    ruleset_name: str
    ruleset_sha256: str
    facts_sha256: str
    period: str
    units: int
    ruleset_path: str = ""
    facts_path: str = ""
    ruleset_json: str = ""
    ties: list[dict[str, Any]] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    kaohe_version: str = ""
    created_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    status: str = "done"

    @classmethod
    def new(cls, **kwargs: Any) -> RunInfo:
        """A header whose id is derived from the inputs (same inputs, same id)."""
        key = f"{kwargs['ruleset_sha256']}:{kwargs['facts_sha256']}:{kwargs['period']}"
        return cls(id=hashlib.sha256(key.encode()).hexdigest()[:16], **kwargs)

    def as_json(self) -> dict[str, object]:
        """The ``run`` object of the ``--json`` contract."""
        return {"id": self.id, "ruleset": self.ruleset_id, "ruleset_sha256": self.ruleset_sha256,
                "facts_sha256": self.facts_sha256, "period": self.period, "units": self.units}


def database_url(db: str | None = None) -> str:
    """The database to use: ``--db``, else ``KAOHE_DB``, else ``kaohe.db`` here; a path means SQLite."""
    url = db or os.environ.get("KAOHE_DB") or DEFAULT_DB
    return url if "://" in url else f"sqlite:///{url}"


def _opt(x: float | None) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


class Store:
    """The run database."""

    def __init__(self, db: str | None = None):
        self.url = database_url(db)
        try:
            self.engine: Engine = open_engine(self.url)
            self.readonly = is_readonly(self.engine)
            upgrade(self.engine, readonly=self.readonly)
        except (SQLAlchemyError, ImportError, ValueError) as e:
            hint = None
            if isinstance(e, ImportError) and self.url.startswith("postgres"):
                hint = Hint("hint.install_postgres")
            raise RunError(Problem("store.unavailable", {"url": self.url, "error": _short(e)}, hint=hint)) from e

    # -- reading ---------------------------------------------------------
    def find_run(self, ruleset_sha256: str, facts_sha256: str, period: str) -> RunInfo | None:
        """The stored run for these inputs, if any."""
        with Session(self.engine) as s:
            row = s.execute(select(RunRow).where(
                RunRow.ruleset_sha256 == ruleset_sha256, RunRow.facts_sha256 == facts_sha256,
                RunRow.period == period)).first()
            return _info(row[0]) if row else None

    def get_run(self, run: str) -> RunInfo:
        """The run whose id is ``run`` or starts with it (unique prefix)."""
        with Session(self.engine) as s:
            rows = [r[0] for r in s.execute(select(RunRow).where(
                RunRow.id.startswith(run, autoescape=True)).limit(5)).all()]  # type: ignore[attr-defined]
        if len(rows) == 1:
            return _info(rows[0])
        if len(rows) > 1:
            raise RunError(Problem("store.ambiguous", {"run": run, "matches": ", ".join(r.id for r in rows)}))
        recent = ", ".join(i.id for i in self.list_runs(limit=5))
        raise RunError(Problem("store.no_run", {"run": run},
                               hint=Hint("hint.recent_runs", {"runs": recent}) if recent else None))

    def list_runs(self, ruleset: str | None = None, limit: int = 50) -> list[RunInfo]:
        """Stored runs, newest first."""
        query = select(RunRow).order_by(RunRow.created_at.desc(), RunRow.id)  # type: ignore[attr-defined]
        if ruleset:
            query = query.where(RunRow.ruleset_id == ruleset)
        with Session(self.engine) as s:
            return [_info(r[0]) for r in s.execute(query.limit(limit)).all()]

    def load_units(self, run_id: str) -> list[UnitResult]:
        """Every unit's result of a run, sorted by unit id.

        Reads plain column tuples (no ORM object per row): a re-used run of a
        million units loads in seconds.
        """
        with Session(self.engine) as s:
            units = s.execute(select(
                UnitRow.unit, UnitRow.name, UnitRow.category, UnitRow.parent, UnitRow.base_score,
                UnitRow.points, UnitRow.score, UnitRow.grade, UnitRow.rank, UnitRow.band_grade,
                UnitRow.cap_grade, UnitRow.quota_note).where(UnitRow.run_id == run_id).order_by(UnitRow.unit)).all()
            indicators: dict[str, dict[str, IndicatorResult]] = {}
            for unit, iid, value, score, light, weight in s.execute(select(
                    IndicatorRow.unit, IndicatorRow.indicator, IndicatorRow.value, IndicatorRow.score,
                    IndicatorRow.light, IndicatorRow.weight).where(
                    IndicatorRow.run_id == run_id).order_by(IndicatorRow.id)):
                indicators.setdefault(unit, {})[iid] = IndicatorResult(value, score, light, weight)
            firings: dict[str, list[Firing]] = {}
            for unit, rule_id, values_json in s.execute(select(
                    FiringRow.unit, FiringRow.rule_id, FiringRow.values_json).where(
                    FiringRow.run_id == run_id).order_by(FiringRow.id)):
                firings.setdefault(unit, []).append(Firing(rule_id, json.loads(values_json)))
            alerts: dict[tuple[str, str], list[str]] = {}
            for unit, kind, text in s.execute(select(AlertRow.unit, AlertRow.kind, AlertRow.text).where(
                    AlertRow.run_id == run_id).order_by(AlertRow.id)):
                alerts.setdefault((unit, kind), []).append(text)
        return [
            UnitResult(
                unit=u, name=name, category=category, parent=parent, base_score=base_score,
                points=points, score=score, grade=grade, rank=rank,
                indicators=indicators.get(u, {}), fired=firings.get(u, []),
                alerts=alerts.get((u, "alert"), []), notes=alerts.get((u, "note"), []),
                band_grade=band_grade, cap_grade=cap_grade, quota_note=quota_note,
            )
            for (u, name, category, parent, base_score, points, score, grade, rank, band_grade, cap_grade,
                 quota_note) in units
        ]

    def load_facts(self, run_id: str, unit: str) -> dict[str, Any]:
        """The input facts of one unit in a run."""
        with Session(self.engine) as s:
            row = s.execute(select(UnitRow.facts_json).where(
                UnitRow.run_id == run_id, UnitRow.unit == unit)).first()
        return json.loads(row[0]) if row else {}

    def load_details(self, run_id: str, unit: str | None = None) -> dict[str, MetricRecord]:
        """What each plugin metric of a run recorded, by indicator.

        With ``unit`` only that unit's figures are read (``""``: none, only the heads).
        """
        from kaohe.engine.details import MetricRecord

        query = select(MetricDetailRow).where(MetricDetailRow.run_id == run_id)
        if unit is not None:
            query = query.where(MetricDetailRow.unit.in_(["", unit]))  # type: ignore[attr-defined]
        heads: dict[str, dict[str, Any]] = {}
        units: dict[str, dict[str, Any]] = {}
        with Session(self.engine) as s:
            for r in s.execute(query.order_by(MetricDetailRow.id)).all():
                row = r[0]
                if row.unit:
                    units.setdefault(row.indicator, {})[row.unit] = json.loads(row.data_json)
                else:
                    heads[row.indicator] = json.loads(row.data_json)
        return {ind: MetricRecord.from_head(ind, head, units.get(ind, {})) for ind, head in heads.items()}

    def _latest_run(self, ruleset_id: str, period: str) -> RunInfo | None:
        """The newest stored run of ``ruleset_id`` for ``period``."""
        query = (select(RunRow).where(RunRow.ruleset_id == ruleset_id, RunRow.period == period)
                 .order_by(RunRow.created_at.desc(), RunRow.id).limit(1))
        with Session(self.engine) as s:
            row = s.execute(query).first()
        return _info(row[0]) if row else None

    def previous_values(self, ruleset_id: str, period: str,
                        keys: Iterable[str] | None = None) -> dict[str, dict[str, float | str | None]]:
        """Per unit, what rules read after ``previous.``: the latest stored run of ``period``.

        ``keys`` (names without ``previous.``) limits what is read, so a run whose
        rules read one previous light does not load a million units' everything.
        """
        wanted = None if keys is None else set(keys)
        if wanted is not None and not wanted:
            return {}
        info = self._latest_run(ruleset_id, period)
        if info is None:
            return {}

        def want(key: str) -> bool:
            return wanted is None or key in wanted

        out: dict[str, dict[str, float | str | None]] = {}
        with Session(self.engine) as s:
            for r in s.execute(select(UnitRow).where(UnitRow.run_id == info.id)).all():
                u = r[0]
                values = {k: v for k, v in (
                    ("score", u.score), ("base_score", u.base_score), ("points", u.points),
                    ("rank", None if u.rank is None else float(u.rank)), ("grade", u.grade),
                    ("category", u.category)) if want(k)}
                if wanted is None or any("." not in k and k not in values for k in wanted):
                    for k, v in json.loads(u.facts_json).items():
                        if want(k):
                            values.setdefault(k, v)
                out[u.unit] = values
            if wanted is None or any(k not in {"score", "base_score", "points", "rank", "grade", "category"}
                                     for k in wanted):
                for unit, iid, value, score, light in self._indicator_table(info.id):
                    values = out.setdefault(unit, {})
                    for key, v in ((iid, value), (f"score.{iid}", score), (f"light.{iid}", light)):
                        if want(key):
                            values[key] = v
        return out

    def history(self, ruleset_id: str, before: str, periods: Sequence[str]) -> dict[str, dict[str, dict[str, float]]]:
        """Indicator values of earlier ``periods`` (oldest first): period -> unit -> indicator -> value."""
        out: dict[str, dict[str, dict[str, float]]] = {}
        for period in periods:
            info = self._latest_run(ruleset_id, period)
            if info is None or period >= before:
                continue
            values: dict[str, dict[str, float]] = {}
            for unit, iid, value, _score, _light in self._indicator_table(info.id):
                if value is not None:
                    values.setdefault(unit, {})[iid] = value
            out[period] = values
        return out

    def earlier_runs(self, ruleset_id: str, before: str, limit: int) -> dict[str, RunInfo]:
        """The newest run of each of the ``limit`` latest stored periods before ``before``.

        Periods compare as text, which orders ``2025Q1 < 2025Q2 < 2026Q1``.
        """
        query = (select(RunRow).where(RunRow.ruleset_id == ruleset_id, RunRow.period < before,
                                      RunRow.period != "")
                 .order_by(RunRow.period.desc(), RunRow.created_at.desc(), RunRow.id))
        latest: dict[str, RunInfo] = {}
        with Session(self.engine) as s:
            for row in s.execute(query):
                run = row[0]
                if run.period not in latest:
                    if len(latest) == limit:
                        break
                    latest[run.period] = _info(run)
        return dict(sorted(latest.items()))

    def _indicator_table(self, run_id: str) -> list[tuple[str, str, float | None, float | None, str]]:
        """(unit, indicator, value, score, light) rows of a run, without building unit objects."""
        with Session(self.engine) as s:
            return [tuple(r) for r in s.execute(  # type: ignore[misc]
                select(IndicatorRow.unit, IndicatorRow.indicator, IndicatorRow.value, IndicatorRow.score,
                       IndicatorRow.light).where(IndicatorRow.run_id == run_id)).all()]

    # -- writing ---------------------------------------------------------
    def require_writable(self) -> None:
        """Raise a clear :class:`RunError` when runs cannot be stored here (a read-only database)."""
        if self.readonly:
            raise RunError(Problem("store.readonly", {"url": self.url}))

    def save_run(self, info: RunInfo, evaluation: Evaluation,
                 facts: FactColumns | Sequence[Mapping[str, object]], *, force: bool = False,
                 extra: Sequence[tuple[Any, Sequence[str], Iterable[Sequence[Sequence[Any]]]]] = ()) -> RunInfo:
        """Write the run in one transaction (replacing an earlier one with the same id if ``force``).

        ``facts`` are the units' input facts (:class:`FactColumns` from the fact
        table's columns, or one mapping per unit), stored for ``explain``. ``extra`` holds
        (table, columns, batches of rows) of other tables keyed by ``run_id`` — the run's
        sources and data warnings, ``engine.store_inputs`` — written in the same transaction;
        the batches must be re-iterable, since a transaction that loses a race is retried.
        Several processes may store at once (engine/database.py): the transaction
        holds the write lock for this run id, and one that loses a race is retried;
        an identical run stored meanwhile by another process is returned as is.
        """
        self.require_writable()

        def write() -> RunInfo:
            with write_transaction(self.engine, lock=info.id) as conn:
                existing = conn.execute(select(RunRow).where(RunRow.id == info.id)).first()
                if existing is not None:
                    if not force:
                        return _info(RunRow(**existing._mapping))
                    for table in (*store_inputs.TABLES, MetricDetailRow, AlertRow, FiringRow, IndicatorRow, UnitRow):
                        conn.execute(delete(table).where(table.run_id == info.id))  # type: ignore[attr-defined]
                    conn.execute(delete(RunRow).where(RunRow.id == info.id))  # type: ignore[arg-type]
                conn.execute(insert(RunRow), [_run_row(info)])
                write_rows(conn, UnitRow, UNIT_COLUMNS, _unit_rows(info.id, evaluation, facts))
                write_rows(conn, IndicatorRow, INDICATOR_COLUMNS, _indicator_rows(info.id, evaluation))
                write_rows(conn, FiringRow, FIRING_COLUMNS, _firing_rows(info.id, evaluation))
                write_rows(conn, AlertRow, ALERT_COLUMNS, _alert_rows(info.id, evaluation))
                write_rows(conn, MetricDetailRow, DETAIL_COLUMNS, _detail_rows(info.id, evaluation))
                for table, columns, batches in extra:
                    write_rows(conn, table, columns, batches)
            return info

        try:
            return retrying(write)
        except SQLAlchemyError as e:
            raise RunError(Problem("store.failed", {"error": _short(e)})) from e


def _short(e: BaseException) -> str:
    text = str(e).splitlines()[0] if str(e) else type(e).__name__
    return text[:300]


def _info(row: RunRow) -> RunInfo:
    return RunInfo(
        id=row.id, ruleset_id=row.ruleset_id, ruleset_name=row.ruleset_name,
        ruleset_sha256=row.ruleset_sha256, facts_sha256=row.facts_sha256, period=row.period,
        units=row.units, ruleset_path=row.ruleset_path, facts_path=row.facts_path,
        ruleset_json=row.ruleset_json, ties=json.loads(row.ties_json),
        timings=json.loads(row.timings_json), kaohe_version=row.kaohe_version,
        created_at=row.created_at, status=row.status,
    )


def _run_row(info: RunInfo) -> dict[str, Any]:
    d = asdict(info)
    d["ties_json"] = json.dumps(d.pop("ties"), ensure_ascii=False)
    d["timings_json"] = json.dumps(d.pop("timings"))
    return d


DETAIL_COLUMNS = ("run_id", "indicator", "unit", "data_json")


def _detail_rows(run_id: str, ev: Evaluation) -> Iterator[list[tuple[Any, ...]]]:
    """``metric_details`` rows: each metric's head (unit ""), then its units."""
    rows: list[tuple[Any, ...]] = []
    for indicator, rec in ev.metric_details.items():
        rows.append((run_id, indicator, "", json.dumps(rec.head(), ensure_ascii=False, sort_keys=True)))
        rows += [(run_id, indicator, unit, json.dumps(rec.units[unit], ensure_ascii=False, sort_keys=True))
                 for unit in sorted(rec.units)]
    yield rows
