"""Facts read column by column with pyarrow (CSV and Parquet), when the file is clean.

A million rows read through Python's csv module exist as fifteen million
Python strings; here they stay Arrow columns until the validated FactTable
(float arrays, and lists for ids, names and text facts).  This path only
*accepts*: when anything would be reported or needs the cell-by-cell rules
(a bad or out-of-range value, a missing required value, a duplicate or empty
unit, an unknown category, several periods, a ragged row, GBK, ``12%``,
full-width digits …), it returns ``None`` and the caller validates the file
row by row as before, so every error message (file, row, column, value,
expected) is exactly the row path's.  For a clean file both paths give the
same table and the same facts hash (tests/test_facts_arrow.py).
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from kaohe.engine.facts.readers import RawTable
from kaohe.engine.facts.table import (
    FactTable,
    _category_lookup,
    _coerce_default,
    _Context,
    _map_columns,
    _normal,
    _parse_value,
    finish_table,
)
from kaohe.engine.period import Period, parse_period
from kaohe.engine.ruleset.model import CategoryModel, FactModel
from kaohe.engine.visible import invisible

FIELD_LIMIT = csv.field_size_limit()  # 131,072 characters, as Python's csv module reads

# what str.strip() removes (every character for which str.isspace() is true), so trimming
# agrees with the row path; tests/test_facts_arrow.py checks the list against Python's
_WHITESPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
               "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")


class _Unclean(Exception):
    """Something the row path must handle (usually: report)."""


def read_csv_columns(path: Path) -> tuple[list[str], Any] | None:
    """Headers and an Arrow table of text columns, or None when the CSV is not plain UTF-8 CSV."""
    import pyarrow as pa
    from pyarrow import csv as pa_csv

    data = path.read_bytes()
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    head = data[:65536]
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as e:
        if e.start < len(head) - 4:  # not merely a character cut at the end of the sample
            return None
        text = head[:e.start].decode("utf-8")
    lines = text.splitlines(keepends=True)
    skip = 0
    headers: list[str] | None = None
    for line in lines[:-1] if len(lines) > 1 else []:
        skip += 1
        cells = next(csv.reader([line]), [])
        if any(c.strip() for c in cells):
            if line.count('"') % 2:
                return None  # a header cell spanning lines: leave it to the csv module
            headers = [c.strip() for c in cells]
            break
    if headers is None:
        return None
    names = [f"c{i}" for i in range(len(headers))]
    try:
        table = pa_csv.read_csv(
            pa.py_buffer(data),
            read_options=pa_csv.ReadOptions(column_names=names, skip_rows=skip, block_size=1 << 24),
            parse_options=pa_csv.ParseOptions(newlines_in_values=True),
            convert_options=pa_csv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()),
                                                  strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None  # ragged rows, invalid UTF-8 …: the row path says which row
    return headers, table


def csv_record_lines(path: Path) -> np.ndarray:
    """The line number of each record of a CSV file (its non-empty lines after the header line).

    Right for any file without line breaks inside quoted cells; the caller checks the count.
    """
    data = np.frombuffer(path.read_bytes(), dtype=np.uint8)
    breaks = np.flatnonzero(data == 10)
    starts = np.concatenate(([0], breaks + 1))
    ends = np.concatenate((breaks, [len(data)]))
    length = ends - starts
    cr = (length > 0) & (data[np.maximum(ends - 1, 0)] == 13) if len(data) else np.zeros(len(starts), bool)
    numbers = np.flatnonzero((length - cr) > 0) + 1
    return numbers[1:]  # the first non-empty line is the header


def release_memory() -> None:
    """Give back to the system what Arrow's allocator keeps for re-use (at 1M units, a
    quarter of a gigabyte once the file's Arrow table is gone)."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()


def read_parquet_columns(path: Path) -> tuple[list[str], Any]:
    """Headers and the Arrow table of a Parquet file."""
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    return [str(n).strip() for n in table.column_names], table


def columnar_table(
    source: str,
    headers: list[str],
    table: Any,
    facts: Mapping[str, FactModel],
    categories: Mapping[str, CategoryModel],
    *,
    period_kind: str,
    period: str | None,
    require_period: bool = True,
    lines: np.ndarray | None = None,
    partial: bool = False,
) -> FactTable | None:
    """The validated FactTable, or None when the row path must take over (see module doc).

    ``lines`` gives the file's line (or row) number of each record, for provenance;
    ``partial``: one of several sources joined by unit (``build_table``'s ``partial``).
    """
    ctx = _Context(RawTable(source, headers, []), facts, categories, partial=partial)
    columns = _map_columns(ctx)
    if ctx.problems:
        return None
    if lines is not None and len(lines) != table.num_rows:
        return None  # line breaks inside quoted cells: the row path counts lines exactly
    try:
        return _build(ctx, columns, table, period_kind, period, require_period, lines)
    except _Unclean:
        return None


