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


def _array_formatting_every_entry(a, kind="value", lang=None, *, threshold=6):
    """fmt.array as it was before it formatted only the shown ends: the reference for the text."""
    a = np.asarray(a)
    if a.ndim == 0:
        return fmt.number(a.item(), kind, lang)
    if a.ndim > 1:
        return "[" + ", ".join(_array_formatting_every_entry(row, kind, lang, threshold=threshold) for row in a) + "]"
    items = [fmt.number(v, kind, lang, nan="nan") for v in a.tolist()]
    if len(items) > threshold:
        items = items[:threshold // 2] + ["..."] + items[-(threshold // 2):]
    return "[" + ", ".join(items) + "]"


def _arrays():
    rng = np.random.default_rng(7)
    special = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-300, 5e-324, 1.7e308])
    for n in (0, 1, 2, 3, 5, 6, 7, 8, 9, 12, 13, 100, 1001):
        x = rng.lognormal(0, 8, n) * rng.choice([-1, 1], n)
        where = rng.random(n) < 0.2
        x[where] = rng.choice(special, int(where.sum()))
        yield x
        with np.errstate(over="ignore"):  # entries past float16's range become inf: shown as such
            narrow = [x.astype(np.float32), x.astype(np.float16)]
        yield from narrow
        yield rng.integers(-10 ** 9, 10 ** 9, n)
        yield rng.integers(0, 255, n).astype(np.uint8)
        yield rng.random(n) < 0.5
        yield np.where(rng.random(n) < 0.5, None, x).astype(object)
        if n >= 6:
            yield x.reshape(2, -1) if n % 2 == 0 else x[:6].reshape(3, 2)


@pytest.mark.parametrize("kind", ["value", "exact", "loss", "lr", "count"])
def test_an_array_shows_the_same_text_as_when_every_entry_was_formatted(kind):
    for a in _arrays():
        for threshold in (-3, 0, 1, 2, 3, 5, 6, 7, 10, 2000):
            assert fmt.array(a, kind, threshold=threshold) == \
                _array_formatting_every_entry(a, kind, threshold=threshold), (a, threshold)
    assert fmt.array([1.0, 2.0, 3.0], "value", "ja") == _array_formatting_every_entry([1.0, 2.0, 3.0], "value", "ja")


def test_a_long_array_formats_only_its_ends(monkeypatch):
    """``descend minimize --param n=2e6`` spent 31 of 61 s formatting 2e6 entries to show six."""
    calls = []
    number = fmt.number
    monkeypatch.setattr(fmt, "number", lambda v, *a, **k: calls.append(v) or number(v, *a, **k))
    x = np.linspace(-1.0, 1.0, 2_000_000)
    assert fmt.array(x) == "[-1, -0.999999, -0.999998, ..., 0.999998, 0.999999, 1]"
    assert calls == [-1.0, x[1], x[2], x[-3], x[-2], 1.0]
