"""A value per unit that many units share: group codes and one value per group.

The rule engine sees one record per distinct rule-record content, not per
unit (engine/evaluate/candidates.py), so what rules give a unit — its
firings, alerts and notes — is the same for every unit of a group.
:class:`Grouped` keeps it that way: an integer array with each unit's group
(``-1``: nothing) and the groups' values, instead of a dict entry and a list
per unit.  It reads as a ``Mapping[str, V]`` holding only units with a
non-empty value (what the per-unit dicts held), in unit order.  Hot paths
read by row (:meth:`at`, :meth:`pairs`); looking a value up by unit id
builds an id → row index once.

Values are shared between units: never change one.
"""

from __future__ import annotations

from collections.abc import ItemsView, Iterator, Mapping, Sequence, Sized, ValuesView
from typing import Generic, TypeVar

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]

V = TypeVar("V", bound=Sized)


class Grouped(Mapping[str, V], Generic[V]):
    """Units (row ``i`` is ``units[i]``), each unit's group code, each group's value."""

    def __init__(self, units: Sequence[str], codes: np.ndarray, values: Sequence[V]):
        if len(codes) != len(units):
            raise ValueError(f"{len(codes)} group codes for {len(units)} units")
        kept = np.asarray([len(v) > 0 for v in values] + [False], dtype=bool)  # code -1 reads the last
        codes = np.asarray(codes, dtype=np.int64)
        self.units = units
        self.codes: IntArray = np.where(kept[codes], codes, -1)
        self.groups: list[V] = list(values)
        self._rows: IntArray | None = None
        self._position: dict[str, int] | None = None

    @classmethod
    def from_dict(cls, units: Sequence[str], by_unit: Mapping[str, V]) -> Grouped[V]:
        """Each unit of ``by_unit`` its own group (units not in ``units`` are an error)."""
        position = {u: i for i, u in enumerate(units)}
        codes = np.full(len(units), -1, dtype=np.int64)
        values: list[V] = []
        for unit, value in by_unit.items():
            codes[position[unit]] = len(values)
            values.append(value)
        return cls(units, codes, values)

    def rows(self) -> IntArray:
        """Rows with a value, ascending."""
        if self._rows is None:
            self._rows = np.flatnonzero(self.codes >= 0)
        return self._rows

    def at(self, i: int) -> V | None:
        """The value of row ``i`` (None when it has none)."""
        code = int(self.codes[i])
        return None if code < 0 else self.groups[code]

    def pairs(self) -> Iterator[tuple[str, V]]:
        """(unit, value) of each unit with a value, in row order."""
        units, codes, groups = self.units, self.codes, self.groups
        for i in self.rows().tolist():
            yield units[i], groups[codes[i]]

    def __len__(self) -> int:
        return len(self.rows())

    def __iter__(self) -> Iterator[str]:
        units = self.units
        return (units[i] for i in self.rows().tolist())

    def __getitem__(self, unit: str) -> V:
        if self._position is None:
            self._position = {u: i for i, u in enumerate(self.units)}
        value = self.at(self._position[unit]) if unit in self._position else None
        if value is None:
            raise KeyError(unit)
        return value

    def items(self) -> ItemsView[str, V]:
        return _Items(self)

    def values(self) -> ValuesView[V]:
        return _Values(self)

    def __repr__(self) -> str:
        return f"Grouped({len(self)} of {len(self.units)} units, {len(self.groups)} groups)"


class _Items(ItemsView[str, V]):
    _mapping: Grouped[V]

    def __iter__(self) -> Iterator[tuple[str, V]]:
        return self._mapping.pairs()


class _Values(ValuesView[V]):
    _mapping: Grouped[V]

    def __iter__(self) -> Iterator[V]:
        return (v for _, v in self._mapping.pairs())
