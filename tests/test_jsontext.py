"""engine/jsontext.py writes exactly the standard library's indented JSON, whatever the document."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kaohe.engine.jsontext import dumps

SCALARS = (st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
           | st.floats(allow_nan=False, allow_infinity=False) | st.text())
DOCS = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=5)
                    | st.dictionaries(st.text(max_size=8), inner, max_size=5), max_leaves=40)


def standard(doc: object) -> bytes:
    return json.dumps(doc, ensure_ascii=False, indent=2, allow_nan=False).encode()


@settings(max_examples=200, deadline=None)
@given(DOCS)
def test_the_same_bytes_as_the_standard_library(doc: object) -> None:
    assert dumps(doc) == standard(doc)


@pytest.mark.parametrize("doc", [
    {"a": 1e-05, "b": [1.5e-07, -5e-324]},       # orjson spells tiny numbers differently
    {"text": "0.00001 e-5", "n": 0.0001},          # a string that looks like one: the slow path, same bytes
    {1: "int key", "x": [1, 2]},                   # keys that are not strings
    {"big": 2**80, "neg": -(2**65)},               # integers beyond 64 bits
    {"ctrl": "\x00\x01\x1f\x7f\u2028\u2029\ud7ff", "tab": "\t\n\r\b\f", "quote": '"\\/'},
    {"tuple": (1, "a", None), "empty": [[], {}, ""], "neg0": -0.0, "huge": 1.7976931348623157e308},
    {"float_sub": float("1e16"), "bool": True},
    {"near": 60.000000005, "also": -10.00001, "tiny_neg": -0.00001},
])
def test_documents_orjson_writes_differently_come_out_the_same(doc: object) -> None:
    assert dumps(doc) == standard(doc)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_numbers_are_refused_as_before(bad: float) -> None:
    with pytest.raises(ValueError):
        dumps({"ok": None, "x": [1, {"y": bad}]})
