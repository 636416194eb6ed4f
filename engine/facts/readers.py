"""Read a facts file into raw rows: CSV (UTF-8, BOM, GBK), XLSX, JSON, Parquet.

A reader returns :class:`RawTable`: the column headers and, for each data row,
its 1-based line (CSV/XLSX row number, JSON list index + 1) and cells as
read (text, numbers or ``None``).  Validation happens in ``engine.facts.table``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kaohe.engine.errors import FactsError, Location, Problem
from kaohe.engine.i18n import register

register(
    {
        "facts.unreadable": ("无法读取事实数据文件：{error}", "cannot read the facts file: {error}"),
        "facts.not_found": ("找不到事实数据文件：{path}", "facts file not found: {path}"),
        "facts.encoding": ("无法识别文件编码（已尝试 UTF-8 与 GBK）",
                           "cannot decode the file (tried UTF-8 and GBK)"),
        "facts.format": ("不支持的文件类型 `{suffix}`（支持 .csv .xlsx .json .parquet）",
                         "unsupported file type `{suffix}` (use .csv, .xlsx, .json or .parquet)"),
        "facts.empty": ("文件中没有数据行", "the file has no data rows"),
        "facts.json_shape": ("JSON 事实数据应为对象列表（每个单位一个对象）",
                             "JSON facts must be a list of objects (one per unit)"),
        "facts.json_syntax": ("JSON 语法错误：{error}", "JSON syntax error: {error}"),
        "facts.sheet": ("工作簿中没有工作表 `{sheet}`（现有：{sheets}）",
                        "no sheet `{sheet}` in the workbook (sheets: {sheets})"),
        "facts.ragged": ("第 {line} 行有 {got} 列，表头有 {expected} 列",
                         "row {line} has {got} cells; the header has {expected}"),
        "facts.field_too_long": ("有一个单元格超过 {limit} 个字符，不像事实数据（引号没有配对？）",
                                 "a cell is longer than {limit} characters, which no fact is (an unmatched quote?)"),
        "facts.csv_syntax": ("CSV 格式错误：{error}", "CSV format error: {error}"),
        "facts.json_deep": ("JSON 嵌套过深（上千层）：事实数据是对象列表，每个单位一个对象",
                            "JSON nested too deeply (thousands of levels): facts are a list of objects, one per unit"),
    }
)


@dataclass
class RawTable:
    """Headers and rows exactly as read from the file (``header_line``: where the headers were)."""

    source: str
    headers: list[str]
    rows: list[tuple[int, list[Any]]]
    header_line: int = 1
    sheet: str | None = None


HEADER_ROWS = 11
"""Rows of a sheet where its header may be: the first and the title rows above it (engine/facts/header.py)."""
GAP = 256
"""Empty columns that end a table: a cell beyond them (a stray mark at XFD1) is in no column."""


class PercentCell(float):
    """A number an XLSX cell displays as a percentage (0.12 shown as 12%): checked like a ``12%`` text."""


def read_table(path: Path, sheet: str | None = None) -> RawTable:
    """Read ``path`` according to its suffix."""
    suffix = path.suffix.lower()
    if not path.exists():
        raise FactsError(Problem("facts.not_found", {"path": str(path)}, Location(str(path))))
    try:
        if suffix in (".csv", ".txt"):
            return _read_csv(path)
        if suffix in (".xlsx", ".xlsm"):
            return _read_xlsx(path, sheet)
        if suffix == ".json":
            return _read_json(path)
        if suffix == ".parquet":
            return _read_parquet(path)
    except OSError as e:
        raise FactsError(Problem("facts.unreadable", {"error": e.strerror or str(e)},
                                 Location(str(path)))) from e
    raise FactsError(Problem("facts.format", {"suffix": suffix or path.name}, Location(str(path))))


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else GBK/GB18030 (what Chinese Excel writes)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnicodeDecodeError("utf-8", data, 0, 1, "undecodable")


def _read_csv(path: Path) -> RawTable:
    try:
        content = decode(path.read_bytes())
    except UnicodeDecodeError:
        raise FactsError(Problem("facts.encoding", {}, Location(str(path)))) from None
    reader = csv.reader(io.StringIO(content, newline=""))
    rows: list[tuple[int, list[Any]]] = []
    headers: list[str] | None = None
    header_line = 1
    problems: list[Problem] = []
    for record in _records(reader, path):
        line = reader.line_num
        if not any(c.strip() for c in record):
            continue
        if headers is None:
            headers = [h.strip() for h in record]
            header_line = line
            continue
        if len(record) != len(headers):
            problems.append(Problem("facts.ragged", {"line": line, "got": len(record),
                                                     "expected": len(headers)},
                                    Location(str(path), line)))
            record = (record + [""] * len(headers))[: len(headers)]
        rows.append((line, list(record)))
    if problems:
        raise FactsError(problems)
    if headers is None:
        raise FactsError(Problem("facts.empty", {}, Location(str(path))))
    return RawTable(str(path), headers, rows, header_line)


def _records(reader: Any, path: Path) -> Iterator[list[str]]:
    """The CSV reader's records; its errors (a field over the size limit, a NUL byte) located."""
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            line = reader.line_num
            if "field larger than field limit" in str(e):
                problem = Problem("facts.field_too_long", {"limit": csv.field_size_limit()}, Location(str(path), line))
            elif "NUL" in str(e):
                problem = Problem("facts.nul_byte", {}, Location(str(path), line))
            else:
                problem = Problem("facts.csv_syntax", {"error": str(e)}, Location(str(path), line))
            raise FactsError(problem) from None
        yield record


