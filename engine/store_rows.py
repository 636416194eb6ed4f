"""Rows of a run for the database, built column by column and written in bulk.

The evaluation is columnar; so are the rows: each batch of units becomes
one list per column (NaN turned into NULL by numpy, facts JSON assembled
from per-column JSON text), zipped into tuples only as the driver consumes
them.  No dict or object is built per unit.  SQLite (and any DBAPI driver)
gets ``executemany``; PostgreSQL through psycopg gets binary ``COPY … FROM STDIN``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from itertools import chain, repeat
from typing import Any

import numpy as np
import pyarrow as pa

from kaohe.engine import interrupts
from kaohe.engine.grouped import Grouped
from kaohe.engine.jsoncolumns import float_texts, join, string_texts
from kaohe.engine.results import LIGHTS, Evaluation

BATCH = 20_000

UNIT_COLUMNS = ("run_id", "unit", "name", "category", "parent", "base_score", "points", "score", "grade",
                "rank", "band_grade", "cap_grade", "quota_note", "facts_json")
INDICATOR_COLUMNS = ("run_id", "unit", "indicator", "value", "score", "light", "weight")
FIRING_COLUMNS = ("run_id", "unit", "rule_id", "values_json")
ALERT_COLUMNS = ("run_id", "unit", "kind", "text")

Rows = Iterator[list[tuple[Any, ...]]]
"""Batches of rows, each row a tuple in the order of the table's column list."""


class FactColumns:
    """Each unit's input facts as JSON text for ``facts_json``, a batch at a time.

    Numbers come from float arrays (NaN = missing = ``null``), text from lists;
    the text of a batch is made per column (engine/jsoncolumns.py), then joined
    per unit with the keys between, which gives the same JSON as
    ``json.dumps`` of each unit's facts dict.
    """

    def __init__(self, numbers: Mapping[str, np.ndarray], strings: Mapping[str, Sequence[str | None]]):
        self.numbers = numbers
        self.strings = strings
        self.keys = [json.dumps(k, ensure_ascii=False) + ": " for k in [*numbers, *strings]]

    def texts(self, start: int, stop: int) -> list[str]:
        """``facts_json`` of units ``start`` .. ``stop - 1``."""
        if not self.keys:
            return ["{}"] * (stop - start)
        if stop <= start:
            return []
        cols = [float_texts(col[start:stop]) for col in self.numbers.values()]
        cols += [string_texts(scol[start:stop]) for scol in self.strings.values()]
        pieces: list[str | pa.Array] = []
        for i, (key, col) in enumerate(zip(self.keys, cols, strict=True)):
            pieces += ["{" + key if i == 0 else ", " + key, col]
        texts: list[str] = join([*pieces, "}"]).to_pylist()
        return texts


def _nullable(values: np.ndarray) -> list[float | None]:
    """Floats with NaN as None (drivers would store NaN, not NULL)."""
    obj = values.astype(object)
    obj[np.isnan(values)] = None
    out: list[float | None] = obj.tolist()
    return out


def _names(codes: np.ndarray, names: Sequence[str]) -> list[str | None]:
    table = np.asarray([*names, None], dtype=object)  # code -1 → None
    out: list[str | None] = table[codes].tolist()
    return out


def unit_rows(run_id: str, ev: Evaluation, facts: FactColumns | Sequence[Mapping[str, object]]) -> Rows:
    """``unit_results`` rows."""
    n = len(ev)
    for start in range(0, n, BATCH):
        stop = min(start + BATCH, n)
        sl = slice(start, stop)
        units = list(ev.units[sl])
        if isinstance(facts, FactColumns):
            facts_json = facts.texts(start, stop)
        else:
            facts_json = [json.dumps(facts[i], ensure_ascii=False) if i < len(facts) else "{}"
                          for i in range(start, stop)]
        rank = [r if r > 0 else None for r in ev.rank[sl].tolist()]
        yield list(zip(
            repeat(run_id), units, ev.names[sl], ev.categories[sl], ev.parents[sl],
            _nullable(ev.base_score[sl]), ev.points[sl].tolist(), _nullable(ev.score[sl]),
            _names(ev.grade[sl], ev.grade_names), rank, _names(ev.band_grade[sl], ev.grade_names),
            _names(ev.cap_grade[sl], ev.grade_names), [ev.quota_notes.get(u) for u in units], facts_json,
            strict=False))


def indicator_rows(run_id: str, ev: Evaluation) -> Rows:
    """``indicator_results`` rows: per batch of units, indicator after indicator (each unit's
    indicators keep the ruleset's order by row id)."""
    n = len(ev)
    lights = np.asarray(LIGHTS, dtype=object)
    for start in range(0, n, BATCH):
        sl = slice(start, min(start + BATCH, n))
        units = list(ev.units[sl])
        rows: list[tuple[Any, ...]] = []
        for k, c in ev.indicators.items():
            rows += zip(repeat(run_id), units, repeat(k), _nullable(c.value[sl]), _nullable(c.score[sl]),
                        lights[c.light[sl]].tolist(), c.weight[sl].tolist(), strict=False)
        yield rows


