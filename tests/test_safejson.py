"""descend.safejson's one writer: NumPy values as plain JSON, nan/inf in the two named conventions."""

import json
import math

import numpy as np
import pytest

from descend import safejson
from descend.errors import DescendError


def test_null_convention_writes_every_nonfinite_as_null():
    text = safejson.dumps({"x": np.array([1.5, np.nan, np.inf, -np.inf]), "f": np.float64("nan")})
    assert json.loads(text) == {"x": [1.5, None, None, None], "f": None}


def test_string_convention_round_trips_through_restore():
    obj = {"f": [np.inf, -np.inf, np.nan, 2.0], "n": np.int32(4), "t": (np.float32(0.5), "inf-ish")}
    text = safejson.dumps(obj, nonfinite="string")
    assert "NaN" not in text and "Infinity" not in text
    back = safejson.restore(json.loads(text))
    assert back["f"][:2] == [math.inf, -math.inf] and math.isnan(back["f"][2]) and back["f"][3] == 2.0
    assert back["n"] == 4 and back["t"] == [0.5, "inf-ish"]


def test_numpy_scalars_and_keys_become_python_types():
    out = safejson.plain({1: np.bool_(True), "a": np.arange(3), "b": np.float32(0.25)})
    assert out == {"1": True, "a": [0, 1, 2], "b": 0.25}
    assert type(out["1"]) is bool and type(out["a"][0]) is int


def test_unknown_convention_is_refused_with_the_allowed_ones():
    with pytest.raises(DescendError, match="null, string"):
        safejson.plain([1.0], nonfinite="NaN")
