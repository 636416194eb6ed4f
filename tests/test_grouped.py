"""Grouped: values shared by groups of units read exactly like the per-unit dict they replace."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kaohe.engine.grouped import Grouped

UNITS = [f"u{i}" for i in range(8)]


@given(codes=st.lists(st.integers(-1, 3), min_size=8, max_size=8),
       values=st.lists(st.lists(st.sampled_from("abc"), max_size=2), min_size=4, max_size=4))
def test_reads_like_the_dict_of_non_empty_values(codes: list[int], values: list[list[str]]) -> None:
    g = Grouped(UNITS, np.asarray(codes), values)
    as_dict = {u: values[c] for u, c in zip(UNITS, codes, strict=True) if c >= 0 and values[c]}
    assert dict(g) == as_dict and g == as_dict and list(g) == list(as_dict) and len(g) == len(as_dict)
    assert list(g.items()) == list(as_dict.items()) and list(g.values()) == list(as_dict.values())
    assert [g.at(i) for i in range(8)] == [as_dict.get(u) for u in UNITS]
    for u in UNITS:
        assert (u in g) == (u in as_dict) and g.get(u) == as_dict.get(u)
    assert Grouped.from_dict(UNITS, as_dict) == as_dict


def test_unknown_unit_and_mismatched_codes() -> None:
    g = Grouped(UNITS[:2], np.asarray([0, -1]), [["x"]])
    with pytest.raises(KeyError):
        g["nobody"]
    with pytest.raises(KeyError):
        g["u1"]
    with pytest.raises(ValueError):
        Grouped(UNITS, np.asarray([0]), [["x"]])
