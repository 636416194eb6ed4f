"""Facts files: CSV (UTF-8, BOM, GBK), XLSX, JSON; headers by id or label; every bad
cell reported together with file, row and column."""

from __future__ import annotations

import json
import math
import textwrap
from pathlib import Path

import numpy as np
import pytest

from kaohe.engine.errors import FactsError, Problem
from kaohe.engine.facts import load_facts
from kaohe.engine.ruleset import load_ruleset
from tests.samples import MINI, Q1


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    p = tmp_path_factory.mktemp("rs") / "mini.yaml"
    p.write_text(textwrap.dedent(MINI).lstrip("\n"), encoding="utf-8")
    return load_ruleset(p).model


def load(model, path, **kw):
    kw.setdefault("period_kind", "quarter")
    return load_facts(path, model.facts, model.categories, **kw)


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def errors(model, path, **kw) -> tuple[FactsError, list[Problem]]:
    with pytest.raises(FactsError) as info:
        load(model, path, **kw)
    return info.value, info.value.problems


def by_code(problems, code):
    return [p for p in problems if p.code == code]


def expected_q1(t):
    assert t.units == ["c01", "c02", "c03", "c04", "c05", "d01"]
    assert t.names[0] == "刑一庭" and t.names[-1] == "民一庭"
    assert t.categories == ["criminal"] * 5 + ["civil"]
    assert t.numbers["received"].tolist() == [100.0] * 6
    assert t.numbers["closed"].tolist() == [95, 99, 70, 90, 88, 96]
    assert t.numbers["expert"][2] == pytest.approx(72.6)
    # defaults filled for the optional facts left empty in row c03
    assert t.numbers["integrity_violations"][2] == 0 and t.numbers["innovation_awards"][2] == 0
    assert t.numbers["innovation_awards"][0] == 1


# -- formats ------------------------------------------------------------------

@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"], ids=["utf8", "bom", "gbk"])
def test_csv_encodings(model, tmp_path, encoding):
    t = load(model, write(tmp_path, "q1.csv", Q1, encoding), period="2025Q1")
    expected_q1(t)
    assert str(t.period) == "2025Q1"


def test_encodings_give_the_same_sha256(model, tmp_path):
    shas = {load(model, write(tmp_path, f"q{e}.csv", Q1, e), period="2025Q1").sha256
            for e in ("utf-8", "utf-8-sig", "gbk")}
    assert len(shas) == 1


def test_undecodable_bytes(model, tmp_path):
    p = tmp_path / "bad.csv"
    p.write_bytes(b"unit,closed\n\xff\xfe\xfa\x80\x81,1\n")
    err, problems = errors(model, p, period="2025Q1")
    assert problems and "bad.csv" in err.render()


def _xlsx(path: Path, rows: list[list[object]], sheets: dict[str, list[list[object]]] | None = None) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "首页"
    for r in rows:
        ws.append(r)
    for name, more in (sheets or {}).items():
        extra = wb.create_sheet(name)
        for r in more:
            extra.append(r)
    wb.save(path)
    return path


def _q1_rows() -> list[list[object]]:
    rows: list[list[object]] = []
    for i, line in enumerate(Q1.strip().splitlines()):
        cells = line.split(",")
        if i == 0:
            rows.append(cells)
        else:
            rows.append([c if j < 3 else (None if c == "" else float(c) if "." in c else int(c))
                         for j, c in enumerate(cells)])
    return rows


def test_xlsx_first_sheet(model, tmp_path):
    t = load(model, _xlsx(tmp_path / "q1.xlsx", _q1_rows()), period="2025Q1")
    expected_q1(t)


def test_xlsx_named_sheet(model, tmp_path):
    path = _xlsx(tmp_path / "q1.xlsx", [["说明"], ["这是封面"]], {"数据": _q1_rows()})
    t = load(model, path, period="2025Q1", sheet="数据")
    expected_q1(t)


