"""Where each value came from: the file (and sheet) and row, or the query.

A :class:`FactTable` keeps its origins (one per file, sheet or query) and, for
each origin, the row every unit was read from (0 when the unit is not in that
source).  That is enough to say 「来源：信访局.xlsx 第 5 行」 for any fact of
any unit, to point an error at the row to fix, and to store the provenance
with the run at one small integer per unit and source.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

import numpy as np

from kaohe.engine.errors import Location
from kaohe.engine.i18n import Lang, phrase, register, text

register(
    {
        "source.file_row": ("{name} 第 {row} 行", "{name} row {row}"),
        "source.sheet_row": ("{name}「{sheet}」第 {row} 行", "{name} sheet {sheet} row {row}"),
        "source.query_row": ("查询 {name}（{db}）第 {row} 行", "query {name} ({db}) row {row}"),
    }
)


@dataclass(frozen=True)
class Origin:
    """One source of facts: a file (with its sheet) or a SQL query (with its masked database URL)."""

    path: str
    sheet: str | None = None
    db: str | None = None
    facts: tuple[str, ...] = ()
    sha256: str = ""

    @property
    def where(self) -> str:
        """The file of messages: ``信访局.xlsx``, ``表.xlsx[信访局]``, or ``facts.sql[result]`` for a query."""
        if self.db is not None:
            return f"{self.path}[result]"
        return self.path if self.sheet is None else f"{self.path}[{self.sheet}]"

    @property
    def name(self) -> str:
        """The file name people recognise (``信访局.xlsx``), without the folders."""
        return PurePath(self.path).name or self.path

    def describe(self, row: int, lang: Lang = "zh") -> str:
        """``信访局.xlsx 第 5 行`` (or the sheet, or the query) in ``lang``."""
        params = self.phrase(row)
        return text(str(params.pop("msg")), lang, **params)

    def phrase(self, row: int) -> dict[str, object]:
        """:meth:`describe` as a message parameter (rendered in the message's language)."""
        if self.db is not None:
            return phrase("source.query_row", name=self.name, db=self.db, row=row)
        if self.sheet is not None:
            return phrase("source.sheet_row", name=self.name, sheet=self.sheet, row=row)
        return phrase("source.file_row", name=self.name, row=row)

    def as_json(self) -> dict[str, Any]:
        """What the stored run keeps of this source (never a password: ``db`` is masked)."""
        return {"path": self.path, "sheet": self.sheet, "db": self.db, "facts": list(self.facts),
                "sha256": self.sha256}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Origin:
        """The inverse of :meth:`as_json`."""
        return cls(str(doc.get("path", "")), doc.get("sheet"), doc.get("db"), tuple(doc.get("facts") or ()),
                   str(doc.get("sha256", "")))


def rows_of(origins: Sequence[Origin], lines: Sequence[np.ndarray], i: int,
            facts: Iterable[str] | None = None) -> list[tuple[Origin, int]]:
    """(origin, row) of unit ``i`` in each source that gives one of ``facts`` (all sources when None)."""
    wanted = None if facts is None else set(facts)
    out: list[tuple[Origin, int]] = []
    for origin, column in zip(origins, lines, strict=True):
        row = int(column[i]) if i < len(column) else 0
        if row > 0 and (wanted is None or wanted & set(origin.facts)):
            out.append((origin, row))
    return out


def location(origins: Sequence[Origin], lines: Sequence[np.ndarray], i: int, facts: Iterable[str] | None,
             path: str | None) -> Location:
    """Where to point a problem about unit ``i``: the first source row holding ``facts``."""
    facts = list(facts) if facts is not None else None
    found = rows_of(origins, lines, i, facts) or rows_of(origins, lines, i)
    if not found:
        return Location(origins[0].path if origins else None, None, None, path)
    origin, row = found[0]
    return Location(origin.where, row, None, path)
