"""Stored runs (SQLModel): runs, unit results, indicator results, rule firings, alerts.

A run is written in one transaction, so a failure leaves nothing behind.  The
run id is derived from (ruleset sha256, facts sha256, period): the same
inputs give the same run, and re-running is a no-op unless forced.  SQLite
by default (``kaohe.db``); any SQLAlchemy URL (PostgreSQL) via ``--db`` or
``KAOHE_DB``.  Rows are built column by column and inserted in bulk (executemany;
COPY on PostgreSQL), see ``engine.store_rows``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import math
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, insert, select
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
        "store.published_needs_reason": ("运行 {run} 已于 {at} 公示，替代它需要说明原因：--reason \"…\"",
                                         "run {run} was published on {at}; superseding it needs a reason: "
                                         "--reason \"…\""),
        "hint.reason": ("例如 --reason \"更正第三季度结案数\"；新报告会注明所更正的运行与原因",
                        "e.g. --reason \"corrected Q3 closed cases\"; the new report names the run it corrects "
                        "and why"),
        "store.publish_superseded": ("运行 {run} 已被 {current} 替代，只能公示当前有效的运行",
                                     "run {run} was superseded by {current}; only the current run can be published"),
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
    family: str = Field(default="", index=True)
    inputs_sha256: str = ""
    supersedes: str | None = Field(default=None, index=True)
    reason: str | None = None
    sources_json: str = "{}"


class PublicationRow(SQLModel, table=True):
    """A run published (公示): kept beside the run, which itself never changes."""

    __tablename__ = "publications"
    id: int | None = Field(default=None, primary_key=True)
    run_id: str = Field(index=True, foreign_key="runs.id")
    published_at: dt.datetime
    note: str = ""


class AlertNoteRow(SQLModel, table=True):
    """A note on an alert's follow-up (督办: the measures taken), kept with the alert across runs."""

    __tablename__ = "alert_notes"
    id: int | None = Field(default=None, primary_key=True)
    alert_id: str = Field(index=True)
    family: str
    unit: str
    rule_id: str
    opened: str
    text: str
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
    family: str = ""
    inputs_sha256: str = ""
    supersedes: str | None = None
    reason: str | None = None
    sources: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """Everything that decides the results: ruleset (merged), facts, period, the other
        inputs (earlier runs read, files plugins read) and the kaohe version."""
        return (f"{self.ruleset_sha256}:{self.facts_sha256}:{self.period}:{self.inputs_sha256}:"
                f"{self.kaohe_version}")

    @classmethod
    def new(cls, **kwargs: Any) -> RunInfo:
        """A header whose id is derived from the inputs (same inputs, same id)."""
        info = cls(id="", **kwargs)
        info.id = hashlib.sha256(info.key.encode()).hexdigest()[:16]
        return info

    def numbered(self, n: int) -> RunInfo:
        """The same run with the ``n``-th id for these inputs (a forced re-run gets a new id)."""
        key = self.key if n == 0 else f"{self.key}#{n}"
        return dataclasses.replace(self, id=hashlib.sha256(key.encode()).hexdigest()[:16])

    def same_inputs(self, other: RunInfo) -> bool:
        """Whether ``other`` was computed from exactly the same inputs."""
        return self.key == other.key

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
    def current_run(self, family: str, period: str) -> RunInfo | None:
        """The run of ``family`` and ``period`` that counts: the newest one nothing superseded."""
        with self.engine.connect() as conn:
            return _current(conn, family, period)

    def raised(self, run_id: str) -> tuple[dict[str, str], list[tuple[str, str]]]:
        """The units of a run (id → name) and its (unit, rule) firings, for the alerts' follow-up."""
        with self.engine.connect() as conn:
            units = {r[0]: r[1] for r in conn.execute(select(UnitRow.unit, UnitRow.name)
                                                      .where(UnitRow.run_id == run_id)).all()}
            fired = [(r[0], r[1]) for r in conn.execute(select(FiringRow.unit, FiringRow.rule_id)
                                                        .where(FiringRow.run_id == run_id)
                                                        .order_by(FiringRow.id)).all()]
        return units, fired

    def alert_notes(self, alert_ids: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """Notes on alerts (all, or those of ``alert_ids``), oldest first."""
        query = select(AlertNoteRow).order_by(AlertNoteRow.created_at, AlertNoteRow.id)
        if alert_ids is not None:
            query = query.where(AlertNoteRow.alert_id.in_(list(alert_ids)))  # type: ignore[attr-defined]
        with self.engine.connect() as conn:
            return [{"alert": r.alert_id, "text": r.text, "at": _aware(r.created_at).isoformat()}
                    for r in conn.execute(query).all()]

    def add_alert_note(self, alert_id: str, family: str, unit: str, rule_id: str, opened: str, text: str) -> None:
        """Keep a note with an alert (notes are added, never changed)."""
        self.require_writable()

        def write() -> None:
            with write_transaction(self.engine) as conn:
                conn.execute(insert(AlertNoteRow), [{"alert_id": alert_id, "family": family, "unit": unit,
                                                      "rule_id": rule_id, "opened": opened, "text": text,
                                                      "created_at": dt.datetime.now(dt.UTC)}])

        try:
            retrying(write)
        except SQLAlchemyError as e:
            raise RunError(Problem("store.failed", {"error": _short(e)})) from e

    def periods_of(self, family: str) -> list[str]:
        """Every period ``family`` has a stored run for."""
        with self.engine.connect() as conn:
            return sorted({r[0] for r in conn.execute(select(RunRow.period).where(RunRow.family == family)).all()})

    def run_record(self, run_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """For each run: its family, whether it is current, what it supersedes and why, what
        superseded it, and when it was published."""
        with self.engine.connect() as conn:
            current = set(_current_ids_of(conn))
            by: dict[str, str] = {}
            for run_id, supersedes in conn.execute(select(RunRow.id, RunRow.supersedes)
                                                   .where(RunRow.supersedes.is_not(None))).all():  # type: ignore[union-attr]
                by[supersedes] = run_id
            heads = {r.id: r for r in conn.execute(select(RunRow.id, RunRow.family, RunRow.supersedes, RunRow.reason,
                                                          RunRow.created_at).where(RunRow.id.in_(list(run_ids)))).all()}  # type: ignore[attr-defined]
            published = {r.run_id: r.published_at for r in conn.execute(
                select(PublicationRow.run_id, PublicationRow.published_at)
                .where(PublicationRow.run_id.in_(list(run_ids)))).all()}  # type: ignore[attr-defined]
        return {rid: {"family": heads[rid].family, "current": rid in current, "supersedes": heads[rid].supersedes,
                      "reason": heads[rid].reason, "superseded_by": by.get(rid),
                      "published_at": _aware(published[rid]).isoformat() if rid in published else None,
                      "created_at": _aware(heads[rid].created_at).isoformat()}
                for rid in run_ids if rid in heads}

    def published(self, run_id: str) -> tuple[dt.datetime, str] | None:
        """When run ``run_id`` was published (公示) and the note given, or None."""
        with self.engine.connect() as conn:
            return _publication(conn, run_id)

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

    def list_runs(self, ruleset: str | None = None, limit: int = 50, *, current_only: bool = False,
                  family: str | None = None, period: str | None = None) -> list[RunInfo]:
        """Stored runs, newest first (``current_only``: only the run that counts per family and period)."""
        query = select(RunRow).order_by(RunRow.created_at.desc(), RunRow.id)  # type: ignore[attr-defined]
        if ruleset:
            query = query.where(RunRow.ruleset_id == ruleset)
        if family:
            query = query.where(RunRow.family == family)
        if period:
            query = query.where(RunRow.period == period)
        with Session(self.engine) as s:
            if current_only:
                query = query.where(RunRow.id.in_(_current_ids_of(s.connection())))  # type: ignore[attr-defined]
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

    def result_rows(self, run_id: str) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[str, str]]]:
        """A run's results as plain rows, without building objects (``kaohe diff`` at 100k units).

        ``(units, indicators, firings)``: units as (unit, name, category, score, grade, rank,
        cap_grade, quota_note) sorted by unit; indicators as (unit, indicator, value, score,
        weight); firings as (unit, rule_id) in firing order.
        """
        with Session(self.engine) as s:
            units = [tuple(r) for r in s.execute(
                select(UnitRow.unit, UnitRow.name, UnitRow.category, UnitRow.score, UnitRow.grade, UnitRow.rank,
                       UnitRow.cap_grade, UnitRow.quota_note).where(UnitRow.run_id == run_id)
                .order_by(UnitRow.unit)).all()]
            indicators = [tuple(r) for r in s.execute(
                select(IndicatorRow.unit, IndicatorRow.indicator, IndicatorRow.value, IndicatorRow.score,
                       IndicatorRow.weight).where(IndicatorRow.run_id == run_id)).all()]
            firings = [(r[0], r[1]) for r in s.execute(
                select(FiringRow.unit, FiringRow.rule_id).where(FiringRow.run_id == run_id)
                .order_by(FiringRow.id)).all()]
        return units, indicators, firings

    def unit_inputs(self, run_id: str) -> list[dict[str, Any]]:
        """Every unit's input record of a run (unit, name, category, parent and its facts), by unit id.

        What ``kaohe diff RUN --ruleset NEW`` evaluates again under other rules.
        """
        query = (select(UnitRow.unit, UnitRow.name, UnitRow.category, UnitRow.parent, UnitRow.facts_json)
                 .where(UnitRow.run_id == run_id).order_by(UnitRow.unit))
        with Session(self.engine) as s:
            rows = s.execute(query).all()
        out = []
        for unit, name, category, parent, facts_json in rows:
            record: dict[str, Any] = {"unit": unit, "name": name, "category": category}
            if parent is not None:
                record["parent"] = parent
            record.update(json.loads(facts_json))
            out.append(record)
        return out

    def previous_values(self, family: str, period: str,
                        keys: Iterable[str] | None = None) -> dict[str, dict[str, float | str | None]]:
        """Per unit, what ``previous.`` reads: the current run of ``family`` for ``period``.

        ``keys`` (names without ``previous.``) limits what is read, so a run whose
        rules read one previous light does not load a million units' everything.
        """
        wanted = None if keys is None else set(keys)
        if wanted is not None and not wanted:
            return {}
        info = self.current_run(family, period)
        if info is None:
            return {}
        return self.values_of(info.id, keys)

    def values_of(self, run_id: str, keys: Iterable[str] | None = None) -> dict[str, dict[str, float | str | None]]:
        """Per unit, the values ``previous.`` can read from run ``run_id`` (``keys`` limits them)."""
        wanted = None if keys is None else set(keys)
        if wanted is not None and not wanted:
            return {}

        def want(key: str) -> bool:
            return wanted is None or key in wanted

        out: dict[str, dict[str, float | str | None]] = {}
        with Session(self.engine) as s:
            for r in s.execute(select(UnitRow).where(UnitRow.run_id == run_id)).all():
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
                for unit, iid, value, score, light in self._indicator_table(run_id):
                    values = out.setdefault(unit, {})
                    for key, v in ((iid, value), (f"score.{iid}", score), (f"light.{iid}", light)):
                        if want(key):
                            values[key] = v
        return out

    def history(self, family: str, before: str, periods: Sequence[str]) -> dict[str, dict[str, dict[str, float]]]:
        """Indicator values of earlier ``periods`` (oldest first): period -> unit -> indicator -> value,
        from the current run of ``family`` for each."""
        out: dict[str, dict[str, dict[str, float]]] = {}
        for period in periods:
            info = self.current_run(family, period)
            if info is None or period >= before:
                continue
            values: dict[str, dict[str, float]] = {}
            for unit, iid, value, _score, _light in self._indicator_table(info.id):
                if value is not None:
                    values.setdefault(unit, {})[iid] = value
            out[period] = values
        return out

    def earlier_runs(self, family: str, before: str, limit: int) -> dict[str, RunInfo]:
        """The current run of each of the ``limit`` latest stored periods of ``family`` before ``before``.

        Periods compare as text, which orders ``2025Q1 < 2025Q2 < 2026Q1``.
        """
        query = select(RunRow).where(RunRow.family == family, RunRow.period < before, RunRow.period != "")
        by_period: dict[str, list[RunRow]] = {}
        with Session(self.engine) as s:
            for row in s.execute(query):
                by_period.setdefault(row[0].period, []).append(row[0])
        latest: dict[str, RunInfo] = {}
        for period in sorted(by_period, reverse=True):
            current = _newest_unsuperseded(by_period[period])
            if current is not None:
                latest[period] = _info(current)
            if len(latest) == limit:
                break
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
                 extra: Callable[[str], Sequence[store_inputs.Extra]] | None = None) -> RunInfo:
        """Store a new run in one transaction; never change or delete a stored one.

        ``facts`` are the units' input facts (:class:`FactColumns` from the fact
        table's columns, or one mapping per unit), stored for ``explain``. ``extra(run_id)``
        gives (table, columns, batches of rows) of other tables keyed by ``run_id`` — the
        run's sources and data warnings, ``engine.store_inputs`` — written in the same
        transaction; the batches must be re-iterable (a transaction that loses a race is retried).
        The new run supersedes the current run of its family and period (both
        are kept; ``info.reason`` says why).  Exactly the same inputs as the
        current run return that run unless ``force``, which stores a new run
        with a new id.  Superseding a published run needs a reason.  Several
        processes may store at once (engine/database.py): the transaction holds
        the write lock for the family and period, and one that loses a race is
        retried, finding what the other stored.
        """
        self.require_writable()

        def write() -> RunInfo:
            with write_transaction(self.engine, lock=f"{info.family}\x1f{info.period}") as conn:
                current = _current(conn, info.family, info.period)
                if current is not None and current.same_inputs(info) and not force:
                    return current
                if current is not None:
                    _refuse_unexplained(conn, current, info)
                record = dataclasses.replace(info, supersedes=current.id if current is not None else None)
                n = 0
                while conn.execute(select(RunRow.id).where(RunRow.id == record.id)).first() is not None:
                    n += 1
                    record = record.numbered(n)
                conn.execute(insert(RunRow), [_run_row(record)])
                write_rows(conn, UnitRow, UNIT_COLUMNS, _unit_rows(record.id, evaluation, facts))
                write_rows(conn, IndicatorRow, INDICATOR_COLUMNS, _indicator_rows(record.id, evaluation))
                write_rows(conn, FiringRow, FIRING_COLUMNS, _firing_rows(record.id, evaluation))
                write_rows(conn, AlertRow, ALERT_COLUMNS, _alert_rows(record.id, evaluation))
                write_rows(conn, MetricDetailRow, DETAIL_COLUMNS, _detail_rows(record.id, evaluation))
                for table, columns, batches in (extra(record.id) if extra is not None else ()):
                    write_rows(conn, table, columns, batches)
            return record

        try:
            return retrying(write)
        except SQLAlchemyError as e:
            raise RunError(Problem("store.failed", {"error": _short(e)})) from e

    def check_supersede(self, current: RunInfo, new: RunInfo) -> None:
        """Raise the error :meth:`save_run` would: superseding a published run without a reason."""
        with self.engine.connect() as conn:
            _refuse_unexplained(conn, current, new)

    def publish(self, run: str, note: str = "") -> tuple[RunInfo, dt.datetime, bool]:
        """Mark run ``run`` (id or unique prefix) as published (公示); return it, when, and whether it is new.

        Only the current run of its family and period can be published.
        Publishing is recorded beside the run (the run itself never changes).
        """
        self.require_writable()
        info = self.get_run(run)

        def write() -> tuple[RunInfo, dt.datetime, bool]:
            with write_transaction(self.engine, lock=f"{info.family}\x1f{info.period}") as conn:
                earlier = _publication(conn, info.id)
                if earlier is not None:
                    return info, earlier[0], False
                current = _current(conn, info.family, info.period)
                if current is not None and current.id != info.id:
                    raise RunError(Problem("store.publish_superseded", {"run": info.id, "current": current.id}))
                at = dt.datetime.now(dt.UTC)
                conn.execute(insert(PublicationRow), [{"run_id": info.id, "published_at": at, "note": note}])
            return info, at, True

        try:
            return retrying(write)
        except SQLAlchemyError as e:
            raise RunError(Problem("store.failed", {"error": _short(e)})) from e


