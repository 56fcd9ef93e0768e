import math

import numpy as np
import pandas as pd
import pytest
import rising as bench

from dashboard.trends import RULES, UNKNOWN, Rules, flagged, last_period, poisson_tail, rising

AS_OF = pd.Timestamp("2024-06-20")


def incidents(counts: dict[tuple[str, ...], list[int]], step: int = 28,
              end: pd.Timestamp = AS_OF, actor: str = "Group") -> pd.DataFrame:
    """Rows for each (admin1, country) from its counts per period, oldest first; the last
    count falls on ``end``, each earlier one ``step`` days before the next."""
    rows = []
    for (admin1, country), series in counts.items():
        for back, count in enumerate(reversed(series)):
            day = end - pd.Timedelta(days=step * back)
            rows += [(day, 1, country, admin1, actor)] * count
    return pd.DataFrame(rows, columns=["date", "fatalities", "country", "admin1", "actor"])


def monthly(counts: list[int], last_month: str = "2024-05") -> pd.DataFrame:
    """One area's rows from counts per calendar month, the last in ``last_month``."""
    months = pd.period_range(end=last_month, periods=len(counts), freq="M")
    days = np.repeat(months.to_timestamp() + pd.Timedelta(days=9), counts)
    return pd.DataFrame({"date": days, "fatalities": 0, "country": "Mali",
                         "admin1": "Gao", "actor": "Group"})


def row(result, area: str) -> pd.Series:
    areas = result.areas
    found = areas[areas["area"] == area]
    assert len(found) == 1, area
    return found.iloc[0]


@pytest.mark.parametrize("period", ["4w", "month"])
def test_flat_noise_rarely_alarms_and_planted_surges_are_found(period):
    found = bench.measure(flat=200, planted=40, period=period, seeds=range(1, 2), rules=RULES)
    assert found["false_alarm"] <= 0.05
    assert found["detection"] >= 0.9


def test_the_measurement_catches_rules_without_guards():
    # The bound above means something: a rule set without its guards alarms on noise.
    loose = Rules(min_count=1, min_ratio=1.0, max_p=0.5)
    found = bench.measure(flat=200, planted=40, period="4w", seeds=range(1, 2), rules=loose)
    assert found["false_alarm"] > 0.05


def test_one_to_three_incidents_is_never_a_surge():
    quiet = [1] * 20 + [3]
    table = incidents({("Quiet", "Mali"): quiet, ("Silent", "Mali"): [1] + [0] * 19 + [3],
                       ("Busy", "Mali"): [5] * 20 + [30]})
    for rules in (RULES, Rules(max_p=0.5), Rules(min_ratio=1.0)):
        result = rising(table, as_of=AS_OF, rules=rules)
        assert "surge" not in row(result, "Quiet")["flags"]
        assert "surge" not in row(result, "Silent")["flags"]
        assert "surge" in row(result, "Busy")["flags"]
    busy = row(rising(table, as_of=AS_OF), "Busy")
    assert busy["reasons"].startswith(
        "30 incidents in the 4 weeks to 20 Jun 2024: 6.0x its 52-week average for 4 weeks "
        "(5.0); at least 10 incidents; P(30 or more | Poisson mean 5.0) = ")


def test_a_surge_after_a_quiet_year_says_so():
    table = incidents({("Woke", "Mali"): [5] * 4 + [0] * 16 + [12]})
    woke = row(rising(table, as_of=AS_OF), "Woke")
    assert woke["flags"] == ("surge", "returned")
    assert woke["reasons"].startswith("12 incidents in the 4 weeks to 20 Jun 2024 after none "
                                      "in the previous 52 weeks; at least 10 incidents. ")


def test_each_guard_holds_alone():
    # 12 against 10 a period: enough incidents, not improbable, not double.
    table = incidents({("Steady", "Mali"): [10] * 20 + [12],
                       ("Doubled", "Mali"): [100] * 20 + [150]})
    result = rising(table, as_of=AS_OF)
    assert row(result, "Steady")["flags"] == ()
    # 150 against 100 is improbable under Poisson, but not twice the baseline.
    assert row(result, "Doubled")["p"] < 1e-5
    assert "surge" not in row(result, "Doubled")["flags"]
    assert "surge" in row(rising(table, as_of=AS_OF, rules=Rules(min_ratio=1.4)),
                          "Doubled")["flags"]


@pytest.mark.parametrize(("higher_months_back", "years"),
                         [(73, 6), (72, 5), (30, 2), (None, 8)])