def test_xlsx_unknown_sheet(model, tmp_path):
    path = _xlsx(tmp_path / "q1.xlsx", _q1_rows())
    err, problems = errors(model, path, period="2025Q1", sheet="Sheet9")
    assert "Sheet9" in err.render() and "首页" in err.render()


def test_xlsx_bad_cell_row_and_column(model, tmp_path):
    rows = _q1_rows()
    rows[2][4] = "九十九"  # c02's closed
    err, problems = errors(model, _xlsx(tmp_path / "q1.xlsx", rows), period="2025Q1")
    (p,) = problems
    assert p.location.line == 3 and p.location.column == 5 and p.location.path == "c02.closed"
    assert "九十九" in err.render()


def test_json_list(model, tmp_path):
    records = []
    header, *lines = Q1.strip().splitlines()
    keys = header.split(",")
    for line in lines:
        rec = {}
        for k, v in zip(keys, line.split(","), strict=True):
            if v != "":
                rec[k] = v if k in ("unit", "name", "category") else float(v)
        records.append(rec)
    t = load(model, write(tmp_path, "q1.json", json.dumps(records, ensure_ascii=False)), period="2025Q1")
    expected_q1(t)
    csv_t = load(model, write(tmp_path, "q1.csv", Q1), period="2025Q1")
    assert t.sha256 == csv_t.sha256


def test_json_bad_shape(model, tmp_path):
    err, _ = errors(model, write(tmp_path, "q.json", '{"unit": "c01"}'), period="2025Q1")
    assert "q.json" in err.render()


def test_json_syntax_error_has_line(model, tmp_path):
    err, (p,) = errors(model, write(tmp_path, "q.json", '[\n{"unit": "c01",}\n]'), period="2025Q1")
    assert p.location.line == 2


def test_unsupported_suffix(model, tmp_path):
    err, _ = errors(model, write(tmp_path, "q.txt.docx", "x"), period="2025Q1")
    assert ".docx" in err.render()


# -- headers and categories ---------------------------------------------------

def test_headers_by_id_or_label_and_categories_by_key_or_label(model, tmp_path):
    ids = "unit,name,category,received,closed,expert\nc01,一,criminal,10,9,70\nd01,二,civil,10,8,60\n"
    labels = "unit,name,category,收案数,结案数,专家评分\nc01,一,刑事审判庭,10,9,70\nd01,二,民事审判庭,10,8,60\n"
    a = load(model, write(tmp_path, "a.csv", ids), period="2025Q1")
    b = load(model, write(tmp_path, "b.csv", labels), period="2025Q1")
    assert a.categories == b.categories == ["criminal", "civil"]
    for k in ("received", "closed", "expert"):
        assert a.numbers[k].tolist() == b.numbers[k].tolist()
    assert a.sha256 == b.sha256


def test_reserved_columns_with_chinese_headers(model, tmp_path):
    text = "单位编号,单位名称,类别,上级单位,收案数,结案数,专家评分\nc01,一,criminal,中院,10,9,70\n"
    t = load(model, write(tmp_path, "a.csv", text), period="2025Q1")
    assert t.units == ["c01"] and t.names == ["一"] and t.parents == ["中院"]


def test_unknown_column_is_a_warning(model, tmp_path):
    text = "unit,category,received,closed,expert,备注\nc01,criminal,10,9,70,x\n"
    t = load(model, write(tmp_path, "a.csv", text), period="2025Q1")
    assert any("备注" in w.render() for w in t.warnings)


def test_missing_name_falls_back_to_something(model, tmp_path):
    text = "unit,category,received,closed,expert\nc01,criminal,10,9,70\n"
    t = load(model, write(tmp_path, "a.csv", text), period="2025Q1")
    assert t.names[0]


# -- periods ------------------------------------------------------------------

MULTI = """\
unit,period,category,received,closed,expert
c01,2025Q1,criminal,100,90,70
c02,2025Q1,criminal,100,80,70
c01,2025Q2,criminal,100,95,75
"""