def _text(col: Any) -> Any:
    """A column as trimmed text (Arrow); integers become their decimal text; other types are unclean."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_dictionary(col.type):
        col = col.cast(col.type.value_type)
    if pa.types.is_integer(col.type):
        col = pc.cast(col, pa.string())
    elif not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
        raise _Unclean
    return pc.utf8_trim(pc.fill_null(col, ""), characters=_WHITESPACE)


def _build(ctx: _Context, columns: Mapping[str, int], table: Any, kind: str, wanted: str | None,
           require: bool, lines: np.ndarray | None = None) -> FactTable:
    import pyarrow as pa
    import pyarrow.compute as pc

    def col(name: str) -> Any:  # in the file's row order; each column is put in unit order on its own
        return table.column(columns[name]).combine_chunks()

    blank = _blank_rows(table, columns["unit"])
    if blank is not None:
        keep = pc.invert(blank)
        table = table.filter(keep)  # the row path skips blank rows too
        if lines is not None:
            lines = lines[keep.to_numpy(zero_copy_only=False)]
    for i in range(table.num_columns):  # the row path reports a cell over the CSV field limit or a NUL byte
        c = table.column(i)
        if (pa.types.is_string(c.type) or pa.types.is_large_string(c.type)) and len(c) and (
                (pc.max(pc.utf8_length(c)).as_py() or 0) > FIELD_LIMIT or pc.any(pc.match_substring(c, "\x00")).as_py()):
            raise _Unclean
    target = _select_period(ctx, columns, table, kind, wanted, require)
    if target is not None and "period" in columns:
        spellings = [s for s in pc.unique(_text(col("period"))).to_pylist()
                     if (parse_period(s) if s else target) == target]
        chosen = pc.is_in(_text(col("period")), pa.array(spellings, pa.string()))
        if not pc.all(chosen).as_py():
            table = table.filter(chosen)
            if lines is not None:
                lines = lines[chosen.to_numpy(zero_copy_only=False)]
    units = _text(col("unit"))
    if len(units) == 0 and table.num_rows == 0:
        raise _Unclean
    if pc.any(pc.equal(units, "")).as_py():
        raise _Unclean  # empty unit ids are reported by the row path
    if not pc.all(pc.utf8_is_printable(units)).as_py() and any(invisible(u) for u in units.to_pylist()):
        raise _Unclean  # a bidi override or zero-width character in a unit id is reported by the row path
    order = pc.sort_indices(units)  # UTF-8 byte order is code point order, as Python sorts
    ids = units.take(order)
    if len(ids) > 1 and pc.any(pc.equal(ids.slice(1), ids.slice(0, len(ids) - 1))).as_py():
        raise _Unclean  # repeated unit ids (side by side once sorted) are reported by the row path
    rows = order.to_numpy(zero_copy_only=False)
    if lines is not None:
        lines = lines[rows]
    unit_list: list[str] = ids.to_pylist()
    n = len(unit_list)
    names = [""] * n if ctx.partial else unit_list  # a partial source leaves the name to the join
    if "name" in columns:
        raw_names = _text(col("name")).take(order)
        names = (raw_names.to_pylist() if ctx.partial else
                 pc.if_else(pc.equal(raw_names, ""), ids, raw_names).to_pylist())
    cats = _categories(ctx, columns, n, col, rows)
    parents: list[str | None] = [None] * n
    if "parent" in columns:
        parents = [p or None for p in _text(col("parent")).take(order).to_pylist()]
    values = {fid: _fact_column(fid, fact, col(fid) if fid in columns else None, n, order)
              for fid, fact in ctx.facts.items()}
    out = finish_table(ctx.raw.source, unit_list, names, cats, parents, values,
                       present=frozenset(f for f in columns if f in ctx.facts), lines=lines)
    out.period = target
    out.warnings = ctx.warnings
    return out


def _blank_rows(table: Any, unit: int) -> Any | None:
    """Rows whose every cell is empty, or None when there are none (the row path skips them).

    Only a row without a unit id can be blank, so the other columns are read
    only when some unit cell is empty.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    def empty(c: Any) -> Any:
        if pa.types.is_string(c.type) or pa.types.is_large_string(c.type):
            return pc.equal(pc.utf8_trim(pc.fill_null(c, ""), characters=_WHITESPACE), "")
        return pc.is_null(c)

    blank = empty(table.column(unit))
    if not pc.any(blank).as_py():
        return None
    for i in range(table.num_columns):
        if i != unit:
            blank = pc.and_(blank, empty(table.column(i)))
    return blank if pc.any(blank).as_py() else None


