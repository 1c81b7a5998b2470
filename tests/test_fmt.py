"""descend.fmt: significant digits by kind, units, status counts as words, missing values as a dash."""

import math

import numpy as np
import pytest

from descend import DescendError, fmt


@pytest.mark.parametrize("value, kind, text", [
    (0.35979228486646886, "fraction", "36.0 %"),
    (float("nan"), "value", fmt.MISSING),
    (None, "loss", fmt.MISSING),
    (836.0, "count", "836"),
    (0.00225878, "seconds", "2.26 ms"),
    (1.5, "seconds", "1.50 s"),
    (840e-6, "seconds", "840 µs"),
    (2529511280281.618, "value", "2.52951e12"),
    (1e-5, "lr", "1e-5"),
    (0.18575600082015536, "loss", "0.1858"),
    (1.0000001666666813, "exact", "1.0000001666666813"),
    (math.inf, "loss", "inf"),
    ("1 max_steps", "status", "reached the step limit"),
    ("3 max_steps", "status", "all reached the step limit"),
    ("2 converged, 1 diverged", "status", "2 converged, 1 diverged"),
    (True, "value", "yes"),
])
def test_number_by_kind(value, kind, text):
    assert fmt.number(value, kind) == text


def test_significant_digits_are_what_the_kind_promises():
    rng = np.random.default_rng(0)
    for v in rng.lognormal(0, 5, 200):
        for kind, digits in (("value", 6), ("loss", 4), ("lr", 3)):
            back = float(fmt.number(v, kind))
            assert back == pytest.approx(v, rel=0.5 * 10 ** (1 - digits))
            assert len(fmt.number(v, kind).split("e")[0].replace(".", "").lstrip("0")) <= digits


def test_japanese_words_and_units():
    assert fmt.number("max_steps", "status", "ja") == "ステップ数の上限"
    assert fmt.status_counts({"converged": 7, "diverged": 3}, "ja") == "収束 7、発散 3"
    assert fmt.status_counts({"max_steps": 4}, "ja") == "ステップ数の上限 (全件)"
    assert fmt.seconds(0.5, "ja") == "500 ミリ秒"
    assert fmt.header("wall_time_median", "ja") == "1 回あたりの時間 (中央値)"


def test_status_counts_from_statuses_and_mappings():
    assert fmt.status_counts(np.array(["diverged", "converged", "converged"])) == "2 converged, 1 diverged"
    assert fmt.status_counts({"diverged": 1}) == "diverged"


def test_cells_arrays_and_headers():
    assert fmt.cell(np.array([-0.2286433, 0.05705058])) == "[-0.228643, 0.0570506]"
    assert fmt.cell(np.arange(10.0), "count") == "[0, 1, 2, ..., 7, 8, 9]"
    assert fmt.cell(np.array([1.0, np.nan]), "loss") == "[1, nan]"  # a computed nan, not a gap
    assert fmt.cell(float("nan"), "exact") == "nan" and fmt.cell(float("nan"), "count") == fmt.MISSING
    assert fmt.cell(3) == "3" and fmt.cell("central") == "central" and fmt.cell(None) == fmt.MISSING
    assert fmt.header("steps_to_tol_median") == "steps to tol (median)"
    assert fmt.header("some_new_column") == "some new column"
    assert fmt.kind_of("wall_time_median") == "seconds"


def test_an_unknown_kind_is_refused_with_the_valid_ones():
    with pytest.raises(DescendError, match="unknown number kind 'percent'; valid: exact, value"):
        fmt.number(1.0, "percent")


def test_repr_html_of_results_and_comparisons_goes_through_the_formatter():
    from descend import compare, minimize, problems

    r = minimize(problems.get("rosenbrock"), lr=1e-3, steps=50)
    page = r._repr_html_()
    assert "<th>|grad f|</th>" in page and "reached the step limit" in page and "max_steps" not in page
    assert fmt.number(r.fun, "value") in page
    hist = r.history._repr_html_()
    assert "<th>step</th>" in hist and fmt.number(float(r.history.f[0]), "value") in hist
    c = compare("elongated_bowl", ["sgd", "adam"], steps=5)._repr_html_()
    assert "<th>steps to tol</th>" in c and f"<td>{fmt.MISSING}</td>" in c and "<td>0.0 %</td>" in c
    assert "nan" not in c and "1 max_steps" not in c