def test_period_selects_rows(model, tmp_path):
    path = write(tmp_path, "multi.csv", MULTI)
    q1 = load(model, path, period="2025Q1")
    assert q1.units == ["c01", "c02"] and q1.numbers["closed"].tolist() == [90, 80]
    q2 = load(model, path, period="2025Q2")
    assert q2.units == ["c01"] and q2.numbers["closed"].tolist() == [95] and str(q2.period) == "2025Q2"


def test_duplicate_unit_across_periods_is_fine(model, tmp_path):
    path = write(tmp_path, "multi.csv", MULTI)
    assert load(model, path, period="2025Q2").units == ["c01"]


def test_several_periods_without_period_is_an_error(model, tmp_path):
    err, problems = errors(model, write(tmp_path, "multi.csv", MULTI))
    assert "2025Q1" in err.render() and "2025Q2" in err.render()
    assert "--period" in err.render() and "--period" in err.render("en")


def test_single_period_column_is_taken(model, tmp_path):
    text = "\n".join(MULTI.splitlines()[:3]) + "\n"
    t = load(model, write(tmp_path, "one.csv", text))
    assert str(t.period) == "2025Q1"


def test_period_not_in_file(model, tmp_path):
    err, _ = errors(model, write(tmp_path, "multi.csv", MULTI), period="2025Q4")
    assert "2025Q4" in err.render() and "2025Q1" in err.render()


def test_no_period_at_all(model, tmp_path):
    err, _ = errors(model, write(tmp_path, "q1.csv", Q1))
    assert "--period" in err.render()


def test_bad_period_argument(model, tmp_path):
    err, _ = errors(model, write(tmp_path, "q1.csv", Q1), period="2025-13")
    assert "2025-13" in err.render()


# -- bad cells, all together --------------------------------------------------

BAD = """\
unit,name,category,收案数,closed,expert,integrity_violations,改革创新奖项
c01,刑一庭,criminal,100,九十九,81,0,1
c02,刑二庭,刑事审判庭,100,99.5,81,0,0
c03,刑三庭,criminal,-1,70,72.6,,
c04,刑四庭,criminal,100,90,101,1,0
c05,刑五庭,criminal,,88,78,0,0
c05,刑五庭,criminal,100,88,78,0,0
d01,民一庭,crimnal,100,96,60,0,0
,空,civil,100,96,60,0,0
"""


def test_all_bad_cells_reported_together(model, tmp_path):
    path = write(tmp_path, "bad.csv", BAD)
    err, problems = errors(model, path, period="2025Q1")
    for p in problems:
        assert p.location is not None and Path(p.location.file).name == "bad.csv"
    got = {(p.code, p.location.line, p.location.column, p.location.path) for p in problems}
    expected = {
        ("facts.not_number", 2, 5, "c01.closed"),
        ("facts.not_integer", 3, 5, "c02.closed"),
        ("facts.below_min", 4, 4, "c03.received"),
        ("facts.above_max", 5, 6, "c04.expert"),
        ("facts.required", 6, 4, "c05.received"),
        ("facts.duplicate_unit", 7, 1, "unit"),
        ("facts.unknown_category", 8, 3, "d01.category"),
        ("facts.empty_unit", 9, 1, "unit"),
    }
    # "九十九" in an integer column may be reported as not an integer or not a number
    got = {("facts.not_number", *g[1:]) if g[0] == "facts.not_integer" and g[1] == 2 else g for g in got}
    assert got == expected, sorted(got - expected) + ["<missing>"] + sorted(expected - got)
    zh, en = err.render(), err.render("en")
    for fragment in ("bad.csv:2:5", "九十九", "99.5", "-1", "101", "crimnal", "c05", "共 8 个错误"):
        assert fragment in zh, fragment
    assert "8 error" in en


def test_unknown_category_did_you_mean(model, tmp_path):
    err, (p,) = errors(model, write(tmp_path, "a.csv",
                                    "unit,category,received,closed,expert\nd01,civi,10,9,70\n"), period="2025Q1")
    assert p.hint is not None and p.hint.params == {"name": "civil"}
    assert "civil" in err.render("en")


