"""What went into a stored run besides the numbers: its sources, each unit's rows, data warnings.

Three tables beside those of ``engine.store``, written in the same transaction
as the run (``Store.save_run(..., extra=input_rows(...))``):

* ``run_sources`` — one row per file, sheet or query (the database URL masked);
* ``unit_sources`` — per unit, the row it was read from in each source (0 = absent);
* ``run_warnings`` — the facts' warnings (checks, suspicious values, skipped
  title rows, ignored columns) as message code + parameters, so they render in
  either language later.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from typing import Any, TypeVar

import numpy as np
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Field, Session, SQLModel, col

from kaohe.engine.errors import Location, Problem
from kaohe.engine.facts import quality  # noqa: F401  (registers the messages stored warnings render with)
from kaohe.engine.facts.provenance import Origin
from kaohe.engine.facts.table import FactTable
from kaohe.engine.i18n import Lang
from kaohe.engine.jsoncolumns import int_texts, join


class RunSourceRow(SQLModel, table=True):
    """One source of a run's facts: a file (and sheet) or a query."""

    __tablename__ = "run_sources"
    id: int | None = Field(default=None, primary_key=True)
    run_id: str = Field(index=True, foreign_key="runs.id")
    position: int
    path: str
    sheet: str | None = None
    db: str | None = None
    facts_json: str = "[]"
    sha256: str = ""


class UnitSourceRow(SQLModel, table=True):
    """The row each source gave one unit (a JSON list aligned with ``run_sources.position``; 0 = absent)."""

    __tablename__ = "unit_sources"
    id: int | None = Field(default=None, primary_key=True)
    run_id: str = Field(index=True, foreign_key="runs.id")
    unit: str = Field(index=True)
    rows_json: str = "[]"


class RunWarningRow(SQLModel, table=True):
    """A warning about the run's facts (message code and parameters, rendered when read)."""

    __tablename__ = "run_warnings"
    id: int | None = Field(default=None, primary_key=True)
    run_id: str = Field(index=True, foreign_key="runs.id")
    position: int
    unit: str | None = None
    code: str
    params_json: str = "{}"
    file: str | None = None
    line: int | None = None
    col: int | None = None  # "column" is a reserved word in PostgreSQL
    path: str | None = None


T = TypeVar("T")


@dataclass
class UnitInputs:
    """Where one unit's facts came from in a stored run, and the data warnings about it."""

    sources: list[tuple[Origin, int]] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def as_json(self, lang: Lang = "zh") -> dict[str, Any]:
        """``explain --json``'s ``sources`` and ``data_warnings``."""
        return {"sources": [{**o.as_json(), "name": o.name, "row": row, "text": o.describe(row, lang)}
                            for o, row in self.sources],
                "data_warnings": [p.as_dict(lang) for p in self.warnings]}


def report_sources(engine: Any, run_id: str, lang: Lang = "zh") -> dict[str, list[str]]:
    """For a report's unit cards: each unit's sources as text (「信访局.xlsx 第 5 行」), by unit id."""
    return _absent_tables_mean_nothing(lambda: _report_sources(engine, run_id, lang), {})


def _report_sources(engine: Any, run_id: str, lang: Lang) -> dict[str, list[str]]:
    origins = _sources(engine, run_id)
    with Session(engine) as s:
        rows = s.execute(select(col(UnitSourceRow.unit), col(UnitSourceRow.rows_json)).where(
            col(UnitSourceRow.run_id) == run_id)).all()
    return {unit: [o.describe(r, lang) for o, r in zip(origins, json.loads(rows_json), strict=False) if r > 0]
            for unit, rows_json in rows}


def previous_facts(store: Any, run_id: str | None, units: Sequence[str],
                   facts: Sequence[str]) -> dict[str, np.ndarray]:
    """Each of ``facts`` in the stored run ``run_id``, aligned with ``units`` (NaN: no value).

    One query for two columns (unit, facts), so comparing 100k units with their
    previous period costs one pass over that run's rows.
    """
    from kaohe.engine.store import UnitRow

    out = {f: np.full(len(units), np.nan) for f in facts}
    if not facts or not units or run_id is None:
        return out
    with Session(store.engine) as s:
        rows = s.execute(select(col(UnitRow.unit), col(UnitRow.facts_json)).where(
            col(UnitRow.run_id) == run_id)).all()
    index = {u: i for i, u in enumerate(units)}
    for unit, facts_json in rows:
        i = index.get(unit)
        if i is None:
            continue
        values = json.loads(facts_json or "{}")
        for f in facts:
            v = values.get(f)
            if isinstance(v, int | float) and not isinstance(v, bool):
                out[f][i] = v
    return out


def unit_inputs(engine: Any, run_id: str, unit: str) -> UnitInputs:
    """The sources holding ``unit`` (with its row in each) and the stored warnings about it."""
    origins = load_sources(engine, run_id)
    rows = load_unit_rows(engine, run_id, unit)
    held = [(o, r) for o, r in zip(origins, rows, strict=False) if r > 0]
    return UnitInputs(held, load_warnings(engine, run_id, unit))

