"""Generate the example fact files for the bundled regions (seeded, standard library only).

    python examples/generate.py            # writes examples/<region>/<period>.csv
                                           # (and examples/pzhen/ratings.csv, the 民主测评, and
                                           # examples/huojia-county/towns/: three departments' files)
    python examples/generate.py --out DIR  # writes DIR/<region>/<period>.csv

The data are invented but shaped like the real thing: case counts carry over
from quarter to quarter (旧存 = last quarter's 旧存 + 收案 − 结案), a few units
light red two quarters running, one unit has an integrity violation, a few win
innovation awards, and some optional cells are left empty.  The same seed
always gives byte-identical files, and tests/test_examples.py checks that the
committed files match.
"""

from __future__ import annotations

import argparse
import csv
import random
from collections.abc import Sequence
from pathlib import Path

SEED = 20250101
REVIEW_SEED = 20250701  # seniority and the 民主测评 ratings: their own stream, so the other files never change
ANNUAL_SEED = 20251224  # the court's annual-only facts: their own stream as well
HERE = Path(__file__).resolve().parent

Row = dict[str, object]


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Row]) -> None:
    """UTF-8 CSV with ``\\n`` line endings; missing keys and ``None`` become empty cells."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        for row in rows:
            w.writerow(["" if row.get(h) is None else row[h] for h in header])


def one_decimal(x: float) -> float:
    """Round half up to one decimal (as staff would type it)."""
    return int(x * 10 + 0.5) / 10


# ---------------------------------------------------------------- 顺德法院
COURT_UNITS = [
    # unit, name, category, judges, cases per judge per quarter, typical closure, avg days
    ("xs1", "刑事审判一庭", "criminal", 5, 45, 0.93, 42),
    ("xs2", "刑事审判二庭", "criminal", 4, 44, 0.92, 46),
    ("xs3", "刑事审判三庭", "criminal", 4, 40, 0.90, 50),
    ("xs4", "未成年人刑事审判庭", "criminal", 3, 36, 0.93, 44),
    ("xs5", "刑事速裁团队", "criminal", 3, 52, 0.96, 20),
    ("ms1", "民事审判一庭", "civil", 6, 80, 0.92, 56),
    ("ms2", "民事审判二庭", "civil", 6, 78, 0.91, 60),
    ("ms3", "民事审判三庭", "civil", 5, 88, 0.74, 88),  # 案多人少：上半年连续亮红灯
    ("ms4", "商事审判庭", "civil", 7, 76, 0.90, 64),
    ("ms5", "金融审判庭", "civil", 5, 92, 0.94, 40),
    ("ms6", "知识产权审判庭", "civil", 4, 60, 0.88, 74),
    ("ms7", "大良人民法庭", "civil", 6, 86, 0.93, 50),
    ("ms8", "容桂人民法庭", "civil", 7, 88, 0.91, 52),
    ("ms9", "勒流人民法庭", "civil", 4, 84, 0.93, 48),
    ("ms10", "北滘人民法庭", "civil", 5, 86, 0.92, 50),
    ("ms11", "乐从人民法庭", "civil", 4, 82, 0.93, 46),
    ("xz1", "行政审判庭", "administrative", 4, 34, 0.90, 66),
    ("xz2", "环境资源审判庭", "administrative", 3, 30, 0.91, 62),
    ("xz3", "行政争议审查团队", "administrative", 3, 32, 0.92, 56),
    ("zx1", "执行实施一庭", "enforcement", 8, 140, 0.91, 70),
    ("zx2", "执行实施二庭", "enforcement", 8, 136, 0.90, 74),
    ("zx3", "执行实施三庭", "enforcement", 6, 145, 0.86, 88),  # 二、三季度连续亮红灯
    ("zx4", "执行裁判庭", "enforcement", 4, 120, 0.93, 48),
    ("zx5", "财产保全执行团队", "enforcement", 4, 150, 0.95, 32),
]
COURT_HEADER = ["unit", "name", "category", "period", "judges", "pending_start", "received", "closed",
                "closed_in_time", "reversed", "trial_days", "integrity_violations", "innovation_awards",
                "model_cases"]
QUARTERS = ["2025Q1", "2025Q2", "2025Q3", "2025Q4"]
# Events that make the rules fire in the example data.
COURT_RED = {("ms3", "2025Q1"), ("ms3", "2025Q2"), ("zx3", "2025Q2"), ("zx3", "2025Q3")}
COURT_INTEGRITY = {("zx2", "2025Q3")}
COURT_AWARDS = {("ms5", "2025Q2"): 1, ("xs5", "2025Q3"): 1, ("ms7", "2025Q4"): 2, ("xz2", "2025Q4"): 1}
COURT_MODEL_CASES = {("ms5", "2025Q2"): 1, ("ms6", "2025Q3"): 1, ("xs1", "2025Q4"): 1}
COURT_REVERSAL_SPIKE = {("ms6", "2025Q2"), ("xz1", "2025Q4")}


def court(rng: random.Random) -> dict[str, list[Row]]:
    """24 庭/局 of a basic court, four quarters with cases carried over."""
    pending = {u[0]: int(u[3] * u[4] * rng.uniform(0.2, 0.35)) for u in COURT_UNITS}
    out: dict[str, list[Row]] = {}
    for qi, period in enumerate(QUARTERS):
        rows: list[Row] = []
        for unit, name, cat, judges, load, closure, days in COURT_UNITS:
            j = judges + (1 if (unit == "ms3" and qi == 3) else 0)  # 第四季度给民三庭增配一名法官
            seasonal = (0.85, 1.05, 1.0, 1.1)[qi]
            received = max(5, int(j * load * seasonal * rng.uniform(0.9, 1.1)))
            total = pending[unit] + received
            frac = closure + rng.uniform(-0.03, 0.03) + (0.02 if qi == 3 else 0.0)
            if (unit, period) in COURT_RED:
                frac = rng.uniform(0.64, 0.72)
            # 财产保全团队四季度年底突击结案：结案率过高，亮黄灯
            frac = 0.99 if (unit == "zx5" and qi == 3) else min(frac, 0.975)
            closed = min(total, round(total * frac))
            in_time = round(closed * min(1.0, rng.uniform(0.955, 1.0)))
            row: Row = {"unit": unit, "name": name, "category": cat, "period": period, "judges": j,
                        "pending_start": pending[unit], "received": received, "closed": closed,
                        "closed_in_time": in_time,
                        "trial_days": round(closed * days * rng.uniform(0.9, 1.1))}
            if cat != "enforcement":  # 执行案件不计发改，空着按 0
                rate = rng.uniform(0.002, 0.025)
                if (unit, period) in COURT_REVERSAL_SPIKE:
                    rate = rng.uniform(0.05, 0.07)
                row["reversed"] = round(closed * rate)
            row["integrity_violations"] = 1 if (unit, period) in COURT_INTEGRITY else (0 if qi % 2 else None)
            row["innovation_awards"] = COURT_AWARDS.get((unit, period))
            row["model_cases"] = COURT_MODEL_CASES.get((unit, period))
            pending[unit] = total - closed
            rows.append(row)
        out[period] = rows
    return out


# ---------------------------------------------------------------- 北京市 P 镇
PZHEN_UNITS = [
    # unit, name, category label, staff, norm per staff (None: category default), volume ratio
    ("sbs", "社会保障所", "民生服务", 20, 5000, 1.2),
    ("mzk", "民政科", "民生服务", 6, 900, 1.0),
    ("lnxh", "老年协会", "民生服务", 3, 200, 1.05),
    ("tyjr", "退役军人服务站", "民生服务", 3, 300, 0.95),
    ("cl", "残疾人联合会", "民生服务", 3, None, 0.9),
    ("wjb", "卫生健康办公室", "民生服务", 4, 800, 1.0),
    ("bmfw", "便民服务中心", "民生服务", 12, 3000, 1.1),
    ("dzb", "党政办公室", "综合管理", 8, 700, 1.1),
    ("czs", "财政所", "综合管理", 6, 500, 1.0),
    ("zzk", "组织科", "综合管理", 4, None, 0.95),
    ("xck", "宣传科", "综合管理", 3, None, 0.9),
    ("jjb", "经济发展办公室", "综合管理", 5, 600, 0.85),
    ("sqjs", "社区建设办公室", "综合管理", 5, 650, 1.0),
    ("zfd", "综合行政执法队", "执法监督", 15, 1000, 1.1),
    ("ajk", "安全生产监督管理科", "执法监督", 6, 800, 1.0),
    ("cgb", "城市管理办公室", "执法监督", 7, 900, 0.95),
    ("sthj", "生态环境办公室", "执法监督", 4, None, 0.9),
    ("scjg", "市场监管协管站", "执法监督", 5, 850, 0.8),
]
PZHEN_HEADER = ["unit", "name", "category", "period", "在岗人数", "下达任务数", "完成任务数", "群众满意度",
                "12345工单数", "12345工单办结数", "服务人次", "人均核定工作量", "五好评议得分", "有效投诉件数"]
CATEGORY_NORM = {"民生服务": 1500, "综合管理": 600, "执法监督": 900}


def pzhen_units(rng: random.Random) -> dict[str, list[Row]]:
    """18 科室 of a township government, four quarters."""
    out: dict[str, list[Row]] = {}
    for qi, period in enumerate(QUARTERS):
        rows: list[Row] = []
        for unit, name, cat, staff, norm, ratio in PZHEN_UNITS:
            r = ratio * rng.uniform(0.9, 1.1)
            if unit == "sbs" and qi == 0:
                r = 1.36  # 一季度社保年度核定，社保所负荷过重
            volume = round(staff * (norm or CATEGORY_NORM[cat]) * r)
            tasks = rng.randint(12, 40) + staff
            done_frac = rng.uniform(0.86, 1.0)
            if (unit, period) in {("jjb", "2025Q2"), ("sthj", "2025Q3")}:
                done_frac = rng.uniform(0.75, 0.83)  # 任务完成率红灯
            hotline = rng.randint(0, 6) if cat == "综合管理" else rng.randint(8, 60) * (2 if staff > 10 else 1)
            row: Row = {"unit": unit, "name": name, "category": cat, "period": period, "在岗人数": staff,
                        "下达任务数": tasks, "完成任务数": min(tasks, round(tasks * done_frac)),
                        "群众满意度": one_decimal(rng.uniform(82, 97)),
                        "服务人次": volume, "人均核定工作量": norm,
                        "五好评议得分": one_decimal(rng.uniform(78, 97))}
            if hotline:
                row["12345工单数"] = hotline
                row["12345工单办结数"] = hotline - min(hotline, rng.randint(0, max(1, hotline // 10)))
            complaints = 3 if (unit, period) == ("cgb", "2025Q3") else rng.choice([0, 0, 0, 1, None])
            row["有效投诉件数"] = complaints
            rows.append(row)
        out[period] = rows
    return out


SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉兰淑珍海燕晓东立新文博思远雅琴"


def person_name(rng: random.Random, used: set[str]) -> str:
    """A plausible Chinese name, unique within the file."""
    while True:
        n = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        if n not in used:
            used.add(n)
            return n


STAFF_HEADER = ["unit", "name", "category", "period", "parent", "业务知识测试成绩", "分配任务数", "按时完成任务数",
                "发生风险事项数", "提前预判风险事项数", "所在科室考核得分", "服务对象评价", "受处分次数", "表彰次数", "工作年限"]


def pzhen_staff(rng: random.Random) -> dict[str, list[Row]]:
    """40 people (8 科长, 32 科员) of the township's offices, two half-years."""
    used: set[str] = set()
    offices = [u[0] for u in PZHEN_UNITS]
    people = []
    for i in range(40):
        chief = i < 8
        ability = rng.uniform(0.6, 1.0)
        people.append((f"s{i + 1:03d}", person_name(rng, used), "科长" if chief else "科员",
                       offices[i % len(offices)], ability))
    out: dict[str, list[Row]] = {}
    for period in ("2025H1", "2025H2"):
        rows: list[Row] = []
        for unit, name, cat, office, ability in people:
            row: Row = {"unit": unit, "name": name, "category": cat, "period": period, "parent": office,
                        "服务对象评价": one_decimal(min(100.0, 74 + 22 * ability + rng.uniform(-4, 4)))}
            if cat == "科员":
                skill = 55 + 43 * ability + rng.uniform(-5, 5)
                if (unit, period) == ("s031", "2025H1"):
                    skill = 54.0  # 业务测试不及格
                tasks = rng.randint(20, 48)
                row["业务知识测试成绩"] = one_decimal(min(100.0, skill))
                row["分配任务数"] = tasks
                row["按时完成任务数"] = min(tasks, round(tasks * min(1.0, 0.72 + 0.3 * ability)))
            else:
                occurred = 0 if (unit, period) == ("s004", "2025H2") else rng.randint(3, 12)
                row["发生风险事项数"] = occurred
                row["提前预判风险事项数"] = min(occurred, round(occurred * (0.35 + 0.6 * ability)))
                row["所在科室考核得分"] = one_decimal(68 + 28 * ability + rng.uniform(-3, 3))
            if (unit, period) == ("s022", "2025H2"):
                row["受处分次数"] = 1
            if rng.random() < 0.08:
                row["表彰次数"] = 1
            rows.append(row)
        out[period] = rows
    return out


