"""Rows built column by column are the rows the per-unit code wrote."""

from __future__ import annotations

import json

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from kaohe.engine.store_rows import FactColumns

FLOATS = st.one_of(st.just(float("nan")), st.floats(allow_nan=False, allow_infinity=False),
                   st.sampled_from([0.0, -0.0, 1e-05, 3.5e-07, 1e16, 12.0, 0.1 + 0.2]))
TEXTS = st.one_of(st.none(), st.text(max_size=6), st.sampled_from(['a"b', "100%", "%s", "中文\\n", "\x00"]))


@settings(max_examples=150, deadline=None)
@given(data=st.data(), n=st.integers(1, 5), nums=st.integers(0, 3), strs=st.integers(0, 2))
def test_facts_json_is_json_dumps_of_each_units_facts(data, n: int, nums: int, strs: int) -> None:
    numbers = {f"n{k}%": np.asarray(data.draw(st.lists(FLOATS, min_size=n, max_size=n)), dtype=np.float64)
               for k in range(nums)}
    strings = {f"s{k}": data.draw(st.lists(TEXTS, min_size=n, max_size=n)) for k in range(strs)}
    got = FactColumns(numbers, strings).texts(0, n)
    for i in range(n):
        row: dict[str, object] = {k: None if np.isnan(c[i]) else float(c[i]) for k, c in numbers.items()}
        row.update({k: c[i] for k, c in strings.items()})
        assert got[i] == json.dumps(row, ensure_ascii=False)


def test_a_slice_of_units() -> None:
    cols = FactColumns({"x": np.arange(5, dtype=np.float64)}, {"name": list("abcde")})
    assert cols.texts(2, 4) == ['{"x": 2.0, "name": "c"}', '{"x": 3.0, "name": "d"}']
    assert FactColumns({}, {}).texts(0, 2) == ["{}", "{}"]


@settings(max_examples=40, deadline=None)
@given(sizes=st.lists(st.integers(0, 9), max_size=5), per=st.integers(1, 4))
def test_sqlite_statements_of_many_rows_insert_every_row_in_order(sizes: list[int], per: int) -> None:
    from sqlalchemy import create_engine

    from kaohe.engine import store_rows
    from kaohe.engine.store import AlertRow

    engine = create_engine("sqlite://")
    AlertRow.__table__.create(engine)  # type: ignore[attr-defined]
    batches = [[("run", f"u{b}-{i}", "alert", f"{i}%s?") for i in range(n)] for b, n in enumerate(sizes)]
    saved = store_rows.SQLITE_PARAMETERS
    store_rows.SQLITE_PARAMETERS = 4 * per  # four columns: `per` rows per statement
    try:
        with engine.begin() as conn:
            store_rows.write_rows(conn, AlertRow, store_rows.ALERT_COLUMNS, iter(batches))
            got = conn.exec_driver_sql("SELECT run_id, unit, kind, text FROM alerts ORDER BY id").all()
    finally:
        store_rows.SQLITE_PARAMETERS = saved
    assert [tuple(r) for r in got] == [row for batch in batches for row in batch]
