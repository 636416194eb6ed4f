"""JSON text of whole columns, each value spelt as Python's ``json`` module spells it.

Where a million values become JSON text (the ``--json`` document, the facts
stored with each unit), no Python string is made per value: a column of
numbers is encoded by one orjson call and cut into an Arrow string array at
the commas between numbers (found with numpy); strings are escaped by Arrow
string kernels; pieces are joined element-wise by Arrow.  The text is that
of ``json.dumps(value, ensure_ascii=False)`` (tests/test_jsoncolumns.py checks
every code point): orjson writes the same shortest round-trip digits for
floats, except below 1e-4, where it avoids the exponent (``0.00001`` for
``1e-05``) — those few values are spelt with ``repr``.  A missing number
(NaN) is ``null``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

_NUMPY = orjson.OPT_SERIALIZE_NUMPY
_TINY = 1e-4
_COMMA = ord(",")


def float_texts(values: np.ndarray) -> pa.StringArray:
    """Each number as ``json.dumps`` writes it; NaN (and infinities) as ``null``."""
    values = np.ascontiguousarray(values, dtype=np.float64)
    if not len(values):
        return _EMPTY
    text = _split(orjson.dumps(values, option=_NUMPY), len(values))
    with np.errstate(invalid="ignore"):
        tiny = (values != 0) & (np.abs(values) < _TINY)
    if tiny.any():
        exact = pa.array([repr(float(v)) for v in values[tiny]], pa.string())
        text = pc.replace_with_mask(text, pa.array(tiny), exact)
    return text


def int_texts(values: np.ndarray, null: np.ndarray | None = None) -> pa.StringArray:
    """Whole numbers as text; ``null`` where the mask ``null`` is true."""
    values = np.ascontiguousarray(values, dtype=np.int64)
    if not len(values):
        return _EMPTY
    text = _split(orjson.dumps(values, option=_NUMPY), len(values))
    return text if null is None or not null.any() else pc.if_else(pa.array(null), "null", text)


def string_texts(values: Sequence[str | None]) -> pa.StringArray:
    """Each string as a JSON string, quoted and escaped as ``json.dumps`` escapes it:
    ``\\`` and ``"`` with a backslash, control characters as ``\\n`` … or ``\\u00XX``;
    None as ``null``."""
    if not values:
        return _EMPTY
    text = pa.array(values, pa.string())
    text = pc.replace_substring(pc.replace_substring(text, "\\", "\\\\"), '"', '\\"')
    if pc.any(pc.match_substring_regex(text, "[\\x00-\\x1f]")).as_py():
        for c in range(0x20):
            text = pc.replace_substring(text, chr(c), _SHORT.get(chr(c), f"\\u{c:04x}"))
    quoted = join(['"', text, '"'])
    return pc.fill_null(quoted, "null") if quoted.null_count else quoted


_SHORT = {"\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
"""Control characters json.dumps writes with a letter; the others are ``\\u00XX``."""


def pick(texts: Sequence[str], codes: np.ndarray) -> pa.StringArray:
    """``texts[code]`` for each code (a code of -1 picks the last text)."""
    table = pa.array(list(texts), pa.string())
    index = np.where(codes < 0, len(texts) + codes, codes).astype(np.int64)
    return table.take(pa.array(index))


def join(pieces: Sequence[str | pa.Array]) -> pa.StringArray:
    """Element-wise concatenation of columns of text and fixed strings."""
    args = [pa.scalar(p, pa.string()) if isinstance(p, str) else p for p in pieces]
    return pc.binary_join_element_wise(*args, "")


def dumps_list(values: Sequence[str | None]) -> bytes:
    """``json.dumps(list(values), ensure_ascii=False).encode()`` (text and None only)."""
    if not values:
        return b"[]"
    return b"".join([b"[", joined_bytes(join([string_texts(values), ", "]), cut=2), b"]"])


def joined_bytes(texts: pa.StringArray, cut: int = 0) -> memoryview:
    """The texts one after the other, as one buffer (without the last ``cut`` bytes)."""
    if len(texts) == 0:
        return memoryview(b"")
    offsets = np.frombuffer(texts.buffers()[1], dtype=np.int32, count=len(texts) + 1, offset=texts.offset * 4)
    data = memoryview(texts.buffers()[2])
    return data[int(offsets[0]):int(offsets[-1]) - cut]


def _split(encoded: bytes, count: int) -> pa.StringArray:
    """The numbers of orjson's ``[a,b,…]`` as an Arrow string array (each one's own text)."""
    body = np.frombuffer(encoded, dtype=np.uint8)[1:-1]
    is_comma = body == _COMMA
    commas = np.flatnonzero(is_comma)
    if len(commas) != count - 1:
        raise ValueError(f"expected {count} numbers, found {len(commas) + 1}")
    ends = np.append(commas, len(body)) - np.arange(count)  # each comma before a value shifts it left
    offsets = np.concatenate([[0], ends]).astype(np.int32)
    data = body[~is_comma]
    return pa.StringArray.from_buffers(count, pa.py_buffer(offsets), pa.py_buffer(data))


_EMPTY = pa.array([], pa.string())