def test_unknown_category_lists_choices(model, tmp_path):
    err, (p,) = errors(model, write(tmp_path, "a.csv",
                                    "unit,category,received,closed,expert\nd01,family,10,9,70\n"), period="2025Q1")
    assert p.hint is not None
    hint = p.hint.render("en")
    assert "criminal" in hint and "civil" in hint


def test_missing_unit_column(model, tmp_path):
    err, problems = errors(model, write(tmp_path, "a.csv",
                                        "name,category,received,closed,expert\n一,civil,10,9,70\n"), period="2025Q1")
    p = by_code(problems, "facts.no_unit_column")
    assert p and p[0].location.line == 1
    assert "unit" in err.render()


def test_missing_required_column_and_bad_cell_together(model, tmp_path):
    text = "unit,category,结案数,expert\nc01,criminal,abc,70\n"
    err, problems = errors(model, write(tmp_path, "a.csv", text), period="2025Q1")
    codes = {p.code for p in problems}
    assert "facts.missing_column" in codes
    missing = by_code(problems, "facts.missing_column")[0]
    assert missing.location.path == "received" and missing.location.line == 1
    assert "收案数" in err.render()


def test_ragged_row(model, tmp_path):
    text = "unit,category,received,closed,expert\nc01,criminal,10,9\n"
    err, problems = errors(model, write(tmp_path, "a.csv", text), period="2025Q1")
    assert problems[0].location.line == 2


def test_full_width_digits_accepted(model, tmp_path):
    text = "unit,category,received,closed,expert\nc01,criminal,１００,９５,７２．６\n"
    t = load(model, write(tmp_path, "a.csv", text), period="2025Q1")
    assert t.numbers["received"][0] == 100 and t.numbers["closed"][0] == 95
    assert t.numbers["expert"][0] == pytest.approx(72.6)


def test_full_width_digits_same_sha256_as_ascii(model, tmp_path):
    a = load(model, write(tmp_path, "a.csv", "unit,category,received,closed,expert\nc01,criminal,１００,９５,70\n"),
             period="2025Q1")
    b = load(model, write(tmp_path, "b.csv", "unit,category,received,closed,expert\nc01,criminal,100,95,70\n"),
             period="2025Q1")
    assert a.sha256 == b.sha256


def test_integer_given_as_float_with_zero_fraction(model, tmp_path):
    t = load(model, write(tmp_path, "a.csv", "unit,category,received,closed,expert\nc01,criminal,100.0,95,70\n"),
             period="2025Q1")
    assert t.numbers["received"][0] == 100


def test_optional_missing_number_is_nan(tmp_path):
    from kaohe.engine.facts import facts_from_records
    from kaohe.engine.ruleset.model import CategoryModel, FactModel

    facts = {"x": FactModel(label="X", type="number", required=False)}
    t = facts_from_records([{"unit": "a", "category": "k"}, {"unit": "b", "category": "k", "x": 1}],
                           facts, {"k": CategoryModel(label="K")}, period_kind="quarter")
    assert math.isnan(t.numbers["x"][0]) and t.numbers["x"][1] == 1


def test_default_filled_for_blank_and_absent(model, tmp_path):
    text = "unit,category,received,closed,expert,integrity_violations\nc01,criminal,10,9,70,\nc02,criminal,10,9,70,2\n"
    t = load(model, write(tmp_path, "a.csv", text), period="2025Q1")
    assert t.numbers["integrity_violations"].tolist() == [0, 2]
    assert t.numbers["innovation_awards"].tolist() == [0, 0]


# -- order independence ---------------------------------------------------------

def test_units_sorted_and_sha256_independent_of_row_order(model, tmp_path):
    header, *rows = Q1.strip().splitlines()
    shuffled = "\n".join([header, rows[3], rows[5], rows[0], rows[2], rows[4], rows[1]]) + "\n"
    a = load(model, write(tmp_path, "a.csv", Q1), period="2025Q1")
    b = load(model, write(tmp_path, "b.csv", shuffled), period="2025Q1")
    assert b.units == sorted(b.units) == a.units
    assert a.sha256 == b.sha256
    for k in a.numbers:
        np.testing.assert_array_equal(a.numbers[k], b.numbers[k])


