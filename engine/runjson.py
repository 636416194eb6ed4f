"""The ``kaohe run --json`` document, streamed (docs/running.md, "The --json document").

The document is written chunk by chunk, so a million units never become one
Python document nor one string.  The bytes are exactly those of
``json.dumps(doc, ensure_ascii=False, indent=2, allow_nan=False)`` plus a
newline (the contract automated runs and golden files compare): keys in the
documented order, indicators in the ruleset's order, numbers as Python
writes them.  A missing number is ``null`` (NaN never appears).

A fresh run's units are written from the result columns without a dict or a
string per unit: each column becomes JSON text at once (engine/jsoncolumns.py),
and Arrow joins, unit by unit, the columns with the fixed text between them
— the text ``json.dumps`` gives a unit object whose values are markers, cut
at the markers — so the layout is the standard library's by construction.
The lists of fired rules, alerts and notes are written once per group of
units sharing them (engine/grouped.py).  Stored units (a re-used run) are encoded by orjson,
and by the standard library for a chunk holding a number below 1e-4, which
orjson spells differently (``0.00001`` for ``1e-05``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, BinaryIO

import numpy as np
import orjson
import pyarrow as pa

from kaohe.engine.jsoncolumns import float_texts, int_texts, join, joined_bytes, pick, string_texts
from kaohe.engine.results import LIGHTS, Evaluation, UnitResult

CHUNK = 4096
"""Units per chunk of stored units."""
COLUMN_CHUNK = 20_000
"""Units per chunk written from the result columns."""
_INDENT = orjson.OPT_INDENT_2
_TINY = 1e-4


def write_run_json(
    out: BinaryIO,
    run: Mapping[str, object],
    units: Evaluation | Sequence[UnitResult],
    order: Sequence[str],
    ties: Sequence[Mapping[str, object]],
) -> None:
    """Write the whole document to ``out`` (a binary stream), ending with a newline.

    ``order`` is the ruleset's indicator order (the order of ``indicators``
    in each unit object).
    """
    head = _exact({"run": dict(run)})  # b'{\n  "run": {…}\n}'
    out.write(head[:-2] + b',\n  "units": [')
    parts: Iterator[bytes | memoryview] = (
        _evaluation_parts(units, order) if isinstance(units, Evaluation) else _unit_parts(units, order))
    first = True
    for part in parts:  # unit objects at the document's second level, separated by commas
        out.write(b"\n" if first else b",\n")
        out.write(part)
        first = False
    out.write(b"]" if first else b"\n  ]")
    out.write(b',\n  "ties": ' + _exact(list(ties)).replace(b"\n", b"\n  ") + b"\n}\n")


def _exact(doc: Any) -> bytes:
    return json.dumps(doc, ensure_ascii=False, indent=2, allow_nan=False).encode()


# -- a fresh run: from the result columns --------------------------------------------------

_SCALARS = ("unit", "name", "category", "base_score", "points", "score", "grade", "rank")
_INDICATOR = ("value", "score", "light", "weight")
_LISTS = ("fired", "alerts", "notes")


def _marker(i: int) -> str:
    return f"\x01{i}\x01"  # a control character: json.dumps escapes it, no id or key contains it


def unit_template(indicators: Sequence[str]) -> tuple[list[str], dict[str, str]]:
    """One unit object as it sits in the document, cut where its values go, and the
    indentation of each list field's lines (for :func:`list_text`).

    Values go between the pieces in the order of :data:`_SCALARS`, then each
    indicator's :data:`_INDICATOR`, then :data:`_LISTS`.
    """
    count = iter(range(1_000_000))
    doc: dict[str, Any] = {k: _marker(next(count)) for k in _SCALARS}
    doc["indicators"] = {k: {f: _marker(next(count)) for f in _INDICATOR} for k in indicators}
    doc.update({k: _marker(next(count)) for k in _LISTS})
    text = json.dumps({"units": [doc]}, ensure_ascii=False, indent=2)
    body = text[text.index("[\n") + 2:text.rindex("\n  ]")]
    indents = {}
    for k in _LISTS:
        line = body[:body.index(json.dumps(doc[k]))].rsplit("\n", 1)[-1]
        indents[k] = " " * (len(line) - len(line.lstrip(" ")))
    pieces = []
    for i in range(next(count)):
        head, body = body.split(json.dumps(_marker(i)), 1)
        pieces.append(head)
    return [*pieces, body], indents


def list_text(values: Sequence[str], indent: str) -> str:
    """A list of strings as it appears at a field whose line starts with ``indent``."""
    return json.dumps(list(values), ensure_ascii=False, indent=2).replace("\n", "\n" + indent)


def _evaluation_parts(ev: Evaluation, order: Sequence[str]) -> Iterator[memoryview]:
    """Unit objects written from the columns, ``COLUMN_CHUNK`` units at a time."""
    inds = [(k, ev.indicators[k]) for k in order if k in ev.indicators]
    pieces, indents = unit_template([k for k, _ in inds])
    grades = [*(json.dumps(g, ensure_ascii=False) for g in ev.grade_names), "null"]  # code -1 → null
    lights = [json.dumps(li) for li in LIGHTS]
    lists = [(source.codes, [*(list_text(t, indents[field]) for t in texts), "[]"])  # code -1 → []
             for field, source, texts in (("fired", ev.firings, [[f.rule_id for f in g] for g in ev.firings.groups]),
                                          ("alerts", ev.alerts, ev.alerts.groups),
                                          ("notes", ev.notes, ev.notes.groups))]
    for start in range(0, len(ev), COLUMN_CHUNK):
        sl = slice(start, min(start + COLUMN_CHUNK, len(ev)))
        columns: list[pa.Array] = [
            string_texts(list(ev.units[sl])), string_texts(list(ev.names[sl])),
            string_texts(list(ev.categories[sl])), float_texts(ev.base_score[sl]), float_texts(ev.points[sl]),
            float_texts(ev.score[sl]), pick(grades, ev.grade[sl]), int_texts(ev.rank[sl], null=ev.rank[sl] <= 0)]
        for _, c in inds:
            columns += [float_texts(c.value[sl]), float_texts(c.score[sl]), pick(lights, c.light[sl]),
                        float_texts(c.weight[sl])]
        columns += [pick(texts, codes[sl]) for codes, texts in lists]
        parts: list[str | pa.Array] = [pieces[0]]
        for column, piece in zip(columns, pieces[1:], strict=True):
            parts += [column, piece]
        parts[-1] = f"{parts[-1]},\n"  # units separated by ",\n": cut after the last
        yield joined_bytes(join(parts), cut=2)


# -- a re-used run: stored per-unit results --------------------------------------------------


def _unit_parts(units: Sequence[UnitResult], order: Sequence[str]) -> Iterator[bytes]:
    """Unit objects of stored results, ``CHUNK`` at a time."""
    for start in range(0, len(units), CHUNK):
        docs = []
        numbers: list[float] = []
        for u in units[start:start + CHUNK]:
            doc = u.as_json()
            inds = doc["indicators"]
            assert isinstance(inds, dict)
            doc["indicators"] = {k: inds[k] for k in order if k in inds}
            numbers += [x for x in (u.base_score, u.points, u.score) if x is not None]
            numbers += [x for r in u.indicators.values() for x in (r.value, r.score, r.weight) if x is not None]
            docs.append(doc)
        tiny = _has_tiny(np.asarray(numbers, dtype=np.float64))
        body = _exact(_nulls(docs)) if tiny else orjson.dumps(docs, option=_INDENT)  # orjson: NaN → null
        inner = body[2:-2]  # drop "[\n" and "\n]": "  {…},\n  {…}"
        yield b"  " + inner.replace(b"\n", b"\n  ")


def _nulls(doc: Any) -> Any:
    """NaN → None throughout (the standard library would write ``NaN``)."""
    if isinstance(doc, float):
        return None if math.isnan(doc) else doc
    if isinstance(doc, dict):
        return {k: _nulls(v) for k, v in doc.items()}
    if isinstance(doc, list):
        return [_nulls(v) for v in doc]
    return doc


def _has_tiny(values: np.ndarray) -> bool:
    with np.errstate(invalid="ignore"):
        return bool(np.any((values != 0) & (np.abs(values) < _TINY)))