TABLES: tuple[type[SQLModel], ...] = (RunSourceRow, UnitSourceRow, RunWarningRow)


SOURCE_COLUMNS = ("run_id", "position", "path", "sheet", "db", "facts_json", "sha256")
UNIT_SOURCE_COLUMNS = ("run_id", "unit", "rows_json")
WARNING_COLUMNS = ("run_id", "position", "unit", "code", "params_json", "file", "line", "col", "path")
BATCH = 20_000

Extra = tuple[type[SQLModel], Sequence[str], Iterable[Sequence[Sequence[Any]]]]


def input_rows(run_id: str, facts: FactTable, warnings: Sequence[Problem]) -> list[Extra]:
    """The rows of the three tables for one run, as ``Store.save_run(extra=…)`` takes them."""
    sources = [(run_id, k, o.path, o.sheet, o.db, json.dumps(list(o.facts), ensure_ascii=False), o.sha256)
               for k, o in enumerate(facts.origins)]
    notes = [_warning_row(run_id, k, p) for k, p in enumerate(warnings)]
    return [(RunSourceRow, SOURCE_COLUMNS, [sources]), (UnitSourceRow, UNIT_SOURCE_COLUMNS, _UnitRows(run_id, facts)),
            (RunWarningRow, WARNING_COLUMNS, [notes])]


class _UnitRows:
    """Each unit's source rows in batches, made while they are written (re-iterable: a write may be retried)."""

    def __init__(self, run_id: str, facts: FactTable):
        self.run_id = run_id
        self.units = facts.units
        self.columns = facts.origin_lines

    def __iter__(self) -> Iterator[list[tuple[str, str, str]]]:
        if not self.columns:
            return
        for start in range(0, len(self.units), BATCH):
            stop = min(start + BATCH, len(self.units))
            pieces: list[Any] = ["["]
            for k, c in enumerate(self.columns):  # json.dumps of the list, a column at a time
                pieces += [", " if k else "", int_texts(c[start:stop])]
            yield list(zip(repeat(self.run_id), self.units[start:stop], join([*pieces, "]"]).to_pylist(),
                           strict=False))


def _warning_row(run_id: str, position: int, p: Problem) -> tuple[Any, ...]:
    loc = p.location or Location()
    unit = p.params.get("unit")
    return (run_id, position, None if unit is None else str(unit), p.code,
            json.dumps(p.params, ensure_ascii=False, default=str), loc.file, loc.line, loc.column, loc.path)


def _absent_tables_mean_nothing(read: Callable[[], T], empty: T) -> T:
    """A read-only database made before these tables existed has none of them: nothing was kept."""
    try:
        return read()
    except SQLAlchemyError:
        return empty


def load_sources(engine: Any, run_id: str) -> list[Origin]:
    """The sources of a stored run, in their stored order (empty for runs stored before sources were kept)."""
    return _absent_tables_mean_nothing(lambda: _sources(engine, run_id), [])


def _sources(engine: Any, run_id: str) -> list[Origin]:
    with Session(engine) as s:
        rows = [r[0] for r in s.execute(select(RunSourceRow).where(col(RunSourceRow.run_id) == run_id)
                                        .order_by(col(RunSourceRow.position))).all()]
    return [Origin(r.path, r.sheet, r.db, tuple(json.loads(r.facts_json)), r.sha256) for r in rows]


def load_unit_rows(engine: Any, run_id: str, unit: str) -> list[int]:
    """The row of ``unit`` in each source of the run (0 = not in that source)."""
    return _absent_tables_mean_nothing(lambda: _unit_rows(engine, run_id, unit), [])


def _unit_rows(engine: Any, run_id: str, unit: str) -> list[int]:
    with Session(engine) as s:
        row = s.execute(select(col(UnitSourceRow.rows_json)).where(
            col(UnitSourceRow.run_id) == run_id, col(UnitSourceRow.unit) == unit)).first()
    return [int(x) for x in json.loads(row[0])] if row else []


def load_warnings(engine: Any, run_id: str, unit: str | None = None) -> list[Problem]:
    """The stored data warnings of a run (only those about ``unit`` when given)."""
    return _absent_tables_mean_nothing(lambda: _warnings(engine, run_id, unit), [])


def _warnings(engine: Any, run_id: str, unit: str | None) -> list[Problem]:
    query = select(RunWarningRow).where(col(RunWarningRow.run_id) == run_id)
    if unit is not None:
        query = query.where(col(RunWarningRow.unit) == unit)
    with Session(engine) as s:
        rows = [r[0] for r in s.execute(query.order_by(col(RunWarningRow.position))).all()]
    return [Problem(r.code, json.loads(r.params_json), Location(r.file, r.line, r.col, r.path),
                    severity="warning") for r in rows]
