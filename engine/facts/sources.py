"""Several sources of facts in one run, joined by unit id, each value keeping its provenance.

An office's data come from several departments (信访局, 财政局, 应急局…) and
business systems.  ``kaohe run --facts A --facts B`` reads each source with
the ordinary per-file reader (``engine.facts.readers`` + ``table``, in
*partial* mode: a source need not carry every column) and joins the tables by
unit id here:

* a fact given by two sources must agree; different values are a facts error
  naming both files, rows and values (equal values are fine);
* a unit absent from a source gets that source's facts as missing, and then
  ``required`` / ``default`` apply as for one file;
* category, name and parent come from whichever sources give them (categories
  must agree); periods must agree;
* the hash covers the joined content and every source's own hash, sorted, so
  the order of ``--facts`` options never changes the run id.

A workbook written by ``kaohe form`` is several sources in one file: each of
its input sheets (listed in its hidden ``_kaohe`` sheet) is read and joined.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kaohe.engine.errors import FactsError, Location, Problem
from kaohe.engine.facts.provenance import Origin
from kaohe.engine.facts.readers import RawTable, read_table, sheet_table
from kaohe.engine.facts.table import FactTable, build_table, content_digest, fill_missing
from kaohe.engine.i18n import register
from kaohe.engine.period import EXAMPLES, Period, parse_period
from kaohe.engine.ruleset.model import CategoryModel, FactModel

FORM_SHEET = "_kaohe"

register(
    {
        "facts.conflict": ("单位 {unit} 的{label}（{fact}）在两个来源中不一致：{first} 为 {a}，{second} 为 {b}",
                           "unit {unit}: {label} ({fact}) differs between sources: {a} in {first}, {b} in {second}"),
        "facts.conflict_category": (
            "单位 {unit} 的类别在两个来源中不一致：{first} 为 {a}，{second} 为 {b}",
            "unit {unit}: the category differs between sources: {a} in {first}, {b} in {second}"),
        "facts.no_category_any": ("单位 {unit} 没有类别：任何来源都没有给出 category",
                                  "unit {unit} has no category: no source gives one"),
        "facts.source_periods": ("各来源的考核期不一致（{periods}），请用 --period 选择一个",
                                 "the sources hold different periods ({periods}); pick one with --period"),
        "facts.absent_from": ("单位 {unit} 缺少必填事实 `{fact}`（{label}）：{sources} 中没有该单位",
                              "unit {unit} lacks the required fact `{fact}` ({label}): it is not in {sources}"),
        "facts.missing_everywhere": ("缺少必填事实 `{fact}`（{label}）：所有来源都没有这一列",
                                     "no source has a column for the required fact `{fact}` ({label})"),
        "facts.one_source": ("--engine dask 只读取一个 --facts（一个文件夹或通配符，包含各个分区文件）",
                             "--engine dask reads one --facts (a folder or a glob of partition files)"),
        "facts.form_sheets": ("填报表中没有可读取的工作表（{sheets}）", "the form has no sheet to read ({sheets})"),
    }
)


@dataclass(frozen=True)
class SqlSource:
    """Facts from a query (``--facts-sql``) on a database (``--facts-db``); see ``engine.facts.sql``."""

    query: Path
    db: str


Source = str | Path | SqlSource


def load_sources(
    sources: Sequence[Source],
    facts: Mapping[str, FactModel],
    categories: Mapping[str, CategoryModel],
    *,
    period_kind: str,
    period: str | None = None,
    sheet: str | None = None,
) -> FactTable:
    """Read every source and join them by unit (one source: exactly the single-file path)."""
    if len(sources) == 1 and not isinstance(sources[0], SqlSource) and not _is_form(Path(sources[0]), sheet):
        from kaohe.engine.facts import read_one

        path = Path(sources[0])
        table = read_one(path, facts, categories, period_kind, period, sheet)
        return _with_origin(table, Origin(str(path), sheet))
    relaxed = {fid: f.model_copy(update={"required": False, "default": None}) for fid, f in facts.items()}
    raws: list[tuple[RawTable, Origin]] = []
    tables: list[FactTable] = []
    problems: list[Problem] = []
    for source in sources:
        try:
            if len(sources) > 1 and not isinstance(source, SqlSource) and not _is_form(Path(source), sheet):
                from kaohe.engine.facts import read_one

                table = read_one(Path(source), relaxed, categories, period_kind, period, sheet, partial=True)
                tables.append(_with_origin(table, Origin(str(source), sheet)))
                continue
            raws.extend(_read(source, sheet))
        except FactsError as e:
            problems.extend(e.problems)
    if problems:
        raise FactsError(problems)
    if len(raws) == 1 and not tables:
        raw, origin = raws[0]
        table = build_table(raw, facts, categories, period_kind=period_kind, period=period)
        return _with_origin(table, origin)
    for raw, origin in raws:
        try:
            table = build_table(raw, relaxed, categories, period_kind=period_kind, period=period,
                                require_period=False, partial=True)
            tables.append(_with_origin(table, origin))
        except FactsError as e:
            problems.extend(e.problems)
    if problems:
        raise FactsError(problems)
    return join(tables, facts, categories, period_kind=period_kind, period=period)


def _read(source: Source, sheet: str | None) -> list[tuple[RawTable, Origin]]:
    if isinstance(source, SqlSource):
        from kaohe.engine.facts.sql import read_query

        raw, origin = read_query(source.query, source.db)
        return [(raw, origin)]
    path = Path(source)
    if sheet is None and path.suffix.lower() in (".xlsx", ".xlsm") and path.is_file():
        form = _form_sheets(path)
        if form is not None:
            return form
    raw = read_table(path, sheet)
    return [(raw, Origin(str(path), raw.sheet if sheet is not None else None))]


def _is_form(path: Path, sheet: str | None) -> bool:
    """A workbook written by ``kaohe form`` (read sheet by sheet unless ``--sheet`` picks one)."""
    if sheet is not None or path.suffix.lower() not in (".xlsx", ".xlsm") or not path.is_file():
        return False
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True)
    except Exception:  # a broken workbook: the ordinary reader reports it
        return False
    try:
        return FORM_SHEET in wb.sheetnames
    finally:
        wb.close()


def _form_sheets(path: Path) -> list[tuple[RawTable, Origin]] | None:
    """The input sheets of a workbook made by ``kaohe form`` (None for any other workbook)."""
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # a broken workbook: the ordinary reader reports it
        return None
    try:
        if FORM_SHEET not in wb.sheetnames:
            return None
        listed = [str(row[1]) for row in wb[FORM_SHEET].iter_rows(values_only=True)
                  if row and row[0] == "sheet" and len(row) > 1 and row[1] is not None]
        names = [n for n in listed if n in wb.sheetnames]
        if not names:
            raise FactsError(Problem("facts.form_sheets", {"sheets": ", ".join(wb.sheetnames)},
                                     Location(str(path))))
        return [(sheet_table(wb[n], f"{path}[{n}]"), Origin(str(path), n)) for n in names]
    finally:
        wb.close()


def _with_origin(table: FactTable, origin: Origin) -> FactTable:
    if origin.db is not None:  # a query: its text is part of what the run was made from
        table.sha256 = hashlib.sha256(f"{table.sha256}:{origin.sha256}".encode()).hexdigest()
    table.origins = [Origin(origin.path, origin.sheet, origin.db, tuple(sorted(table.present)), table.sha256)]
    return table


def join(tables: Sequence[FactTable], facts: Mapping[str, FactModel], categories: Mapping[str, CategoryModel],
         *, period_kind: str, period: str | None) -> FactTable:
    """Join partial tables by unit id (see the module doc); raise :class:`FactsError` on conflicts."""
    # a canonical order, so that which source is "first" never depends on the order of --facts
    tables = sorted(tables, key=lambda t: (t.origins[0].path, t.origins[0].sheet or "", t.sha256))
    units = sorted({u for t in tables for u in t.units})
    n = len(units)
    index = {u: i for i, u in enumerate(units)}
    positions = [np.fromiter((index[u] for u in t.units), dtype=np.int64, count=len(t)) for t in tables]
    lines = []
    for t, pos in zip(tables, positions, strict=True):
        column = np.zeros(n, dtype=np.int64)
        column[pos] = t.origin_lines[0]
        lines.append(column)
    origins = [t.origins[0] for t in tables]
    problems: list[Problem] = []
    chosen = _period(tables, period, period_kind, problems)
    names, cats, parents = _reserved(tables, positions, units, lines, origins, categories, problems)
    numbers: dict[str, np.ndarray] = {}
    strings: dict[str, list[str | None]] = {}
    for fid, fact in facts.items():
        giving = [k for k, t in enumerate(tables) if fid in t.present]
        if fact.type == "string":
            strings[fid] = _join_strings(fid, fact, tables, positions, giving, units, lines, origins, problems)
        else:
            numbers[fid] = _join_numbers(fid, fact, tables, positions, giving, units, lines, origins, problems)
    if not problems:
        _required(facts, numbers, strings, units, lines, origins, problems)
    if problems:
        raise FactsError(problems[:200])
    fill_missing(facts, numbers, strings)
    joined = content_digest(units, names, cats, parents, numbers, strings)
    digest = hashlib.sha256(joined.encode())
    for part in sorted(f"{o.sha256}:{','.join(o.facts)}" for o in origins):
        digest.update(part.encode())
    return FactTable(
        units=units, names=names, categories=cats, parents=parents, period=chosen, numbers=numbers,
        strings=strings, source=" + ".join(_label(o) for o in origins), sha256=digest.hexdigest(),
        warnings=[w for t in tables for w in t.warnings],
        present=frozenset(f for t in tables for f in t.present), origins=origins, origin_lines=lines,
    )


def _label(origin: Origin) -> str:
    return origin.where


def _where(origin: Origin, row: int) -> dict[str, object]:
    """A source row as a message parameter (rendered in the message's language)."""
    return origin.phrase(row)


def _loc(origin: Origin, row: int, path: str) -> Location:
    return Location(origin.where, row, None, path)


def _period(tables: Sequence[FactTable], wanted: str | None, kind: str, problems: list[Problem]) -> Period | None:
    if wanted is not None:
        return parse_period(wanted)
    found = sorted({t.period for t in tables if t.period is not None})
    if len(found) > 1:
        problems.append(Problem("facts.source_periods", {"periods": ", ".join(map(str, found))}))
        return None
    if not found:
        from kaohe.engine.facts.table import KIND_ZH

        problems.append(Problem("facts.no_period", {"kind": kind, "kind_zh": KIND_ZH[kind],
                                                    "example": EXAMPLES[kind]}))
        return None
    return found[0]


def _reserved(tables: Sequence[FactTable], positions: Sequence[np.ndarray], units: Sequence[str],
              lines: Sequence[np.ndarray], origins: Sequence[Origin], categories: Mapping[str, CategoryModel],
              problems: list[Problem]) -> tuple[list[str], list[str], list[str | None]]:
    n = len(units)
    names: list[str] = [""] * n
    cats: list[str] = [""] * n
    cat_from: list[int] = [-1] * n
    parents: list[str | None] = [None] * n
    for k, (t, pos) in enumerate(zip(tables, positions, strict=True)):
        for j, i in enumerate(pos.tolist()):
            if not names[i] and t.names[j]:
                names[i] = t.names[j]
            if parents[i] is None and t.parents[j]:
                parents[i] = t.parents[j]
            c = t.categories[j]
            if not c:
                continue
            if not cats[i]:
                cats[i], cat_from[i] = c, k
            elif cats[i] != c:
                a, b = cat_from[i], k
                problems.append(Problem("facts.conflict_category", {
                    "unit": units[i], "a": cats[i], "b": c, "first": _where(origins[a], int(lines[a][i])),
                    "second": _where(origins[b], int(lines[b][i]))}, _loc(origins[b], int(lines[b][i]),
                                                                          f"{units[i]}.category")))
    only = next(iter(categories)) if len(categories) == 1 else None
    for i in range(n):
        names[i] = names[i] or units[i]
        if not cats[i]:
            if only is None:
                row = next(((o, int(c[i])) for o, c in zip(origins, lines, strict=True) if c[i] > 0))
                problems.append(Problem("facts.no_category_any", {"unit": units[i]},
                                        _loc(row[0], row[1], f"{units[i]}.category")))
            else:
                cats[i] = only
    return names, cats, parents


def _join_numbers(fid: str, fact: FactModel, tables: Sequence[FactTable], positions: Sequence[np.ndarray],
                  giving: Sequence[int], units: Sequence[str], lines: Sequence[np.ndarray],
                  origins: Sequence[Origin], problems: list[Problem]) -> np.ndarray:
    out = np.full(len(units), np.nan)
    source = np.full(len(units), -1, dtype=np.int64)
    for k in giving:
        column = np.full(len(units), np.nan)
        column[positions[k]] = tables[k].numbers[fid]
        given = ~np.isnan(column)
        clash = given & ~np.isnan(out) & (column != out)
        for i in np.flatnonzero(clash).tolist():
            _conflict(fid, fact, units[i], i, int(source[i]), k, out[i], column[i], lines, origins, problems)
        take = given & np.isnan(out)
        out[take] = column[take]
        source[take] = k
    return out


def _join_strings(fid: str, fact: FactModel, tables: Sequence[FactTable], positions: Sequence[np.ndarray],
                  giving: Sequence[int], units: Sequence[str], lines: Sequence[np.ndarray],
                  origins: Sequence[Origin], problems: list[Problem]) -> list[str | None]:
    out: list[str | None] = [None] * len(units)
    source = [-1] * len(units)
    for k in giving:
        for j, i in enumerate(positions[k].tolist()):
            value = tables[k].strings[fid][j]
            if value is None:
                continue
            if out[i] is None:
                out[i], source[i] = value, k
            elif out[i] != value:
                _conflict(fid, fact, units[i], i, source[i], k, out[i], value, lines, origins, problems)
    return out


def _conflict(fid: str, fact: FactModel, unit: str, i: int, a: int, b: int, va: Any, vb: Any,
              lines: Sequence[np.ndarray], origins: Sequence[Origin], problems: list[Problem]) -> None:
    ra, rb = int(lines[a][i]), int(lines[b][i])
    problems.append(Problem("facts.conflict", {
        "unit": unit, "fact": fid, "label": fact.label, "a": _shown(va), "b": _shown(vb),
        "first": _where(origins[a], ra), "second": _where(origins[b], rb)}, _loc(origins[b], rb, f"{unit}.{fid}")))


def _shown(value: Any) -> str:
    if isinstance(value, float | np.floating):
        v = float(value)
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else f"{v:.10g}"
    return str(value)


def _required(facts: Mapping[str, FactModel], numbers: Mapping[str, np.ndarray],
              strings: Mapping[str, list[str | None]], units: Sequence[str], lines: Sequence[np.ndarray],
              origins: Sequence[Origin], problems: list[Problem]) -> None:
    """A required fact without a default must have a value for every unit after the join."""
    for fid, fact in facts.items():
        if not fact.required or fact.default is not None:
            continue
        giving = [k for k, o in enumerate(origins) if fid in o.facts]
        if not giving:
            problems.append(Problem("facts.missing_everywhere", {"fact": fid, "label": fact.label},
                                    Location(None, None, None, fid)))
            continue
        missing = (np.isnan(numbers[fid]) if fid in numbers
                   else np.array([v is None for v in strings[fid]], dtype=bool))
        for i in np.flatnonzero(missing).tolist():
            present_in = [k for k in giving if lines[k][i] > 0]
            if present_in:  # the unit's row is there, the cell is empty
                k = present_in[0]
                problems.append(Problem("facts.required", {"fact": fid, "label": fact.label},
                                        _loc(origins[k], int(lines[k][i]), f"{units[i]}.{fid}")))
            else:
                names = "、".join(origins[k].name if origins[k].sheet is None
                                 else f"{origins[k].name}「{origins[k].sheet}」" for k in giving)
                problems.append(Problem("facts.absent_from", {"unit": units[i], "fact": fid, "label": fact.label,
                                                              "sources": names},
                                        Location(_label(origins[giving[0]]), None, None, f"{units[i]}.{fid}")))