def test_highest_month_in_n_years_says_n(higher_months_back, years):
    counts = [5] * 100 + [30]  # 100 months before the last: 8 whole years
    if higher_months_back:
        counts[-1 - higher_months_back] = 40
    result = rising(monthly(counts), by="admin1", period="month", as_of="2024-06-20")
    gao = row(result, "Gao")
    assert "record" in gao["flags"]
    assert f"Highest month in {years} years" in gao["reasons"]


def test_no_record_when_a_higher_month_is_recent():
    counts = [5] * 100 + [30]
    counts[-13] = 40  # a year before
    gao = row(rising(monthly(counts), period="month", as_of="2024-06-20"), "Gao")
    assert "record" not in gao["flags"]
    assert "surge" in gao["flags"]


def test_a_record_needs_an_improbable_count_and_a_ratio():
    # 12 is the most in 40 months and 1.5x the mean of 8, but P(12 or more | 8) = 0.11.
    gao = row(rising(monthly([8] * 40 + [12]), period="month", as_of="2024-06-20"), "Gao")
    assert gao["flags"] == ()
    assert "record" in row(rising(monthly([8] * 40 + [12]), period="month",
                                  as_of="2024-06-20", rules=Rules(record_p=0.2)), "Gao")["flags"]
    gao = row(rising(monthly([20] * 40 + [29]), period="month", as_of="2024-06-20",
                     rules=Rules(record_p=0.2)), "Gao")  # P = 0.03, but 1.45x
    assert gao["flags"] == ()


def test_a_new_actor_is_reported_only_in_the_last_period_and_where_the_area_has_history():
    old = incidents({("Borno", "Nigeria"): [2] * 20 + [2], ("Yobe", "Nigeria"): [2] * 21},
                    actor="Old")
    newcomer = pd.concat([
        incidents({("Borno", "Nigeria"): [1]}, actor="Newcomer"),
        incidents({("Borno", "Nigeria"): [1, 0]}, actor="Last month"),
        incidents({("Yobe", "Nigeria"): [1] + [0] * 19 + [1]}, actor="Newcomer"),
        incidents({("Kano", "Nigeria"): [3]}, actor="Fresh"),
        incidents({("Borno", "Nigeria"): [1]}, actor=None),
    ])
    result = rising(pd.concat([old, newcomer]), as_of=AS_OF)
    borno = row(result, "Borno")
    assert borno["new_actors"] == ("Newcomer",)
    assert "Actor seen here for the first time: Newcomer" in borno["reasons"]
    assert row(result, "Yobe")["new_actors"] == ()  # seen there 76 weeks before
    kano = row(result, "Kano")
    assert kano["new_actors"] == ()
    assert kano["flags"] == ("new_area",)
    assert kano["reasons"].startswith("First incidents in this area since at least ")


def test_an_area_with_little_history_gets_no_surge():
    table = incidents({("Old", "Mali"): [3] * 20 + [3], ("Young", "Mali"): [1, 1, 1, 60]})
    young = row(rising(table, as_of=AS_OF), "Young")
    assert young["flags"] == ()
    assert np.isnan(young["p"])


def test_an_area_quiet_for_a_year_has_returned():
    table = incidents({("Back", "Mali"): [4] * 5 + [0] * 15 + [2],
                       ("Gap", "Mali"): [4] * 10 + [0] * 10 + [2]})
    result = rising(table, as_of=AS_OF)
    assert row(result, "Back")["flags"] == ("returned",)
    assert row(result, "Back")["reasons"] == "First incidents in this area since 30 Mar 2023"
    assert row(result, "Gap")["flags"] == ()  # quiet for 10 periods: 280 days


def test_rows_without_a_region_are_counted_under_their_country_and_every_row_is_counted():
    table = incidents({("Gao", "Mali"): [3] * 10, ("", "Mali"): [2] * 10,
                       ("Kidal", None): [1] * 10})
    table.loc[table.index[:5], "admin1"] = None
    table.loc[len(table)] = [pd.NaT, 0, "Mali", "Gao", "Group"]
    table.loc[len(table)] = [AS_OF + pd.Timedelta(days=1), 0, "Mali", "Gao", "Group"]
    result = rising(table, as_of=AS_OF)
    areas = result.areas
    unknown = areas[(areas["area"] == UNKNOWN) & (areas["country"] == "Mali")]
    assert unknown["total"].tolist() == [25]
    assert row(result, "Kidal")["country"] == UNKNOWN
    assert (result.undated, result.later) == (1, 1)
    assert areas["total"].sum() + result.undated + result.later == len(table)
    countries = rising(table, by="country", as_of=AS_OF).areas
    assert dict(zip(countries["area"], countries["total"], strict=True)) == {
        "Mali": 50, UNKNOWN: 10}