def firing_rows(run_id: str, ev: Evaluation) -> Rows:
    """``rule_firings`` rows (only units where a rule fired), in unit order."""
    texts = [[(f.rule_id, json.dumps(dict(f.values), ensure_ascii=False, sort_keys=True)) for f in fired]
             for fired in ev.firings.groups]  # once per group of units that share their firings
    yield from _batches(run_id, ev.firings, texts)


def alert_rows(run_id: str, ev: Evaluation) -> Rows:
    """``alerts`` rows: alerts, then notes, each in unit order."""
    for kind, source in (("alert", ev.alerts), ("note", ev.notes)):
        yield from _batches(run_id, source, [[(kind, t) for t in texts] for texts in source.groups])


def _batches(run_id: str, source: Grouped[Any], parts: Sequence[Sequence[tuple[str, str]]]) -> Rows:
    """``(run_id, unit, *part)`` for each part of each unit's group, units in id order, in batches."""
    units, codes = source.units, source.codes
    rows: list[tuple[Any, ...]] = []
    for i in sorted(source.rows().tolist(), key=units.__getitem__):  # row order is id order already: linear
        unit = units[i]
        rows += [(run_id, unit, *part) for part in parts[codes[i]]]
        if len(rows) >= BATCH:
            yield rows
            rows = []
    if rows:
        yield rows


_PLACEHOLDER = {"qmark": "?", "format": "%s", "pyformat": "%s"}


def _interruptible(batches: Rows) -> Rows:
    """The batches, with a check for a held Ctrl-C before each (the transaction then rolls back)."""
    for batch in batches:
        interrupts.checkpoint()
        yield batch


def write_rows(conn: Any, table: Any, columns: Sequence[str], batches: Rows) -> None:
    """Insert the batches into ``table`` inside the caller's transaction.

    psycopg: binary ``COPY`` (several times faster than INSERT for a million
    rows; binary: a quarter of the client's work of text COPY and less of the
    server's); SQLite: ``INSERT`` of many rows per statement (a fifth less
    work than one row per statement); other DBAPI drivers:
    ``executemany`` with the driver's own placeholders; anything else:
    SQLAlchemy's bulk insert.
    """
    name = table.__tablename__
    cols = ", ".join(columns)
    batches = _interruptible(batches)
    if conn.dialect.driver == "psycopg":
        from sqlalchemy.exc import DBAPIError

        sql = f"COPY {name} ({cols}) FROM STDIN (FORMAT BINARY)"
        raw = conn.connection.driver_connection
        try:
            with raw.cursor() as cur:
                types = _column_types(cur, name, columns)
                with cur.copy(sql) as copy:
                    copy.set_types(types)
                    for batch in batches:
                        for row in batch:
                            copy.write_row(row)
        except conn.dialect.loaded_dbapi.Error as e:  # the driver's own error, as SQLAlchemy would raise it
            raise DBAPIError.instance(sql, None, e, conn.dialect.loaded_dbapi.Error) from e
        return
    mark = _PLACEHOLDER.get(conn.dialect.paramstyle)
    if mark is None:
        from sqlalchemy import insert

        for batch in batches:
            conn.execute(insert(table), [dict(zip(columns, row, strict=True)) for row in batch])
        return
    values = f"({', '.join([mark] * len(columns))})"
    if conn.dialect.name == "sqlite":
        _insert_sqlite(conn, f"INSERT INTO {name} ({cols}) VALUES ", values, len(columns), batches)
        return
    sql = f"INSERT INTO {name} ({cols}) VALUES {values}"
    for batch in batches:
        if batch:
            conn.exec_driver_sql(sql, batch)


def _column_types(cur: Any, table: str, columns: Sequence[str]) -> list[int]:
    """The PostgreSQL type (oid) of each column, as binary COPY needs them, read from the table itself."""
    cur.execute("SELECT attname, atttypid FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0"
                " AND NOT attisdropped", (table,))
    oids = dict(cur.fetchall())
    return [int(oids[c]) for c in columns]


SQLITE_PARAMETERS = 2000
"""Parameters per SQLite statement (SQLite allows 32766): rows per statement = this / columns."""


def _insert_sqlite(conn: Any, head: str, row: str, width: int, batches: Rows) -> None:
    """Each batch as statements of ``SQLITE_PARAMETERS // width`` rows (the rest in one more)."""
    per = max(1, SQLITE_PARAMETERS // width)
    many = head + ",".join([row] * per)
    for batch in batches:
        full = len(batch) // per * per
        if full:
            flat = list(chain.from_iterable(batch[:full]))
            step = per * width
            conn.exec_driver_sql(many, [tuple(flat[s:s + step]) for s in range(0, len(flat), step)])
        if full < len(batch):
            conn.exec_driver_sql(head + ",".join([row] * (len(batch) - full)),
                                 tuple(chain.from_iterable(batch[full:])))
