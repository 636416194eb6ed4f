"""JSON text as the standard library writes it, made by orjson when that is the same bytes.

The ``--json`` documents of the CLI (``diff``, ``explain``, ``runs`` …) are
``json.dumps(doc, ensure_ascii=False, indent=2, allow_nan=False)``: the
contract golden files and automated clients compare.  The standard encoder is
pure Python when indenting, so a ``kaohe diff --json`` of 100k units spent a
third of its time there.  orjson writes the same text for every value but two:

* non-zero floats below 1e-4 in magnitude (``1e-05`` is ``0.00001`` in
  orjson, ``1.5e-07`` is ``1.5e-7``): any such number puts a ``0.0000``
  not preceded by a digit, or a digit followed by ``e-``, in orjson's text, so
  finding either (also inside a string, which merely costs the fallback)
  sends the document to the standard encoder;
* NaN and infinities: orjson writes ``null`` where the standard encoder
  refuses them; when orjson's text has a ``null``, the document is searched
  for a non-finite float, and if there is one the standard encoder refuses it
  as before.

Anything orjson does not encode the same way (keys that are not strings,
integers beyond 64 bits, subclasses, other types) makes it raise, and the
standard encoder then decides, as before.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import orjson

_TINY = re.compile(rb"(?<![0-9])0\.0000|[0-9]e-")  # 0.00001, -0.00001, 1.5e-7; not 60.000000005


def dumps(doc: Any) -> bytes:
    """``json.dumps(doc, ensure_ascii=False, indent=2, allow_nan=False)`` as UTF-8 bytes."""
    try:
        text = orjson.dumps(doc, option=orjson.OPT_INDENT_2)
    except TypeError:  # orjson.JSONEncodeError: a type or key orjson writes differently, or not at all
        return _standard(doc)
    if _TINY.search(text) is not None or (b"null" in text and _has_non_finite(doc)):
        return _standard(doc)
    return text


def _standard(doc: Any) -> bytes:
    return json.dumps(doc, ensure_ascii=False, indent=2, allow_nan=False).encode()


def _has_non_finite(doc: Any) -> bool:
    """Whether a NaN or an infinity is anywhere in ``doc`` (orjson would write it as null)."""
    stack = [doc]
    while stack:
        value = stack.pop()
        if isinstance(value, float):
            if not math.isfinite(value):
                return True
        elif isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list | tuple):
            stack.extend(value)
    return False
