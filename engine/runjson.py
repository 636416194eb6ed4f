"""The ``kaohe run --json`` document, streamed (docs/running.md, "The --json document").

The document is written chunk by chunk with orjson, straight from the result
columns, so a million units never become one Python document nor one string.
The bytes are exactly those of ``json.dumps(doc, ensure_ascii=False,
indent=2, allow_nan=False)`` plus a newline (the contract automated runs and
golden files compare): keys in the documented order, indicators in the
ruleset's order, numbers as Python writes them.  orjson writes the same text
for every number except non-zero magnitudes below 1e-4 (``1e-05`` becomes
``0.00001``), so a chunk holding such a number is encoded by the standard
library instead.  A missing number is ``null`` (NaN never appears).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, BinaryIO

import numpy as np
import orjson

from kaohe.engine.results import LIGHTS, Evaluation, UnitResult

CHUNK = 4096
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
    chunks = _evaluation_chunks(units, order) if isinstance(units, Evaluation) else _unit_chunks(units, order)
    first = True
    for docs, tiny in chunks:
        out.write(b"\n" if first else b",\n")
        out.write(_encode_units(docs, tiny))
        first = False
    out.write(b"]" if first else b"\n  ]")
    out.write(b',\n  "ties": ' + _exact(list(ties)).replace(b"\n", b"\n  ") + b"\n}\n")


def _exact(doc: Any) -> bytes:
    return json.dumps(doc, ensure_ascii=False, indent=2, allow_nan=False).encode()


def _encode_units(docs: list[dict[str, Any]], tiny: bool) -> bytes:
    """Unit objects at the document's second indentation level, separated by commas."""
    body = _exact(_nulls(docs)) if tiny else orjson.dumps(docs, option=_INDENT)  # orjson: NaN → null
    inner = body[2:-2]  # drop "[\n" and "\n]": "  {…},\n  {…}"
    return b"  " + inner.replace(b"\n", b"\n  ")


def _nulls(doc: Any) -> Any:
    """NaN → None throughout (the standard library would write ``NaN``)."""
    if isinstance(doc, float):
        return None if math.isnan(doc) else doc
    if isinstance(doc, dict):
        return {k: _nulls(v) for k, v in doc.items()}
    if isinstance(doc, list):
        return [_nulls(v) for v in doc]
    return doc


def _has_tiny(*arrays: np.ndarray) -> bool:
    for a in arrays:
        with np.errstate(invalid="ignore"):
            if bool(np.any((a != 0) & (np.abs(a) < _TINY))):
                return True
    return False


def _evaluation_chunks(ev: Evaluation, order: Sequence[str]) -> Iterator[tuple[list[dict[str, Any]], bool]]:
    """Unit objects built from the columns, ``CHUNK`` units at a time."""
    grade_names = np.asarray([*ev.grade_names, None], dtype=object)  # code -1 → None
    light_names = np.asarray(LIGHTS, dtype=object)
    inds = [(k, ev.indicators[k]) for k in order if k in ev.indicators]
    empty: list[str] = []
    # per group, the last entry for code -1; lists shared by the units of a group: serialised, never changed
    fired_ids = [[f.rule_id for f in fired] for fired in ev.firings.groups] + [empty]
    alert_lists, note_lists = [*ev.alerts.groups, empty], [*ev.notes.groups, empty]
    for start in range(0, len(ev), CHUNK):
        sl = slice(start, min(start + CHUNK, len(ev)))
        units = list(ev.units[sl])
        floats = [ev.base_score[sl], ev.points[sl], ev.score[sl]]
        cols = []
        for k, c in inds:
            floats += [c.value[sl], c.score[sl], c.weight[sl]]
            cols.append((k, c.value[sl].tolist(), c.score[sl].tolist(), light_names[c.light[sl]].tolist(),
                         c.weight[sl].tolist()))
        rank = ev.rank[sl]
        ranks = [r if r > 0 else None for r in rank.tolist()]
        base, points, score = (a.tolist() for a in floats[:3])
        grades = grade_names[ev.grade[sl]].tolist()
        names, cats = ev.names[sl], ev.categories[sl]
        fired, alerts, notes = (codes[sl].tolist() for codes in (ev.firings.codes, ev.alerts.codes, ev.notes.codes))
        docs = []
        for j, uid in enumerate(units):
            docs.append({
                "unit": uid, "name": names[j], "category": cats[j],
                "base_score": base[j], "points": points[j], "score": score[j],
                "grade": grades[j], "rank": ranks[j],
                "indicators": {k: {"value": v[j], "score": s[j], "light": li[j], "weight": w[j]}
                               for k, v, s, li, w in cols},
                "fired": fired_ids[fired[j]],
                "alerts": alert_lists[alerts[j]],
                "notes": note_lists[notes[j]],
            })
        yield docs, _has_tiny(*floats)


def _unit_chunks(units: Sequence[UnitResult], order: Sequence[str]) -> Iterator[tuple[list[dict[str, Any]], bool]]:
    """Unit objects of stored results (a re-used run), ``CHUNK`` at a time."""
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
        yield docs, _has_tiny(np.asarray(numbers, dtype=np.float64))