def _select_period(ctx: _Context, columns: Mapping[str, int], table: Any, kind: str, wanted: str | None,
                   require: bool) -> Period | None:
    import pyarrow.compute as pc

    target: Period | None = None
    if wanted is not None:
        target = parse_period(wanted)
        if target is None or target.kind != kind:
            raise _Unclean
    if "period" not in columns:
        if target is None and require:
            raise _Unclean
        return target
    found: set[Period] = set()
    for s in pc.unique(_text(table.column(columns["period"]).combine_chunks())).to_pylist():
        p = parse_period(s) if s else target
        if p is None or p.kind != kind:
            raise _Unclean
        found.add(p)
    if target is not None:
        if target not in found:
            raise _Unclean
        return target
    if len(found) != 1:
        raise _Unclean
    return next(iter(found))


def _categories(ctx: _Context, columns: Mapping[str, int], n: int, col: Any, rows: np.ndarray) -> list[str]:
    import pyarrow as pa
    import pyarrow.compute as pc

    default = next(iter(ctx.categories)) if len(ctx.categories) == 1 else None
    if ctx.partial:
        default = ""  # the join takes the category from a source that gives one
    if "category" not in columns:
        if default is None:
            raise _Unclean
        return [default] * n
    raw = _text(col("category"))
    lookup = _category_lookup(ctx.categories)
    uniques = pc.unique(raw).to_pylist()
    keys: list[str] = []
    for u in uniques:
        key = lookup.get(_normal(u)) or (default if u == "" else None)
        if key is None:
            raise _Unclean
        keys.append(key)
    index = pc.index_in(raw, value_set=pa.array(uniques, pa.string())).to_numpy()
    out: list[str] = np.asarray(keys, dtype=object)[index[rows]].tolist()
    return out


def _fact_column(fid: str, fact: FactModel, column: Any, n: int, order: Any) -> np.ndarray | list[Any]:
    """One fact, as the row path would parse a clean column, in unit order (``order``: the rows
    of ``column`` in that order)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    default = _coerce_default(fact) if fact.default is not None else None
    if column is None:  # no such column: every unit gets the default (or missing)
        if fact.required and default is None:
            raise _Unclean
        if fact.type == "string":
            return [default] * n
        return np.full(n, np.nan if default is None else float(default), dtype=np.float64)
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    is_text = pa.types.is_string(column.type) or pa.types.is_large_string(column.type)
    if fact.type == "string":
        texts = _text(column).take(order).to_pylist()
        if default is None and fact.required and "" in texts:
            raise _Unclean
        return [t if t else default for t in texts]
    if fact.type == "boolean":
        cells = _text(column) if is_text or pa.types.is_integer(column.type) else column
        if not (is_text or pa.types.is_integer(column.type) or pa.types.is_boolean(column.type)):
            raise _Unclean
        uniques = pc.unique(cells).to_pylist()
        mapped: list[float] = []
        for u in uniques:
            if u is None or u == "":
                if default is None:
                    if fact.required:
                        raise _Unclean
                    mapped.append(np.nan)
                else:
                    mapped.append(float(default))
                continue
            v = _parse_value(fact, u)
            if v is None:
                raise _Unclean
            mapped.append(v)
        index = pc.index_in(cells, value_set=pa.array(uniques, cells.type)).to_numpy(zero_copy_only=False)
        picked: np.ndarray = np.asarray(mapped, dtype=np.float64)[index[order.to_numpy(zero_copy_only=False)]]
        return picked
    if is_text:
        trimmed = _text(column)
        empty = pc.equal(trimmed, "").to_numpy(zero_copy_only=False)
        try:
            numbers = pc.cast(pc.if_else(pc.equal(trimmed, ""), "0", trimmed), pa.float64())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            raise _Unclean from None  # 1,200 / 95% / full-width digits / a bad cell: the row path
        values: np.ndarray = numbers.to_numpy(zero_copy_only=False).astype(np.float64, copy=True)
    elif pa.types.is_integer(column.type) or pa.types.is_floating(column.type):
        empty = pc.is_null(column).to_numpy(zero_copy_only=False)
        values = pc.cast(pc.fill_null(column, 0), pa.float64()).to_numpy(zero_copy_only=False).astype(
            np.float64, copy=True)
    else:
        raise _Unclean
    given = values[~empty]
    if not np.isfinite(given).all():
        raise _Unclean
    if fact.type == "integer" and not (given == np.floor(given)).all():
        raise _Unclean
    if (fact.min is not None and (given < fact.min).any()) or (fact.max is not None and (given > fact.max).any()):
        raise _Unclean
    if empty.any():
        if default is None and fact.required:
            raise _Unclean
        values[empty] = np.nan if default is None else float(default)
    ordered: np.ndarray = values[order.to_numpy(zero_copy_only=False)]
    return ordered