def _read_xlsx(path: Path, sheet: str | None) -> RawTable:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many types for a broken workbook
        raise FactsError(Problem("facts.unreadable", {"error": f"{type(e).__name__}: {e}"},
                                 Location(str(path)))) from e
    try:
        if sheet is not None and sheet not in wb.sheetnames:
            raise FactsError(Problem("facts.sheet", {"sheet": sheet, "sheets": ", ".join(wb.sheetnames)},
                                     Location(str(path))))
        ws = wb[sheet] if sheet is not None else wb.worksheets[0]
        table = sheet_table(ws, str(path))
    finally:
        wb.close()
    return table


def sheet_table(ws: Any, source: str) -> RawTable:
    """One worksheet (opened read-only) as a raw table; percentage-formatted numbers become PercentCell.

    A sheet's stated size is not trusted: one stray cell at XFD1048576 makes it
    claim 17 billion cells, which openpyxl would pad every row to.  The size is
    dropped, and the table is as wide as the rows where the header can be (the
    first ``HEADER_ROWS``), each up to its last filled cell before a gap of
    ``GAP`` empty columns; a cell beyond that belongs to no column, and a row
    with nothing else is skipped like an empty one.
    """
    ws.reset_dimensions()
    headers: list[str] | None = None
    header_line = 1
    rows: list[tuple[int, list[Any]]] = []
    width = 0
    for line, row in enumerate(ws.iter_rows(), start=1):
        if not row:
            continue  # a row missing from the file (openpyxl yields an empty one)
        cells = [_cell_value(c) for c in row]
        if len(rows) < HEADER_ROWS:
            width = max(width, _table_width(cells))
        cells = _filled(cells[:width])
        if not cells:
            continue
        if headers is None:
            headers = ["" if c is None else str(c).strip() for c in cells]
            header_line = line
            continue
        rows.append((line, cells))
    if headers is None:
        raise FactsError(Problem("facts.empty", {}, Location(source)))
    # a title row may be narrower than the table under it: pad, so the real header is found whole
    headers += [""] * (width - len(headers))
    rows = [(line, cells + [None] * (width - len(cells))) for line, cells in rows]
    return RawTable(source, headers, rows, header_line, ws.title)


def _table_width(cells: list[Any]) -> int:
    """Columns up to the last filled cell that is not across ``GAP`` empty ones."""
    width = empty = 0
    for i, c in enumerate(cells):
        if _blank(c):
            empty += 1
            if empty >= GAP:
                break
        else:
            width, empty = i + 1, 0
    return width


def _blank(c: Any) -> bool:
    return c is None or (isinstance(c, str) and not c.strip())


def _filled(cells: list[Any]) -> list[Any]:
    """``cells`` up to the last one holding something."""
    end = len(cells)
    while end and _blank(cells[end - 1]):
        end -= 1
    return cells[:end]


def _cell_value(cell: Any) -> Any:
    value = cell.value
    if isinstance(value, int | float) and not isinstance(value, bool) and "%" in (cell.number_format or ""):
        return PercentCell(value)
    return value


def _read_json(path: Path) -> RawTable:
    try:
        data = json.loads(decode(path.read_bytes()))
    except UnicodeDecodeError:
        raise FactsError(Problem("facts.encoding", {}, Location(str(path)))) from None
    except json.JSONDecodeError as e:
        raise FactsError(Problem("facts.json_syntax", {"error": e.msg},
                                 Location(str(path), e.lineno, e.colno))) from None
    except RecursionError:
        raise FactsError(Problem("facts.json_deep", {}, Location(str(path)))) from None
    if isinstance(data, dict) and isinstance(data.get("units"), list):
        data = data["units"]
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise FactsError(Problem("facts.json_shape", {}, Location(str(path))))
    return records_table(data, str(path))


def _read_parquet(path: Path) -> RawTable:
    """A Parquet file (what data platforms export); rows are numbered from 1, the first unit."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as e:
        raise FactsError(Problem("facts.unreadable", {"error": f"{type(e).__name__}: {e}"},
                                 Location(str(path)))) from e
    headers = [str(h).strip() for h in table.column_names]
    if table.num_rows == 0:
        raise FactsError(Problem("facts.empty", {}, Location(str(path))))
    columns = [table.column(i).to_pylist() for i in range(table.num_columns)]
    rows = [(i + 1, [c[i] for c in columns]) for i in range(table.num_rows)]
    return RawTable(str(path), headers, rows)


def records_table(records: list[dict[str, Any]], source: str) -> RawTable:
    """A raw table from a list of mappings (JSON files, test cases, SQL rows)."""
    headers: list[str] = []
    for record in records:
        for key in record:
            if str(key) not in headers:
                headers.append(str(key))
    rows = [(i, [record.get(h) for h in headers]) for i, record in enumerate(records, start=1)]
    return RawTable(source, headers, rows)