def test_a_table_without_regions_actors_or_fatalities_is_one_unknown_region_per_country():
    table = incidents({("Gao", "Mali"): [3] * 10}).drop(columns=["admin1", "actor",
                                                                  "fatalities"])
    areas = rising(table, as_of=AS_OF).areas
    assert areas[["area", "country", "total", "fatalities_last"]].to_dict("records") == [
        {"area": UNKNOWN, "country": "Mali", "total": 30, "fatalities_last": 0.0}]


def test_an_as_of_before_the_data_leaves_every_row_later():
    table = incidents({("Gao", "Mali"): [3] * 10})
    result = rising(table, as_of="2020-01-01")
    assert (len(result.areas), result.later, result.undated) == (0, 30, 0)
    assert list(result.areas.columns) == list(rising(table).areas.columns)


def test_the_last_4_weeks_end_at_as_of_inclusive():
    days = AS_OF - pd.to_timedelta([0, 27, 28, 55, 56], unit="D")
    table = pd.DataFrame({"date": days, "fatalities": [1, 2, 4, 8, 16], "country": "Mali",
                          "admin1": "Gao", "actor": "Group"})
    result = rising(table, as_of=AS_OF)
    gao = row(result, "Gao")
    assert (result.start, result.end) == (AS_OF - pd.Timedelta(days=27), AS_OF)
    assert (gao["last"], gao["previous"], gao["fatalities_last"]) == (2, 2, 3)
    assert gao["baseline"] == 1.5  # 3 incidents over the 2 blocks since its first
    mali = rising(table, by="country", as_of=AS_OF).areas
    assert mali[["area", "country", "last", "total"]].to_dict("records") == [
        {"area": "Mali", "country": "Mali", "last": 2, "total": 5}]


def test_month_is_the_last_complete_month_so_a_partial_one_is_no_drop():
    assert last_period("month", "2024-06-20") == (pd.Timestamp("2024-05-01"),
                                                  pd.Timestamp("2024-05-31"))
    assert last_period("month", "2024-05-31") == (pd.Timestamp("2024-05-01"),
                                                  pd.Timestamp("2024-05-31"))
    table = pd.concat([monthly([20] * 24 + [60]), monthly([3], last_month="2024-06")])
    result = rising(table, period="month")  # as of the last row: 10 June
    gao = row(result, "Gao")
    assert (gao["last"], gao["baseline"], result.later) == (60, 20, 3)
    assert "surge" in gao["flags"]
    assert "in the month to 31 May 2024" in gao["reasons"]


def test_the_order_is_the_strength_of_the_signal_and_does_not_depend_on_row_order():
    # Busy rises less (2.5x) than Strong (10x) but is far less probable under its baseline.
    table = incidents({("Strong", "Mali"): [5] * 20 + [50], ("Weak", "Mali"): [5] * 20 + [15],
                       ("Flat", "Mali"): [5] * 21, ("Twin", "Niger"): [5] * 20 + [40],
                       ("Twin", "Chad"): [5] * 20 + [40], ("Busy", "Mali"): [100] * 20 + [250]})
    result = rising(table, as_of=AS_OF)
    assert list(zip(result.areas["area"], result.areas["country"], strict=True)) == [
        ("Busy", "Mali"), ("Strong", "Mali"), ("Twin", "Chad"), ("Twin", "Niger"),
        ("Weak", "Mali"), ("Flat", "Mali")]
    shuffled = rising(table.sample(frac=1, random_state=3), as_of=AS_OF)
    pd.testing.assert_frame_equal(shuffled.areas, result.areas)
    assert flagged(result)["area"].tolist() == ["Busy", "Strong", "Twin", "Twin", "Weak"]


@pytest.mark.parametrize(("k", "mean"), [(0, 3.0), (1, 0.5), (4, 2.0), (10, 2.6), (7, 12.0)])
def test_poisson_tail_is_the_upper_tail(k, mean):
    below = sum(math.exp(-mean) * mean**j / math.factorial(j) for j in range(k))
    assert poisson_tail(k, mean) == pytest.approx(1 - below, rel=1e-9, abs=1e-15)


def test_poisson_tail_stays_exact_far_out():
    direct = sum(math.exp(-5 + j * math.log(5) - math.lgamma(j + 1)) for j in range(60, 200))
    assert poisson_tail(60, 5.0) == pytest.approx(direct, rel=1e-9)
    assert 0 < poisson_tail(240, 120.0) < poisson_tail(200, 120.0) < 1e-6
    assert poisson_tail(5, 0.0) == 0.0


def test_the_benchmark_prints_both_periods_and_a_timing(capsys):
    bench.main(["--flat", "40", "--planted", "10", "--seeds", "1", "--timing-rows", "20000"])
    out = capsys.readouterr().out
    assert out.count("false alarms") == 2
    assert "timing: rising(by='admin1', period='4w') on " in out