# 民主测评 (360 度): who rates whom, for rulesets/pzhen/staff-review.yaml
RATING_HEADER = ["period", "rater", "rater_role", "ratee", "score"]
LEADERS = ("l01", "l02", "l03")             # 分管领导, each over six 科室 (by PZHEN_UNITS order)
RESIDENTS = tuple(f"r{i:02d}" for i in range(1, 7))  # 服务对象
RATER_BIAS = {"l01": 8.0, "s002": 8.0, "l03": -10.0}  # two lenient raters, one harsh one
EXPERIENCE_EFFECT = 0.2                    # real performance: points per year of service, seen by everyone
POPULARITY_EFFECT = 0.6                    # 人缘竞赛: what 同级 add on top, per year of service


def add_seniority(staff: dict[str, list[Row]], rng: random.Random) -> None:
    """工作年限 (whole years, the same in both half-years of 2025) for every person, in place."""
    years: dict[str, int] = {}
    for rows in staff.values():
        for row in rows:
            unit = str(row["unit"])
            if unit not in years:
                years[unit] = rng.randint(3, 28) if row["category"] == "科长" else rng.randint(1, 22)
            row["工作年限"] = years[unit]


def review_row(rng: random.Random, period: str, rater: str, role: str, ratee: Row, bias: float,
               mean_years: float) -> Row:
    """One rating: true performance (from 服务对象评价 and experience) + the rater's bias + noise (+ popularity)."""
    quality = (float(str(ratee["服务对象评价"])) - 74) / 22  # about 0.6 .. 1.0
    years = int(str(ratee["工作年限"])) - mean_years
    effect = EXPERIENCE_EFFECT + (POPULARITY_EFFECT if role == "同级" else 0.0)
    s = 60 + 30 * quality + effect * years + bias + RATER_BIAS.get(rater, 0.0) + rng.gauss(0, 3)
    return {"period": period, "rater": rater, "rater_role": role, "ratee": ratee["unit"],
            "score": round(min(100.0, max(40.0, s)))}