def test_sha256_independent_of_column_order(model, tmp_path):
    a = load(model, write(tmp_path, "a.csv", "unit,category,received,closed,expert\nc01,criminal,10,9,70\n"),
             period="2025Q1")
    b = load(model, write(tmp_path, "b.csv", "expert,closed,received,category,unit\n70,9,10,criminal,c01\n"),
             period="2025Q1")
    assert a.sha256 == b.sha256


def test_sha256_changes_with_content(model, tmp_path):
    a = load(model, write(tmp_path, "a.csv", Q1), period="2025Q1")
    b = load(model, write(tmp_path, "b.csv", Q1.replace("100,95,81", "100,94,81")), period="2025Q1")
    assert a.sha256 != b.sha256


def test_bad_period_message_is_all_chinese(model, tmp_path):
    """The Chinese message names the period kind in Chinese (季度), not `quarter`."""
    text = "unit,period,category,received,closed,expert\nc01,2025-03,criminal,10,9,70\n"
    err, (p,) = errors(model, write(tmp_path, "a.csv", text))
    assert p.location.line == 2 and p.location.column == 2 and p.location.path == "period"
    zh = err.render()
    assert "2025-03" in zh and "2025Q1" in zh
    assert "季度" in zh and "quarter" not in zh, zh
    assert "quarter" in err.render("en")


def test_bad_period_argument_message_is_all_chinese(model, tmp_path):
    err, _ = errors(model, write(tmp_path, "q1.csv", Q1), period="2025H1")
    assert "季度" in err.render() and "quarter" not in err.render()


def test_json_bool_in_integer_column_is_rejected(model, tmp_path):
    p = write(tmp_path, "a.json", '[{"unit":"c01","category":"criminal","received":true,"closed":9,"expert":70}]')
    err, (problem,) = errors(model, p, period="2025Q1")
    assert problem.location.path == "c01.received"


def test_nan_and_inf_are_not_numbers(model, tmp_path):
    text = "unit,category,received,closed,expert\nc01,criminal,10,9,nan\nc02,criminal,10,9,inf\n"
    err, problems = errors(model, write(tmp_path, "a.csv", text), period="2025Q1")
    assert {(p.location.line, p.location.path) for p in problems} == {(2, "c01.expert"), (3, "c02.expert")}


def test_unit_ids_are_trimmed_before_duplicate_check(model, tmp_path):
    text = "unit,category,received,closed,expert\nc01,criminal,10,9,70\n c01 ,criminal,10,9,70\n"
    err, (p,) = errors(model, write(tmp_path, "a.csv", text), period="2025Q1")
    assert p.code == "facts.duplicate_unit" and p.location.line == 3


def test_duplicate_fact_column_by_id_and_label(model, tmp_path):
    text = "unit,category,received,closed,结案数,expert\nc01,criminal,10,9,9,70\n"
    err, (p,) = errors(model, write(tmp_path, "a.csv", text), period="2025Q1")
    assert p.location.line == 1 and p.location.column == 5 and "结案数" in err.render()


def test_missing_category_column_with_several_categories(model, tmp_path):
    err, (p,) = errors(model, write(tmp_path, "a.csv", "unit,received,closed,expert\nc01,10,9,70\n"),
                       period="2025Q1")
    assert p.location.line == 1 and p.hint is not None
    assert "criminal" in p.hint.render("zh") and "刑事审判庭" in p.hint.render("zh")


def test_period_column_in_chinese_forms(model, tmp_path):
    text = "unit,考核期,category,received,closed,expert\nc01,2025年第一季度,criminal,10,9,70\nc02,2025Q1,criminal,10,9,70\n"
    t = load(model, write(tmp_path, "a.csv", text))
    assert str(t.period) == "2025Q1" and t.units == ["c01", "c02"]
