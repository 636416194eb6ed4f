"""Columns as JSON text: each value exactly as ``json.dumps(value, ensure_ascii=False)`` writes it."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kaohe.engine.jsoncolumns import (
    dumps_list,
    float_texts,
    int_texts,
    join,
    joined_bytes,
    pick,
    string_texts,
)


def _dumps(x: float) -> str:
    return "null" if not math.isfinite(x) else json.dumps(x)


@given(st.lists(st.one_of(st.floats(), st.sampled_from([1e-5, -2.5e-7, 1e-4, 5e-324, 1e16, -0.0, 0.0, 1e22]))))
def test_numbers_as_python_writes_them(values: list[float]) -> None:
    assert float_texts(np.asarray(values, dtype=np.float64)).to_pylist() == [_dumps(v) for v in values]


@given(st.lists(st.integers(-5, 10**12)))
def test_whole_numbers_and_nulls(values: list[int]) -> None:
    array = np.asarray(values, dtype=np.int64)
    assert int_texts(array).to_pylist() == [json.dumps(v) for v in values]
    assert int_texts(array, null=array <= 0).to_pylist() == [str(v) if v > 0 else "null" for v in values]


@given(st.lists(st.one_of(st.none(), st.text(), st.sampled_from(['","', '"', "\\", "a\\", '\\"', ",", '",', "", "社区\u2028"]))))
def test_strings_escaped_as_python_escapes_them(values: list[str]) -> None:
    assert string_texts(values).to_pylist() == [json.dumps(v, ensure_ascii=False) for v in values]


def test_every_code_point_is_escaped_as_python_escapes_it() -> None:
    chars = [chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000]
    assert string_texts(chars).to_pylist() == [json.dumps(c, ensure_ascii=False) for c in chars]


def test_a_column_that_is_not_all_text_is_refused() -> None:
    with pytest.raises(TypeError):
        string_texts(["a", 1, "b"])  # type: ignore[list-item]


def test_pick_join_and_the_joined_buffer() -> None:
    picked = pick(["x", "y", "none"], np.asarray([1, -1, 0]))
    assert picked.to_pylist() == ["y", "none", "x"]
    texts = join(["<", picked, "|", string_texts(["a", "b", "c"]), ">,"])
    assert texts.to_pylist() == ['<y|"a">,', '<none|"b">,', '<x|"c">,']
    assert bytes(joined_bytes(texts, cut=1)) == b'<y|"a">,<none|"b">,<x|"c">'
    assert bytes(joined_bytes(texts.slice(1), cut=1)) == b'<none|"b">,<x|"c">'
    assert float_texts(np.zeros(0)).to_pylist() == [] and string_texts([]).to_pylist() == []


@given(st.lists(st.one_of(st.none(), st.text())))
def test_a_whole_list_as_python_writes_it(values: list[str | None]) -> None:
    assert dumps_list(values) == json.dumps(values, ensure_ascii=False).encode()
