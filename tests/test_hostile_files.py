"""Issue 22.5: a compressed file is refused by ratio and declared size before it is decompressed,
and an unknown key in a model or checkpoint file is refused with its name."""

import io
import json
import tracemalloc
import zipfile

import numpy as np
import pytest

from descend import DescendError, nn, optim
from descend.nn.io import atomic_savez
from descend.training import load_checkpoint, train


def _npy_bytes(a):
    buf = io.BytesIO()
    np.save(buf, a)
    return buf.getvalue()


def test_a_deflated_file_declaring_over_100x_its_size_is_refused_before_decompressing(tmp_path):
    """An honest deflated member (zeros, ratio about 1000: within what deflate can make) used to be
    decompressed whole before anything else was checked; now the 100x rule refuses it first."""
    path = tmp_path / "zeros.npz"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("__format__.npy", _npy_bytes(np.array("descend.model")))
        zf.writestr("__version__.npy", _npy_bytes(np.array(1)))
        zf.writestr("param/0.weight.npy", _npy_bytes(np.zeros(3_000_000)))  # 24 MB in about 25 KB
    size = path.stat().st_size
    assert size < 100_000
    tracemalloc.start()
    try:
        with pytest.raises(DescendError, match=rf"declares [0-9]+ bytes of arrays from a {size}-byte file, more than "
                                               rf"the {100 * size} allowed \(100x its size"):
            nn.load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 100 * size, peak
    # a limit raised on purpose lets it through to the next check (no architecture: refused there)
    with pytest.raises(DescendError, match="is missing the field 'architecture'"):
        nn.load(path, max_bytes=30_000_000)


def test_a_saved_model_within_100x_loads(tmp_path):
    model = nn.Sequential(nn.Linear(3, 2, rng=0), nn.ReLU(), nn.Linear(2, 1, rng=1))
    nn.save(model, tmp_path / "m.npz")
    back = nn.load(tmp_path / "m.npz")
    np.testing.assert_array_equal(back.params["0.weight"], model.params["0.weight"])


def _rewrite(src, dst, key, fn):
    with np.load(src) as f:
        data = dict(f)
    fn(data)
    atomic_savez(dst, data)
    return dst


def _json_edit(key, update):
    def fn(d):
        value = json.loads(str(d[key]))
        value.update(update)
        d[key] = np.array(json.dumps(value))
    return fn


def test_an_unknown_architecture_key_is_refused_with_its_name(tmp_path):
    nn.save(nn.Sequential(nn.Linear(3, 2, rng=0)), tmp_path / "m.npz")
    bad = _rewrite(tmp_path / "m.npz", tmp_path / "bad.npz", "architecture",
                   _json_edit("architecture", {"activation_checkpointing": True}))
    with pytest.raises(DescendError, match=r"field 'architecture' has unknown key\(s\) \['activation_checkpointing'\]"):
        nn.load(bad)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    path = tmp_path_factory.mktemp("ckpt") / "run.npz"
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(20, 3)), rng.normal(size=(20, 1))
    train(nn.Sequential(nn.Linear(3, 1, rng=0)), X, y, loss="mse", optimizer=optim.get("adam", lr=0.01),
          batch_size=5, epochs=1, checkpoint=path, progress=False)
    load_checkpoint(path)  # the untouched file loads
    return path


@pytest.mark.parametrize("key, edit, match", [
    ("progress", _json_edit("progress", {"skip_to": 9}), r"field 'progress' has unknown key\(s\) \['skip_to'\]"),
    ("history", _json_edit("history", {"extra": 1}), r"field 'history' has unknown key\(s\) \['extra'\]"),
    ("architecture", _json_edit("architecture", {"evil": 1}), r"field 'architecture' has unknown key\(s\) \['evil'\]"),
    ("optim/", lambda d: d.update({"optim/stowaway": np.zeros(3)}),
     r"optimizer arrays not named in 'optim_keys': \['optim/stowaway'\]"),
])
def test_an_unknown_checkpoint_key_is_refused_with_its_name(checkpoint, tmp_path, key, edit, match):
    bad = _rewrite(checkpoint, tmp_path / "bad.npz", key, edit)
    with pytest.raises(DescendError, match=match):
        load_checkpoint(bad)
