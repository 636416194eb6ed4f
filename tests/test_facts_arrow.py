"""Facts read column by column (pyarrow, CSV and Parquet) equal the row-by-row reading.

The columnar path only accepts clean files; it must give the same table —
values, order, names, categories and facts hash (hence the same run id) — as
the row path, and leave everything it would have to report to the row path,
whose messages (file, row, column, value) are the contract.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kaohe.engine.errors import FactsError
from kaohe.engine.facts import arrow, build_table, load_facts
from kaohe.engine.facts.readers import read_table
from kaohe.engine.ruleset import load_ruleset
from tests.samples import MINI, Q1


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    p = tmp_path_factory.mktemp("rs") / "mini.yaml"
    p.write_text(textwrap.dedent(MINI).lstrip("\n"), encoding="utf-8")
    return load_ruleset(p).model


def _fast(model, path: Path, period: str | None = "2025Q1"):
    read = arrow.read_parquet_columns(path) if path.suffix == ".parquet" else arrow.read_csv_columns(path)
    if read is None:
        return None
    return arrow.columnar_table(str(path), *read, model.facts, model.categories, period_kind="quarter",
                                period=period)


def _rows(model, path: Path, period: str | None = "2025Q1"):
    return build_table(read_table(path), model.facts, model.categories, period_kind="quarter", period=period)


def _same(a, b) -> None:
    assert (a.units, a.names, a.categories, a.parents, a.period) == (b.units, b.names, b.categories, b.parents,
                                                                      b.period)
    assert a.strings == b.strings
    assert set(a.numbers) == set(b.numbers)
    for k in a.numbers:
        assert np.array_equal(a.numbers[k], b.numbers[k], equal_nan=True), k
    assert a.sha256 == b.sha256
    assert [w.code for w in a.warnings] == [w.code for w in b.warnings]


def test_the_example_csv_takes_the_columnar_path_and_equals_the_row_path(model, tmp_path) -> None:
    p = tmp_path / "q1.csv"
    p.write_text(Q1, encoding="utf-8")
    fast = _fast(model, p)
    assert fast is not None
    _same(fast, _rows(model, p))
    _same(load_facts(p, model.facts, model.categories, period_kind="quarter", period="2025Q1"), fast)


def test_bom_blank_lines_and_padding_are_read_like_the_row_path(model, tmp_path) -> None:
    text = "\n\n" + Q1.replace("unit,name,", '"unit","name",').replace("c05,", " c05 ,").replace(",88,", ", 88 ,") + ",,,,,,,\n\n"
    p = tmp_path / "q1.csv"
    p.write_bytes(b"\xef\xbb\xbf" + text.encode())
    fast = _fast(model, p)
    assert fast is not None
    _same(fast, _rows(model, p))


@pytest.mark.parametrize("edit", [
    ("c02,刑二庭,刑事审判庭,100,99", "c02,刑二庭,刑事审判庭,100,9x9"),      # a bad number
    ("c02,刑二庭,刑事审判庭,100,99", "c02,刑二庭,刑事审判庭,100,-1"),       # below min
    ("c02,刑二庭,刑事审判庭,100,99", "c02,刑二庭,刑事审判庭,100,"),         # a required value missing
    ("c02,刑二庭,刑事审判庭", "c01,刑二庭,刑事审判庭"),                     # a repeated unit
    ("c02,刑二庭,刑事审判庭", "c02,刑二庭,刑事庭"),                         # an unknown category
    ("c02,刑二庭,刑事审判庭,100,99,81,0,0", "c02,刑二庭,刑事审判庭,100,99,81,0"),  # a ragged row
    ("c02,刑二庭,刑事审判庭,100,99", "c02,刑二庭,刑事审判庭,100,99.5"),     # not an integer
], ids=["bad-number", "below-min", "required", "repeated-unit", "category", "ragged", "not-integer"])
def test_anything_to_report_is_left_to_the_row_path(model, tmp_path, edit) -> None:
    p = tmp_path / "bad.csv"
    p.write_text(Q1.replace(*edit), encoding="utf-8")
    assert _fast(model, p) is None
    with pytest.raises(FactsError) as got:
        load_facts(p, model.facts, model.categories, period_kind="quarter", period="2025Q1")
    with pytest.raises(FactsError) as want:
        _rows(model, p)
    assert got.value.render("en") == want.value.render("en")
    assert f"{p}:3" in got.value.render("en")  # file and row of the bad cell


def test_values_only_the_row_rules_read_still_load(model, tmp_path) -> None:
    p = tmp_path / "q1.csv"
    p.write_text(Q1.replace(",100,95,", ",\"1,000\",95,").replace(",88,", ",８８,"), encoding="utf-8")
    assert _fast(model, p) is None
    t = load_facts(p, model.facts, model.categories, period_kind="quarter", period="2025Q1")
    assert t.numbers["received"][0] == 1000 and t.numbers["closed"][4] == 88


def test_gbk_falls_back_to_the_row_path(model, tmp_path) -> None:
    p = tmp_path / "gbk.csv"
    p.write_bytes(Q1.encode("gbk"))
    assert _fast(model, p) is None
    _same(load_facts(p, model.facts, model.categories, period_kind="quarter", period="2025Q1"),
          _rows(model, p))


def _table(rows: list[dict]) -> pa.Table:
    return pa.Table.from_pylist(rows)


def test_parquet_gives_the_same_table_and_hash_as_csv(model, tmp_path) -> None:
    csv = tmp_path / "q1.csv"
    csv.write_text(Q1, encoding="utf-8")
    import pyarrow.csv as pa_csv

    table = pa_csv.read_csv(csv)  # typed columns: integers, doubles, text
    pq.write_table(table, tmp_path / "q1.parquet")
    fast = _fast(model, tmp_path / "q1.parquet")
    assert fast is not None
    _same(fast, _rows(model, csv))
    _same(_rows(model, tmp_path / "q1.parquet"), fast)


def test_parquet_errors_name_row_column_and_value(model, tmp_path) -> None:
    rows = [{"unit": "c01", "category": "criminal", "received": 100, "closed": 95, "expert": 81.0},
            {"unit": "c02", "category": "criminal", "received": 100, "closed": -3, "expert": 181.0}]
    p = tmp_path / "bad.parquet"
    pq.write_table(_table(rows), p)
    with pytest.raises(FactsError) as info:
        load_facts(p, model.facts, model.categories, period_kind="quarter", period="2025Q1")
    text = info.value.render("en")
    assert f"{p}:2:4" in text and "`-3` is below the minimum 0" in text
    assert f"{p}:2:5" in text and "`181` is above the maximum 100" in text  # floats print like the cell


UNITS = st.lists(st.from_regex(r"[a-z0-9一-龥]{1,5}", fullmatch=True), min_size=1, max_size=12, unique=True)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(units=UNITS, data=st.data())
def test_any_clean_table_reads_the_same_both_ways(model, tmp_path, units: list[str], data) -> None:
    n = len(units)
    ints = st.integers(0, 10**6)
    received = data.draw(st.lists(ints, min_size=n, max_size=n))
    expert = data.draw(st.lists(st.one_of(st.floats(0, 100, allow_nan=False), st.integers(0, 100)),
                                min_size=n, max_size=n))
    optional = data.draw(st.lists(st.one_of(st.none(), ints), min_size=n, max_size=n))
    cats = data.draw(st.lists(st.sampled_from(["criminal", "civil", "刑事审判庭", " civil "]), min_size=n,
                              max_size=n))
    names = data.draw(st.lists(st.sampled_from(["", "甲", "a b", "x,y"]), min_size=n, max_size=n))
    lines = ["unit,name,category,period,received,closed,expert,innovation_awards"]
    for i, u in enumerate(units):
        name = f'"{names[i]}"' if "," in names[i] else names[i]
        lines.append(f"{u},{name},{cats[i]},2025Q1,{received[i]},{received[i]},{expert[i]!r},"
                     f"{'' if optional[i] is None else optional[i]}")
    p = tmp_path / "t.csv"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert _fast(model, p, period=None) is not None  # clean: the columnar path reads it
    fast = load_facts(p, model.facts, model.categories, period_kind="quarter")
    _same(fast, _rows(model, p, period=None))
    assert not np.isnan(fast.numbers["innovation_awards"]).any()  # the default fills the blanks


def test_trimmed_characters_are_exactly_what_str_strip_removes() -> None:
    assert set(arrow._WHITESPACE) == {chr(c) for c in range(0x110000) if chr(c).isspace()}