def pzhen_reviews(staff: dict[str, list[Row]], rng: random.Random) -> list[Row]:
    """Ratings of the staff, both half-years in one file.

    True performance follows the 服务对象评价 column and rises a little with
    experience (EXPERIENCE_EFFECT, seen by every rater); every rater adds a
    small personal bias (the three in RATER_BIAS a large one), and peers (同级)
    rate long-serving colleagues higher still (POPULARITY_EFFECT, 人缘竞赛).  Roles: 上级 (科长 rates
    the 科员 of the 科室; 分管领导 rates 科长 and the 科员 of 科室 without one),
    同级 (科长 rate all other 科长; 科员 rate the 科员 under the same 分管领导),
    下级 (科员 rate their 科长), 服务对象 (each resident rates eight people).
    """
    offices = [u[0] for u in PZHEN_UNITS]
    leader_of = {o: LEADERS[i // 6] for i, o in enumerate(offices)}
    everyone = sorted({str(r["unit"]) for rows in staff.values() for r in rows})
    bias = {r: rng.gauss(0, 2) for r in (*LEADERS, *RESIDENTS, *everyone)}
    out: list[Row] = []
    for period, rows in staff.items():
        people = {str(r["unit"]): r for r in rows}
        chief_of = {str(r["parent"]): u for u, r in people.items() if r["category"] == "科长"}
        clerks = [u for u, r in people.items() if r["category"] == "科员"]
        chiefs = [u for u, r in people.items() if r["category"] == "科长"]
        mean_years = sum(int(str(r["工作年限"])) for r in rows) / len(rows)
        who: list[tuple[str, str, str]] = []  # (rater, role, ratee)
        for u in chiefs:
            who.append((leader_of[str(people[u]["parent"])], "上级", u))
            who += [(v, "同级", u) for v in chiefs if v != u]
            who += [(v, "下级", u) for v in clerks if people[v]["parent"] == people[u]["parent"]]
        for u in clerks:
            office = str(people[u]["parent"])
            who.append((chief_of.get(office) or leader_of[office], "上级", u))
            who += [(v, "同级", u) for v in clerks
                    if v != u and leader_of[str(people[v]["parent"])] == leader_of[office]]
        for rater, role, ratee in who:
            out.append(review_row(rng, period, rater, role, people[ratee], bias[rater], mean_years))
        for resident in RESIDENTS:
            for u in sorted(rng.sample(sorted(people), 8)):
                out.append(review_row(rng, period, resident, "服务对象", people[u], bias[resident], mean_years))
    return out


# ---------------------------------------------------------------- 乌拉特中旗卫生院
HEALTH_UNITS = [
    # unit, name, category label, population, doctors, beds, quality level
    ("hlt", "海流图镇中心卫生院", "中心卫生院", 38000, 26, 60, 0.9),
    ("wjh", "乌加河镇中心卫生院", "中心卫生院", 16500, 14, 35, 0.8),
    ("dls", "德岭山镇中心卫生院", "中心卫生院", 14200, 12, 30, 0.85),
    ("shh", "石哈河镇中心卫生院", "中心卫生院", 9800, 9, 25, 0.7),
    ("wg", "温更镇卫生院", "一般卫生院", 6200, 6, 15, 0.75),
    ("hlst", "呼勒斯太苏木卫生院", "一般卫生院", 4300, 5, 10, 0.65),
    ("bywl", "巴音乌兰苏木卫生院", "一般卫生院", 3600, 4, 10, 0.8),
    ("xhr", "新忽热苏木卫生院", "一般卫生院", 3900, 4, 12, 0.7),
    ("cj", "川井苏木卫生院", "一般卫生院", 2800, 3, 8, 0.5),
    ("sgdl", "桑根达来苏木卫生院", "一般卫生院", 3100, 4, 8, 0.75),
    ("byht", "巴音哈太苏木卫生院", "一般卫生院", 2600, 3, 8, 0.7),
    ("wlsm", "乌兰苏木卫生院", "一般卫生院", 2900, 3, 6, 0.85),
    ("tht", "同和太种畜场卫生院", "一般卫生院", 2200, 3, 6, 0.6),
    ("myh", "牧羊海牧场卫生院", "一般卫生院", 2400, 3, 6, 0.8),
]
HEALTH_HEADER = ["unit", "name", "category", "period", "服务人口", "规范化电子健康档案数", "高血压糖尿病登记管理人数",
                 "慢病规范管理人数", "65岁以上常住老年人数", "老年人健康体检人数", "医疗质量检查得分", "满意度调查人数",
                 "满意人数", "执业助理医师以上人数", "实际开放床位数", "门急诊人次", "公共卫生服务人次", "医疗事故件数",
                 "数据造假查实件数"]


def wulate_health(rng: random.Random) -> dict[str, list[Row]]:
    """14 township health centres, four quarters; 建档率 builds up over the year."""
    out: dict[str, list[Row]] = {}
    for qi, period in enumerate(QUARTERS):
        rows: list[Row] = []
        for unit, name, cat, pop, doctors, beds, level in HEALTH_UNITS:
            ehr = 0.68 + 0.2 * level + 0.01 * qi + rng.uniform(-0.03, 0.03)
            if unit == "cj" and qi < 2:
                ehr = rng.uniform(0.62, 0.68)  # 川井苏木：牧区分散，上半年建档率连续红灯
            chronic = round(pop * rng.uniform(0.09, 0.13))
            elderly = round(pop * rng.uniform(0.12, 0.17))
            surveyed = rng.randint(60, 200)
            productivity = rng.uniform(0.7, 1.1) * (0.8 + 0.3 * level)
            row: Row = {
                "unit": unit, "name": name, "category": cat, "period": period, "服务人口": pop,
                "规范化电子健康档案数": round(pop * min(ehr, 0.97)),
                "高血压糖尿病登记管理人数": chronic,
                "慢病规范管理人数": round(chronic * (0.55 + 0.25 * level + rng.uniform(-0.04, 0.04))),
                "65岁以上常住老年人数": elderly,
                "老年人健康体检人数": round(elderly * (0.5 + 0.28 * level + 0.02 * qi + rng.uniform(-0.04, 0.04))),
                "医疗质量检查得分": one_decimal(70 + 25 * level + rng.uniform(-4, 4)),
                "满意度调查人数": surveyed,
                "满意人数": round(surveyed * min(0.99, 0.78 + 0.18 * level + rng.uniform(-0.03, 0.03))),
                "执业助理医师以上人数": doctors, "实际开放床位数": beds,
                "门急诊人次": round(doctors * 420 * productivity * (1.15 if qi == 0 else 1.0)),
                "公共卫生服务人次": round(pop * rng.uniform(0.35, 0.55)),
            }
            if (unit, period) == ("xhr", "2025Q3"):
                row["医疗事故件数"] = 1
            elif qi == 3:
                row["医疗事故件数"] = 0
            if (unit, period) == ("tht", "2025Q2"):
                row["数据造假查实件数"] = 1
            rows.append(row)
        out[period] = rows
    return out


# ---------------------------------------------------------------- 获嘉县“高效办成一件事”
HUOJIA_DEPTS = [
    # unit, name, standard items assigned, local items planned (None: no 自选 items)
    ("rsj", "县人力资源和社会保障局", 6, 5), ("scj", "县市场监督管理局", 6, 6), ("gaj", "县公安局", 5, 4),
    ("wjw", "县卫生健康委员会", 4, 3), ("ybj", "县医疗保障局", 4, 3), ("mzj", "县民政局", 4, 4),
    ("zrj", "县自然资源局", 3, 3), ("zjj", "县住房和城乡建设局", 4, 3), ("jyj", "县教育局", 3, 2),
    ("swj", "国家税务总局获嘉县税务局", 3, 2), ("cl", "县残疾人联合会", 3, None), ("tyj", "县退役军人事务局", 2, 2),
]
HUOJIA_TOWNS = ["城关镇", "亢村镇", "史庄镇", "太山镇", "照镜镇", "黄堤镇", "中和镇", "徐营镇", "冯庄镇",
                "位庄乡", "大新庄乡"]
HUOJIA_HEADER = ["unit", "name", "category", "period", "承接标准化事项数", "已落地标准化事项数", "办件量", "一次办结件数",
                 "按时办结件数", "网上办理件数", "好差评总数", "好评数", "地方特色事项计划数", "已落地地方特色事项数",
                 "帮办代办件数"]


def huojia(rng: random.Random) -> dict[str, list[Row]]:
    """12 county departments and 11 township service centres, two quarters."""
    units = [(u, n, "县直部门", s, loc) for u, n, s, loc in HUOJIA_DEPTS]
    units += [(f"t{i + 1:02d}", f"{town}便民服务中心", "乡镇便民服务中心", 8,
               2 if town in ("城关镇", "亢村镇") else None) for i, town in enumerate(HUOJIA_TOWNS)]
    landed: dict[str, float] = {u[0]: rng.uniform(0.75, 0.95) for u in units}
    landed["cl"] = 0.3  # 县残联一季度落地不足一半
    out: dict[str, list[Row]] = {}
    for qi, period in enumerate(("2025Q1", "2025Q2")):
        rows: list[Row] = []
        for unit, name, cat, std, local in units:
            share = min(1.0, landed[unit] + qi * rng.uniform(0.05, 0.2))
            apps = rng.randint(150, 900) if cat == "县直部门" else rng.randint(60, 400)
            ratings = round(apps * rng.uniform(0.2, 0.5))
            good = 0.93 if (unit, period) == ("t05", "2025Q2") else rng.uniform(0.965, 1.0)
            row: Row = {"unit": unit, "name": name, "category": cat, "period": period,
                        "承接标准化事项数": std, "已落地标准化事项数": round(std * share),
                        "办件量": apps, "一次办结件数": round(apps * rng.uniform(0.86, 0.99)),
                        "按时办结件数": round(apps * rng.uniform(0.965, 1.0)),
                        "网上办理件数": round(apps * rng.uniform(0.5, 0.85)),
                        "好差评总数": ratings if ratings else None, "好评数": round(ratings * good) if ratings else None,
                        "帮办代办件数": round(apps * rng.uniform(0.1, 0.25))}
            if local is not None:
                row["地方特色事项计划数"] = local
                row["已落地地方特色事项数"] = min(local, round(local * (0.6 + 0.15 * qi + rng.uniform(0, 0.25))))
            rows.append(row)
        out[period] = rows
    return out


# ---------------------------------------------------------------- 青溪县乡镇综合考核
QINGXI_SEED = 20251231  # its own stream: adding this county changed no other region's files
QINGXI_TOWNS = [
    # unit, name, category label, level (0..1: how well the town usually does), 2023 revenue (万元)
    ("t01", "城关镇", "工业重点镇", 0.85, 52000), ("t02", "南桥镇", "工业重点镇", 0.97, 46000),
    ("t03", "东湖镇", "工业重点镇", 0.9, 38000), ("t04", "石桥镇", "工业重点镇", 0.55, 30500),
    ("t05", "白沙镇", "工业重点镇", 0.7, 27800), ("t06", "柳林镇", "工业重点镇", 0.62, 24100),
    ("t07", "马庄镇", "工业重点镇", 0.88, 22600), ("t08", "新河镇", "工业重点镇", 0.45, 19800),
    ("t09", "西山镇", "农业乡镇", 0.5, 9800), ("t10", "北河镇", "农业乡镇", 0.75, 8700),
    ("t11", "青石镇", "农业乡镇", 0.4, 7600), ("t12", "李集镇", "农业乡镇", 0.93, 7100),
    ("t13", "杨柳乡", "农业乡镇", 0.6, 5200), ("t14", "河口乡", "农业乡镇", 0.35, 4800),
    ("t15", "桃园乡", "农业乡镇", 0.8, 4600), ("t16", "三里乡", "农业乡镇", 0.3, 3900),
    ("t17", "高庄乡", "农业乡镇", 0.66, 3500), ("t18", "白云乡", "农业乡镇", 0.52, 3100),
]
QINGXI_HEADER = ["unit", "name", "category", "period", "一般公共预算收入", "上年一般公共预算收入", "固定资产投资目标",
                 "固定资产投资完成额", "信访事项数", "按期办结信访事项数", "人居环境考评得分", "招商引资签约项目数",
                 "较大及以上安全事故起数", "省级以上表彰数"]
QINGXI_ACCIDENT = {("t02", "2025")}        # 南桥镇：分数全县最高，但发生较大事故，一票否决
QINGXI_PETITION_RED = {("t14", "2024"), ("t16", "2025")}
QINGXI_AWARDS = {("t03", "2025"): 1, ("t12", "2024"): 1}
QINGXI_SLIP = {"t04": -0.25, "t10": 0.15}  # 石桥镇 2025 年明显下滑，北河镇明显进步


def qingxi(rng: random.Random) -> dict[str, list[Row]]:
    """18 towns of a county, two years; 2025's revenue_last is 2024's revenue."""
    revenue = {u[0]: float(u[4]) for u in QINGXI_TOWNS}
    out: dict[str, list[Row]] = {}
    for yi, period in enumerate(("2024", "2025")):
        rows: list[Row] = []
        for unit, name, cat, level, _ in QINGXI_TOWNS:
            lv = min(1.0, max(0.0, level + (QINGXI_SLIP.get(unit, 0.0) if yi else 0.0) + rng.uniform(-0.05, 0.05)))
            growth = -0.03 + 0.19 * lv + rng.uniform(-0.015, 0.015)
            last = revenue[unit]
            revenue[unit] = round(last * (1 + growth))
            target = round(last * rng.uniform(1.6, 2.2) / 10) * 10
            petitions = rng.randint(18, 90)
            rate = 0.86 + 0.14 * lv + rng.uniform(-0.02, 0.02)
            if (unit, period) in QINGXI_PETITION_RED:
                rate = rng.uniform(0.8, 0.86)
            rows.append({
                "unit": unit, "name": name, "category": cat, "period": period,
                "一般公共预算收入": revenue[unit], "上年一般公共预算收入": round(last),
                "固定资产投资目标": target, "固定资产投资完成额": round(target * (0.72 + 0.34 * lv + rng.uniform(-0.03, 0.03))),
                "信访事项数": petitions, "按期办结信访事项数": min(petitions, round(petitions * rate)),
                "人居环境考评得分": one_decimal(min(99.5, 66 + 33 * lv + rng.uniform(-2, 2))),
                "招商引资签约项目数": max(0, round(1 + 6 * lv + rng.uniform(-1, 1))),
                "较大及以上安全事故起数": 1 if (unit, period) in QINGXI_ACCIDENT else 0,
                "省级以上表彰数": QINGXI_AWARDS.get((unit, period)),
            })
        out[period] = rows
    return out


# ---------------------------------------------------------------- 获嘉县乡镇：三个部门的数据
TOWNS_SEED = 20250901  # its own stream, so the other regions' files never change
TOWNS_RULESET = HERE.parent / "rulesets" / "huojia-county" / "towns.yaml"
TOWNS_PERIODS = ("2025Q1", "2025Q2")


def huojia_towns_data(rng: random.Random) -> dict[str, dict[str, Row]]:
    """Per period, per town: what the three departments report (one town's Q2 revenue typed 10×)."""
    towns = [(f"t{i + 1:02d}", town) for i, town in enumerate(HUOJIA_TOWNS)]
    target = {u: float(rng.randint(30, 60) * (40 if name == "城关镇" else 10)) for u, name in towns}
    out: dict[str, dict[str, Row]] = {}
    for period in TOWNS_PERIODS:
        rows: dict[str, Row] = {}
        for unit, _name in towns:
            letters = rng.randint(12, 60)
            hazards = rng.randint(0, 3) if unit == "t11" else rng.randint(12, 45)
            revenue = round(target[unit] * rng.uniform(0.82, 1.08))
            rows[unit] = {"letters": letters, "letters_solved": letters - rng.randint(0, max(1, letters // 8)),
                          "satisfaction": round(rng.uniform(0.78, 0.97), 4), "revenue": revenue,
                          "revenue_target": target[unit], "hazards": hazards,
                          "hazards_fixed": hazards - rng.randint(0, min(hazards, 4)),
                          "accidents": 1 if (unit, period) == ("t06", "2025Q2") else 0}
        out[period] = rows
    first = out["2025Q1"]["t10"]["revenue"]
    assert isinstance(first, int)
    out["2025Q2"]["t10"]["revenue"] = first * 10  # 位庄乡：多打了一个 0
    return out


def huojia_towns(out_dir: Path) -> list[Path]:
    """获嘉县乡镇: units.csv, and per quarter 信访局.xlsx (a filled kaohe form), 财政局.csv, 应急局.xlsx.

    The 信访局 workbook is the form ``kaohe form --source 信访局`` makes, filled in
    as the department would; 应急局.xlsx is an export with a title row above its
    header.  Workbooks are written with fixed times, so they too are byte-identical.
    """
    from openpyxl import Workbook, load_workbook

    from kaohe.engine.form import make_form
    from kaohe.engine.form.save import workbook_bytes

    rng = random.Random(TOWNS_SEED)
    folder = out_dir / "huojia-county" / "towns"
    folder.mkdir(parents=True, exist_ok=True)
    units = folder / "units.csv"
    write_csv(units, ["unit", "name", "category"],
              [{"unit": f"t{i + 1:02d}", "name": town, "category": "城区镇" if town == "城关镇" else "平原乡镇"}
               for i, town in enumerate(HUOJIA_TOWNS)])
    names = {f"t{i + 1:02d}": town for i, town in enumerate(HUOJIA_TOWNS)}
    written = [units]
    for period, rows in huojia_towns_data(rng).items():
        target = folder / period
        target.mkdir(parents=True, exist_ok=True)
        form = make_form(TOWNS_RULESET, target / "信访局.xlsx", units_file=units, source="信访局", period=period)
        wb = load_workbook(form.path)
        ws = wb["信访局"]
        ids = [c.value for c in ws[1]]
        for line in range(3, ws.max_row + 1):
            row = rows[str(ws.cell(line, 1).value)]
            for col, fid in enumerate(ids, start=1):
                if fid in row:
                    ws.cell(line, col).value = row[fid]
        (target / "信访局.xlsx").write_bytes(workbook_bytes(wb))
        write_csv(target / "财政局.csv", ["unit", "单位名称", "一般公共预算收入", "收入目标"],
                  [{"unit": u, "单位名称": names[u], "一般公共预算收入": r["revenue"], "收入目标": r["revenue_target"]}
                   for u, r in rows.items()])
        safety = Workbook()
        sheet = safety.active
        assert sheet is not None
        sheet.title = "隐患排查治理"
        quarter = "一二三四"[int(period[-1]) - 1]
        sheet.append([f"获嘉县应急管理局 {period[:4]}年第{quarter}季度安全生产隐患排查治理情况"])
        sheet.append(["单位编号", "单位名称", "排查隐患数（处）", "整改隐患数（处）", "生产安全事故数（起）"])
        for u, r in rows.items():
            sheet.append([u, names[u], r["hazards"], r["hazards_fixed"], r["accidents"] or None])
        (target / "应急局.xlsx").write_bytes(workbook_bytes(safety))
        written += [target / "信访局.xlsx", target / "财政局.csv", target / "应急局.xlsx"]
    return written


COURT_ANNUAL_HEADER = ["unit", "name", "category", "period", "案件质量评查得分", "当事人满意度"]


def court_annual(rng: random.Random) -> dict[str, list[Row]]:
    """The two indicators the court appraises only once a year (the rest is rolled up from the quarters)."""
    rows: list[Row] = []
    for unit, name, cat, _judges, _load, closure, _days in COURT_UNITS:
        quality = one_decimal(min(99.0, 70 + 200 * (closure - 0.85) + rng.uniform(-4, 6)))
        satisfied = round(min(0.99, 0.82 + (closure - 0.85) + rng.uniform(-0.03, 0.06)), 3)
        rows.append({"unit": unit, "name": name, "category": cat, "period": "2025",
                     "案件质量评查得分": quality, "当事人满意度": satisfied})
    return {"2025": rows}


def generate(out_dir: Path) -> list[Path]:
    """Write every region's fact files under ``out_dir``; return the paths written."""
    rng = random.Random(SEED)
    review_rng = random.Random(REVIEW_SEED)
    staff: dict[str, list[Row]] = {}

    def staff_with_seniority(r: random.Random) -> dict[str, list[Row]]:
        staff.update(pzhen_staff(r))
        add_seniority(staff, review_rng)
        return staff

    written: list[Path] = []
    plan = [
        ("shunde-court", COURT_HEADER, court),
        ("pzhen", PZHEN_HEADER, pzhen_units),
        ("pzhen", STAFF_HEADER, staff_with_seniority),
        ("wulate-health", HEALTH_HEADER, wulate_health),
        ("huojia-county", HUOJIA_HEADER, huojia),
    ]
    for folder, header, make in plan:
        for period, rows in make(rng).items():
            path = out_dir / folder / f"{period}.csv"
            write_csv(path, header, rows)
            written.append(path)
    for period, rows in qingxi(random.Random(QINGXI_SEED)).items():
        path = out_dir / "qingxi-county" / f"{period}.csv"
        write_csv(path, QINGXI_HEADER, rows)
        written.append(path)
    path = out_dir / "pzhen" / "ratings.csv"
    write_csv(path, RATING_HEADER, pzhen_reviews(staff, review_rng))
    written.append(path)
    written += huojia_towns(out_dir)
    for period, rows in court_annual(random.Random(ANNUAL_SEED)).items():
        path = out_dir / "shunde-court-annual" / f"{period}.csv"
        write_csv(path, COURT_ANNUAL_HEADER, rows)
        written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: ``--out DIR`` (default: the examples folder itself)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="output folder (default: %(default)s)")
    args = parser.parse_args(argv)
    for path in generate(args.out):
        print(path)


if __name__ == "__main__":
    main()
