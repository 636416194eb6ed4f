"""Facts: one row per unit and period, read from CSV/XLSX/JSON and validated
against the ruleset's ``facts:`` declarations (docs/running.md, "Facts files")."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from kaohe.engine.facts.readers import RawTable, read_table, records_table
from kaohe.engine.facts.sources import Source, SqlSource, load_sources
from kaohe.engine.facts.table import FactTable, build_table
from kaohe.engine.ruleset.model import CategoryModel, FactModel

__all__ = ["FactTable", "RawTable", "SqlSource", "facts_from_records", "load_facts"]


def load_facts(
    path: Source | Sequence[Source],
    facts: Mapping[str, FactModel],
    categories: Mapping[str, CategoryModel],
    *,
    period_kind: str,
    period: str | None = None,
    sheet: str | None = None,
) -> FactTable:
    """Read and validate a facts file — or several sources joined by unit (files, a ``kaohe form``
    workbook's sheets, a :class:`SqlSource`); raise :class:`engine.errors.FactsError` with every
    bad cell or conflict.

    CSV and Parquet files are first read column by column with pyarrow
    (engine/facts/arrow.py); a file with anything to report, or anything only
    the row-by-row rules handle, is validated row by row, as every other format.
    """
    sources = [path] if isinstance(path, str | Path | SqlSource) else list(path)
    return load_sources(sources, facts, categories, period_kind=period_kind, period=period, sheet=sheet)


def read_one(path: Path, facts: Mapping[str, FactModel], categories: Mapping[str, CategoryModel],
             period_kind: str, period: str | None, sheet: str | None, *, partial: bool = False) -> FactTable:
    """One file: the columnar reader when it can, else row by row (``partial``: one of several sources)."""
    fast = _read_columnar(path, facts, categories, period_kind, period, partial) if sheet is None else None
    if fast is not None:
        return fast
    raw = read_table(path, sheet)
    return build_table(raw, facts, categories, period_kind=period_kind, period=period,
                       require_period=not partial, partial=partial)


def _read_columnar(path: Path, facts: Mapping[str, FactModel], categories: Mapping[str, CategoryModel],
                   period_kind: str, period: str | None, partial: bool = False) -> FactTable | None:
    from kaohe.engine.facts import arrow

    suffix = path.suffix.lower()
    if suffix not in (".csv", ".txt", ".parquet") or not path.is_file():
        return None
    try:
        read = arrow.read_parquet_columns(path) if suffix == ".parquet" else arrow.read_csv_columns(path)
    except (OSError, ValueError):
        return None  # unreadable: the row path reports it
    if read is None:
        return None
    headers, table = read
    del read
    lines = np.arange(1, table.num_rows + 1) if suffix == ".parquet" else arrow.csv_record_lines(path)
    try:
        return arrow.columnar_table(str(path), headers, table, facts, categories, period_kind=period_kind,
                                    period=period, lines=lines, require_period=not partial, partial=partial)
    finally:
        del table  # the FactTable holds numpy arrays and lists, nothing of Arrow's
        arrow.release_memory()


def facts_from_records(
    records: Sequence[Mapping[str, Any]],
    facts: Mapping[str, FactModel],
    categories: Mapping[str, CategoryModel],
    *,
    period_kind: str,
    source: str = "<records>",
    period: str | None = None,
) -> FactTable:
    """Validate in-memory records (test cases, API callers) the same way as a file."""
    raw = records_table([dict(r) for r in records], source)
    return build_table(raw, facts, categories, period_kind=period_kind, period=period,
                       require_period=False)