def _newest_unsuperseded(rows: Sequence[Any]) -> Any | None:
    """Of one family's runs of one period, the newest that no other supersedes."""
    superseded = {r.supersedes for r in rows if r.supersedes}
    live = [r for r in rows if r.id not in superseded]
    return max(live, key=lambda r: (_aware(r.created_at), r.id)) if live else None


def _aware(t: dt.datetime) -> dt.datetime:
    return t if t.tzinfo is not None else t.replace(tzinfo=dt.UTC)


def _current(conn: Any, family: str, period: str) -> RunInfo | None:
    rows = conn.execute(select(RunRow).where(RunRow.family == family, RunRow.period == period)).all()
    row = _newest_unsuperseded(rows)
    return _info(row) if row is not None else None


def _current_ids_of(conn: Any) -> list[str]:
    """The id of the current run of every family and period."""
    groups: dict[tuple[str, str], list[Any]] = {}
    for r in conn.execute(select(RunRow.id, RunRow.family, RunRow.period, RunRow.created_at,
                                 RunRow.supersedes)).all():
        groups.setdefault((r.family, r.period), []).append(r)
    return [row.id for rows in groups.values() if (row := _newest_unsuperseded(rows)) is not None]


def _refuse_unexplained(conn: Any, current: RunInfo, new: RunInfo) -> None:
    """Superseding a published run needs a reason (the new report shows the correction)."""
    published = _publication(conn, current.id)
    if published is not None and not (new.reason or "").strip():
        raise RunError(Problem("store.published_needs_reason",
                               {"run": current.id, "at": published[0].strftime("%Y-%m-%d")},
                               hint=Hint("hint.reason")))


def _publication(conn: Any, run_id: str) -> tuple[dt.datetime, str] | None:
    row = conn.execute(select(PublicationRow.published_at, PublicationRow.note)
                       .where(PublicationRow.run_id == run_id).order_by(PublicationRow.id)).first()
    return (_aware(row[0]), row[1]) if row is not None else None


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
        created_at=row.created_at, status=row.status, family=row.family, inputs_sha256=row.inputs_sha256,
        supersedes=row.supersedes, reason=row.reason, sources=json.loads(row.sources_json or "{}"),
    )


def _run_row(info: RunInfo) -> dict[str, Any]:
    d = asdict(info)
    d["ties_json"] = json.dumps(d.pop("ties"), ensure_ascii=False)
    d["timings_json"] = json.dumps(d.pop("timings"))
    d["sources_json"] = json.dumps(d.pop("sources"), ensure_ascii=False, sort_keys=True)
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
