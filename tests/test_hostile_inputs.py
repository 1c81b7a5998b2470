"""Hostile files and edge inputs (issue 12, items 2, 4, 5 and 6).

Each test builds its hostile input (a doctored checkpoint, a zip bomb, JSON nested
100000 deep, a tampered progress field...) in a temp folder, or passes the edge value
directly, and asserts descend's refusal: a DescendError whose message names what is
wrong, never a traceback from NumPy, a RecursionError or gigabytes allocated.
"""

from __future__ import annotations

import io
import json
import struct
import subprocess
import sys
import zipfile

import numpy as np
import pytest

import descend
from descend import nn, optim
from descend.errors import DescendError
from descend.nn.io import atomic_savez

# --------------------------------------------------------------------------------------
# Item 5: wrong answers given without a word
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("fused", [False, True])
def test_sgd_ignores_dampening_without_momentum_like_torch(fused):
    # torch.optim.SGD(lr=0.1, dampening=0.5), x = 1 and three unit gradients: 0.9, 0.8, 0.7
    opt = optim.SGD(lr=0.1, dampening=0.5, fused=fused)
    x = np.ones(1)
    seen = []
    for _ in range(3):
        opt.step(x, np.ones(1))
        seen.append(x[0])
    np.testing.assert_allclose(seen, [0.9, 0.8, 0.7], rtol=0, atol=1e-15)


def test_sgd_dampening_still_applies_with_momentum_per_run():
    # run 0 has no momentum (dampening ignored), run 1 momentum 0.9 (dampening from step 2)
    opt = optim.SGD(lr=0.1, dampening=0.5, momentum=np.array([0.0, 0.9]))
    X = np.ones((2, 1))
    seen = []
    for _ in range(3):
        opt.step(X, np.ones((2, 1)), runs=2)
        seen.append(X[:, 0].copy())
    # run 1: b = 1, 0.9 + 0.5 = 1.4, 1.26 + 0.5 = 1.76
    np.testing.assert_allclose(seen, [[0.9, 0.9], [0.8, 0.76], [0.7, 0.584]], atol=1e-15)


def test_minimize_sgd_ignores_dampening_without_momentum():
    r = descend.minimize(lambda x: x[0], [1.0], grad=lambda x: np.ones(1), optimizer="sgd", lr=0.1,
                         dampening=0.5, steps=3)
    np.testing.assert_allclose(r.history.x[:, 0], [1.0, 0.9, 0.8, 0.7], atol=1e-15)


def test_sgd_dampening_matches_torch_live():
    torch = pytest.importorskip("torch")
    p = torch.nn.Parameter(torch.ones(1, dtype=torch.float64))
    ref = torch.optim.SGD([p], lr=0.1, dampening=0.5)
    x, opt = np.ones(1), optim.SGD(lr=0.1, dampening=0.5)
    for _ in range(5):
        p.grad = torch.ones(1, dtype=torch.float64)
        ref.step()
        opt.step(x, np.ones(1))
        assert x[0] == p.item()


COMPLEX_VALUED = [
    ("derivative", lambda: descend.derivative(lambda x: 1j * x * x, 1.0, method="complex")),
    ("derivative array", lambda: descend.derivative(lambda x: 1j * x, np.ones(3), method="complex")),
    ("gradient", lambda: descend.gradient(lambda p: 1j * np.sum(p * p), np.ones(2), method="complex")),
    ("gradient vectorized", lambda: descend.gradient(lambda P: 1j * np.sum(P * P, axis=1), np.ones((3, 2)),
                                                     method="complex", vectorized=True)),
    ("jacobian", lambda: descend.jacobian(lambda p: 1j * p * p, np.ones(2), method="complex")),
    ("hessian", lambda: descend.hessian(lambda p: 1j * np.sum(p * p), np.ones(2), method="complex")),
    ("hessian vectorized", lambda: descend.hessian(lambda P: 1j * np.sum(P * P, axis=1), np.ones(2),
                                                   method="complex", vectorized=True)),
]


@pytest.mark.parametrize("name, call", COMPLEX_VALUED, ids=[c[0] for c in COMPLEX_VALUED])
def test_complex_step_refuses_a_complex_valued_f(name, call):
    with pytest.raises(DescendError, match=r"method='complex' needs a real-valued f .* is complex"):
        call()


def test_complex_step_still_exact_for_a_real_f():
    assert descend.derivative(np.sin, 1.0, method="complex") == np.cos(1.0)
    H = descend.hessian(lambda p: p[0] ** 2 * p[1], np.array([1.0, 2.0]), method="complex")
    np.testing.assert_allclose(H, [[4.0, 2.0], [2.0, 0.0]], atol=1e-8)


# --------------------------------------------------------------------------------------
# Item 6: cost guards
# --------------------------------------------------------------------------------------


def test_sphere_of_20000_variables_builds_no_dense_hessian():
    import tracemalloc

    from descend import problems

    tracemalloc.start()
    try:
        p = problems.get("sphere", n=20000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 50e6  # the dense Hessian alone would be 3.2 GB
    assert p.f(np.ones(20000)) == 20000.0
    H = problems.get("sphere", n=3).hessian(np.ones(3))  # built when asked for, and still right
    assert np.array_equal(H, 2.0 * np.eye(3))
    H[0, 0] = 5.0  # a fresh copy per call
    assert problems.get("sphere", n=3).hessian(np.ones(3))[0, 0] == 2.0


def test_hessian_refuses_over_its_memory_limit_and_says_how_much():
    calls = []

    def f(p):
        calls.append(1)
        return np.sum(p * p)

    with pytest.raises(DescendError, match=r"hessian of 3000 variables \(method='richardson'\) would take about "
                                           r"[0-9.]+ GiB of memory \(3000 x 3000 matrix, 117039013 evaluations "
                                           r"of f\), over max_memory=1.0 GiB; pass a larger max_memory"):
        descend.hessian(f, np.ones(3000))
    assert not calls  # refused before evaluating anything
    with pytest.raises(DescendError, match=r"vectorized\) would take about [0-9.]+ GiB"):
        descend.hessian(lambda P: np.sum(P * P, axis=1), np.ones(1000), vectorized=True)
    with pytest.raises(DescendError, match=r"over max_memory=1\.0 MiB"):
        descend.hessian(f, np.ones(100), max_memory=2 ** 20)
    # the caller can raise the limit, or lift it
    H = descend.hessian(lambda P: np.sum(P * P, axis=1), np.ones(3), vectorized=True, max_memory=None)
    np.testing.assert_allclose(H, 2 * np.eye(3), atol=1e-6)
    assert descend.hessian(f, np.ones(100), max_memory=2 ** 30).shape == (100, 100)


@pytest.mark.parametrize("bad", [0, -1, "1GB", True, float("nan")])
def test_hessian_max_memory_is_checked(bad):
    with pytest.raises(DescendError, match=r"max_memory must be a number of bytes > 0 or None \(no limit\), got"):
        descend.hessian(lambda p: np.sum(p * p), np.ones(2), max_memory=bad)


# --------------------------------------------------------------------------------------
# Item 4: edge inputs that crashed or misled
# --------------------------------------------------------------------------------------


@pytest.fixture
def no_warnings():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def test_softmax_plus_inf_entries_share_the_mass(no_warnings):
    assert descend.softmax([np.inf, 1.0]).tolist() == [1.0, 0.0]
    assert descend.softmax([np.inf, 1.0, np.inf]).tolist() == [0.5, 0.0, 0.5]
    out = descend.softmax(np.array([[np.inf, 1.0], [1.0, 2.0]], dtype=np.float32))
    assert out.dtype == np.float32 and out[0].tolist() == [1.0, 0.0]
    np.testing.assert_allclose(out[1], descend.softmax(np.array([1.0, 2.0], dtype=np.float32)))
    np.testing.assert_allclose(descend.log_softmax([np.inf, 1.0, np.inf]), [-np.log(2), -np.inf, -np.log(2)])
    assert descend.logsumexp([np.inf, 1.0]) == np.inf
    assert descend.logsumexp([-np.inf, -np.inf]) == -np.inf  # log(0): defined, no warning
    assert descend.logsumexp([[np.inf, 1.0], [-np.inf, -np.inf]], axis=1).tolist() == [np.inf, -np.inf]


def test_softmax_of_all_minus_inf_is_uniform(no_warnings):
    # softmax(x + c) = softmax(x): equal entries falling together stay uniform (our choice,
    # rather than an error, so that a loss on such logits reports divergence, not a traceback)
    out = descend.softmax([[0.0, 1.0], [-np.inf, -np.inf]])
    assert out[1].tolist() == [0.5, 0.5]
    np.testing.assert_allclose(out[0], descend.softmax([0.0, 1.0]))
    assert descend.softmax([[-np.inf, 1.0], [-np.inf, 2.0]], axis=0)[:, 0].tolist() == [0.5, 0.5]
    np.testing.assert_allclose(descend.log_softmax([-np.inf, -np.inf, -np.inf]), np.log([1 / 3] * 3))
    assert descend.softmax([-np.inf, 1.0]).tolist() == [0.0, 1.0]  # a finite max: the usual formula
    assert np.isnan(descend.softmax([np.nan, np.inf])).all()  # nan stays nan


@pytest.mark.parametrize("call, message", [
    (lambda: descend.softmax([]), r"softmax needs at least one entry along axis -1, got x of shape \(0,\)"),
    (lambda: descend.log_softmax(np.zeros((3, 0))), r"log_softmax needs at least one entry along axis -1"),
    (lambda: descend.logsumexp([]), r"logsumexp needs at least one entry along axis None, got x of shape \(0,\)"),
    (lambda: descend.logsumexp(np.zeros((2, 0)), axis=1), r"logsumexp needs at least one entry along axis 1"),
    (lambda: descend.softmax([1.0, 2.0], axis=1),
     r"softmax: axis 1 is out of range for x of shape \(2,\) \(allowed: -1 to 0\)"),
    (lambda: descend.log_softmax([[1.0]], axis=-3), r"log_softmax: axis -3 is out of range"),
    (lambda: descend.logsumexp([1.0, 2.0], axis=(0, 3)), r"logsumexp: axis 3 is out of range"),
    (lambda: descend.logsumexp([[1.0]], axis=(0, 0)), r"logsumexp: axis must not repeat an axis"),
    (lambda: descend.softmax([1.0], axis=0.5), r"softmax: axis must be an integer, got 0.5"),
    (lambda: descend.softmax(1.0), r"softmax: axis -1 is out of range for x of shape \(\)"),
])
def test_softmax_and_logsumexp_refuse_empty_slices_and_bad_axes(call, message):
    with pytest.raises(DescendError, match=message):
        call()


def test_softmax_of_an_empty_batch_is_an_empty_batch():
    assert descend.softmax(np.zeros((0, 3))).shape == (0, 3)  # no slice is empty


@pytest.mark.parametrize("call, message", [
    (lambda: descend.condition_number(np.ones((2, 3)), p=1),
     r"condition_number with p=1 needs a square matrix, got shape \(2, 3\) \(p=None, 2 or -2"),
    (lambda: descend.condition_number(np.eye(2), p=3),
     r"condition_number: p must be one of None, 1, -1, 2, -2, inf, -inf, 'fro', 'nuc'; got 3"),
    (lambda: descend.condition_number(np.eye(2), p="max"), r"p must be one of .*; got 'max'"),
    (lambda: descend.condition_number(np.eye(2), p=True), r"p must be one of .*; got True"),
])
def test_condition_number_refusals(call, message):
    with pytest.raises(DescendError, match=message):
        call()


def test_condition_number_float16_and_norms(no_warnings):
    A = np.array([[2.0, 0.0], [0.0, 1.0]])
    assert descend.condition_number(A.astype(np.float16)) == 2.0
    assert descend.condition_number(A.astype(np.float16), p=1) == 2.0
    assert descend.condition_number(A, p=np.inf) == 2.0
    assert descend.condition_number(np.ones((2, 3)), p=2) > 1e15  # any shape with singular values
    assert descend.condition_number([[1.0, 0.0], [0.0, 0.0]], p=1) == np.inf  # singular, no warning


@pytest.mark.parametrize("f, vectorized, message", [
    (lambda x: None, False, r"f must return real numbers \(int or float\), got None"),
    (lambda x: "abc", False, r"f must return real numbers \(int or float\), got 'abc'"),
    (lambda x: 1j * x[0], False, r"f must return real numbers \(int or float\), got 1j"),
    (lambda X: None, True, r"f must return real numbers \(int or float\), got None"),
    (lambda X: 1j * X[:, 0], True, r"f must return real numbers \(int or float\), got an array of dtype complex128"),
])
def test_minimize_refuses_an_f_that_returns_no_real_number(f, vectorized, message):
    # f returning None used to be reported as "diverged at the start", a string or a complex
    # number as NumPy's TypeError / ValueError
    with pytest.raises(DescendError, match=message):
        descend.minimize(f, [1.0], steps=2, vectorized=vectorized)


def test_minimize_refuses_a_grad_that_returns_complex_numbers(no_warnings):
    with pytest.raises(DescendError, match=r"grad must return real numbers \(int or float\), got an array of "
                                           r"dtype complex128"):
        descend.minimize(lambda x: x @ x, [1.0], grad=lambda x: 1j * x, steps=2)


def test_minimize_refuses_x0_of_booleans():
    with pytest.raises(DescendError, match=r"x0 must hold real numbers \(int or float\), got dtype bool"):
        descend.minimize(lambda x: x @ x, [True, False], steps=2)
    assert descend.minimize(lambda x: x @ x, [1, 0], steps=2).x.dtype == np.float64  # integers are numbers


@pytest.mark.parametrize("value", ["abc", None, 1j])
def test_an_lr_schedule_that_returns_no_number_is_refused(value):
    with pytest.raises(DescendError, match=rf"gd: the schedule gave lr={value!r}; it must be a finite number >= 0"):
        descend.minimize(lambda x: x @ x, [1.0], lr=lambda t: value, steps=2)


@pytest.mark.parametrize("bad", [5, "state", None, np.zeros(3)])
def test_load_state_dict_refuses_what_is_not_a_mapping(bad):
    opt = optim.Adam()
    with pytest.raises(DescendError, match=r"adam: load_state_dict needs a mapping \(the output of state_dict\(\)"):
        opt.load_state_dict(bad)


def test_load_state_dict_refuses_malformed_values_and_changes_nothing():
    opt = optim.Adam(lr=0.1)
    x = np.ones(3)
    opt.step(x, np.ones(3))
    before = opt.state_dict()
    with pytest.raises(DescendError, match=r"adam: state_dict is malformed \(ValueError: invalid literal"):
        opt.load_state_dict({**before, "runs": "many"})
    assert opt.count == 1


def test_schedule_value_checks_its_step():
    from descend import schedules

    for sched in (schedules.Cosine(1.0, decay_steps=10), schedules.Cosine(1.0, decay_steps=10, warmup_steps=3),
                  schedules.StepDecay(1.0, step_size=2), schedules.OneCycle(1.0, total_steps=10),
                  schedules.Polynomial(1.0, decay_steps=5), schedules.ReduceOnPlateau(1.0)):
        for k in (-1, float("nan"), 2.5, "3"):
            with pytest.raises(DescendError, match=r"step must be an integer >= 0, got"):
                sched.value(k)
        assert sched.value(np.int64(3)) == sched(3)


def test_cosine_refuses_a_warmup_longer_than_its_decay():
    from descend import schedules

    with pytest.raises(DescendError, match=r"warmup_steps must be <= decay_steps \(10\), got 20"):
        schedules.Cosine(1.0, decay_steps=10, warmup_steps=20)
    assert schedules.Cosine(1.0, decay_steps=10, warmup_steps=10).value(10) == 1.0


@pytest.mark.parametrize("loss", ["x", None, True, [1.0, "a"], 1j])
def test_reduce_on_plateau_observe_refuses_what_is_not_a_loss(loss):
    from descend import schedules

    sched = schedules.ReduceOnPlateau(1.0)
    with pytest.raises(DescendError, match=r"loss must be a real number or a 1-D array of them \(one per run\)"):
        sched.observe(loss)
    assert sched.observed == 0


@pytest.mark.parametrize("stream", [5, "xy", None])
def test_train_online_refuses_a_stream_that_is_not_an_iterable_of_pairs(stream):
    from descend import nn

    model = nn.mlp([2, 3, 1], rng=0)
    with pytest.raises(DescendError, match=r"stream must be an iterable of \(x, y\) pairs"):
        descend.train_online(model, stream, loss="mse", optimizer=optim.SGD(lr=0.1))


def test_sweep_checks_lock_timeout_without_a_store():
    from descend import problems, sweeps

    for bad in (-1, float("nan"), "10", True):
        with pytest.raises(DescendError, match=r"lock_timeout must be a number of seconds >= 0, got"):
            sweeps.sweep(problems.get("sphere"), {"optimizer": ["gd"], "lr": [0.1]}, steps=2, lock_timeout=bad)


@pytest.mark.parametrize("argv, message", [
    (["compare", "sphere", "--seed", "-1", "--starts", "3"], "Invalid value for '--seed': -1 is not in the range x>=0."),
    (["lr-find", "sphere", "--batch-size", "0"], "--batch-size must be >= 1 (or 'full'), got 0"),
    (["lr-find", "moons", "--batch-size", "0"], "--batch-size must be >= 1 (or 'full'), got 0"),
    (["lr-find", "moons", "--batch-size", "8,16"], "--batch-size takes one value for lr-find, got '8,16'"),
])
def test_cli_edge_options_are_one_line_and_exit_2(capsys, argv, message):
    from descend.cli import main

    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [f"descend: error: {message}"]


# --------------------------------------------------------------------------------------
# Item 2: hostile files (built in tmp_path), refused before they cost anything
# --------------------------------------------------------------------------------------



def _model_file(tmp_path, name="m.npz"):
    path = tmp_path / name
    nn.save(nn.mlp([4, 8, 3], rng=0), path)
    return path


def _rewrite(path, out, **fields):
    """A copy of the .npz at ``path`` with some fields replaced (arrays or JSON-able values)."""
    with np.load(path) as f:
        data = dict(f)
    for k, v in fields.items():
        data[k] = v if isinstance(v, np.ndarray) else np.array(json.dumps(v))
    atomic_savez(out, data)
    return out


def _huge_architecture(path):
    with np.load(path) as f:
        arch = json.loads(str(f["architecture"]))
    arch["layers"][0].update(in_features=60000, out_features=60000)
    return arch


_LIMITED = r"""
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, 3 * 2**30))  # a test must not take the machine down
from descend import nn
from descend.errors import DescendError
try:
    nn.load(sys.argv[1])
except DescendError as exc:
    print("refused:", exc)
"""


def test_a_small_model_file_declaring_a_huge_layer_is_refused_without_allocating(tmp_path):
    bad = _rewrite(_model_file(tmp_path), tmp_path / "bad.npz", architecture=_huge_architecture(tmp_path / "m.npz"))
    assert bad.stat().st_size < 40_000
    # in a child limited to 3 GB of address space: before the fix it built the 14.4 GB layer
    child = subprocess.run([sys.executable, "-c", _LIMITED, str(bad)], capture_output=True, text=True, timeout=300,
                           check=False)
    assert child.returncode == 0, child.stderr[-2000:]
    assert ("refused: '" + str(bad) + "': parameter '0.weight' must be float32 of shape (60000, 60000), got float32 "
            "of shape (4, 8) (architecture layer 0 declares Linear(60000, 60000); nothing was built)") in child.stdout
    # the time it takes: bench/limits.py (huge)


_TRAIN_SCRIPT = r"""
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, 3 * 2**30))  # a test must not take the machine down
import numpy as np
from descend import datasets, nn, optim, train
from descend.errors import DescendError
s = datasets.moons(90, noise=0.2, seed=0)
model = nn.mlp((2, 12, 2), rng=3)
try:
    train(model, s.X, s.y, loss="cross_entropy", optimizer=optim.Adam(lr=0.01), batch_size=10, epochs=2,
          seed=11, checkpoint=sys.argv[1], resume=True, progress=False)
except DescendError as exc:
    print("refused:", exc)
"""


def _checkpoint(tmp_path, epochs=1, **kw):
    from descend import datasets, train

    path = tmp_path / "run.npz"
    s = datasets.moons(90, noise=0.2, seed=0)
    model = nn.mlp((2, 12, 2), rng=3)
    train(model, s.X, s.y, loss="cross_entropy", optimizer=optim.Adam(lr=0.01), batch_size=10, epochs=epochs,
          seed=11, checkpoint=path, progress=False, **kw)
    return path


def _resume(path, epochs=2):
    from descend import datasets, train

    s = datasets.moons(90, noise=0.2, seed=0)
    model = nn.mlp((2, 12, 2), rng=3)
    return train(model, s.X, s.y, loss="cross_entropy", optimizer=optim.Adam(lr=0.01), batch_size=10,
                 epochs=epochs, seed=11, checkpoint=path, resume=True, progress=False)


def test_a_40kb_checkpoint_declaring_linear_60000_is_refused_at_resume(tmp_path):
    good = _checkpoint(tmp_path)
    with np.load(good) as f:
        arch = json.loads(str(f["architecture"]))
        run = json.loads(str(f["run"]))
    arch["layers"][0].update(in_features=60000, out_features=60000)
    run["architecture"] = arch
    bad = _rewrite(good, tmp_path / "bad.npz", architecture=arch, run=run)
    assert bad.stat().st_size < 40_000
    # in a child limited to 3 GB of address space: before the fix it built the 14.4 GB layer
    child = subprocess.run([sys.executable, "-c", _TRAIN_SCRIPT, str(bad)], capture_output=True, text=True, check=False,
                           timeout=300)
    assert child.returncode == 0, child.stderr[-2000:]
    assert "refused:" in child.stdout and "declares Linear(60000, 60000); nothing was built" in child.stdout


def _patch_declared_size(path, member, size):
    """Make the zip directory (and the local header) of ``member`` declare ``size`` bytes."""
    raw = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(member)
    struct.pack_into("<I", raw, info.header_offset + 22, size)  # local header: uncompressed size
    start = raw.find(b"PK\x01\x02")
    while start >= 0:  # central directory entries
        name_len = struct.unpack_from("<H", raw, start + 28)[0]
        if raw[start + 46:start + 46 + name_len].decode() == member:
            struct.pack_into("<I", raw, start + 24, size)
        start = raw.find(b"PK\x01\x02", start + 4)
    path.write_bytes(bytes(raw))


def _npy_bytes(a):
    buf = io.BytesIO()
    np.save(buf, a)
    return buf.getvalue()


def _zip_with(path, members, compress=zipfile.ZIP_STORED):
    base = {"__format__.npy": _npy_bytes(np.array("descend.model")), "__version__.npy": _npy_bytes(np.array(1))}
    with zipfile.ZipFile(path, "w", compression=compress) as zf:
        for name, data in {**base, **members}.items():
            zf.writestr(name, data)
    return path


def test_a_zip_whose_directory_declares_gigabytes_is_refused_before_decompressing(tmp_path):
    bomb = _zip_with(tmp_path / "bomb.npz", {"param/0.weight.npy": _npy_bytes(np.zeros(250_000))},
                     compress=zipfile.ZIP_DEFLATED)
    _patch_declared_size(bomb, "param/0.weight.npy", 4_000_000_000)
    assert bomb.stat().st_size < 1_000_000
    with pytest.raises(DescendError, match=r"bomb.npz' declares [0-9]+ bytes of arrays from a [0-9]+-byte file, "
                                           r"more than the [0-9]+ allowed \(100x its size, at most 2147483648; "
                                           r"pass max_bytes= to allow a larger model\)"):
        nn.load(bomb)
    with pytest.raises(DescendError, match=r"bomb.npz' declares [0-9]+ bytes of arrays, more than the "
                                           r"2147483648 allowed \(pass max_bytes= to allow a larger model\)"):
        nn.load(bomb, max_bytes=2 ** 31)
    # under the limit, still more than deflate can make of its compressed bytes
    with pytest.raises(DescendError, match=r"field 'param/0.weight' declares 4000000000 bytes from [0-9]+ "
                                           r"compressed, more than its compression can produce"):
        nn.load(bomb, max_bytes=2 ** 33)


def test_a_stored_member_larger_than_its_bytes_is_refused(tmp_path):
    bomb = _zip_with(tmp_path / "bomb.npz", {"param/0.weight.npy": _npy_bytes(np.zeros(10))})
    _patch_declared_size(bomb, "param/0.weight.npy", 1_000_000_000)
    with pytest.raises(DescendError, match=r"declares 1000000000 bytes from [0-9]+ compressed"):
        nn.load(bomb, max_bytes=2 ** 31)


def test_an_npy_header_declaring_more_than_its_entry_holds_is_refused(tmp_path):
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": "<f4", "fortran_order": False, "shape": (60000, 60000)})
    lie = buf.getvalue() + bytes(64)
    path = _zip_with(tmp_path / "lie.npz", {"param/0.weight.npy": lie})
    with pytest.raises(DescendError, match=r"field 'param/0.weight' declares float32 of shape \(60000, 60000\) "
                                           r"\([0-9]+ bytes\) but its entry holds [0-9]+ bytes"):
        nn.load(path)


def test_an_honest_but_large_deflated_member_is_bounded_by_max_bytes(tmp_path):
    big = _zip_with(tmp_path / "big.npz", {"param/0.weight.npy": _npy_bytes(np.zeros(2_000_000))},
                    compress=zipfile.ZIP_DEFLATED)  # 16 MB of zeros in about 16 KB
    assert big.stat().st_size < 100_000
    with pytest.raises(DescendError, match=r"declares [0-9]+ bytes of arrays, more than the 1000000 allowed"):
        nn.load(big, max_bytes=1_000_000)


def test_too_many_members_repeated_names_and_foreign_names_are_refused(tmp_path):
    many = _zip_with(tmp_path / "many.npz", {f"param/{i}.weight.npy": _npy_bytes(np.zeros(1)) for i in range(10_001)})
    with pytest.raises(DescendError, match=r"holds 10003 arrays, more than the 10000 a descend model file may have"):
        nn.load(many)
    twice = tmp_path / "twice.npz"
    with zipfile.ZipFile(twice, "w") as zf:
        zf.writestr("__format__.npy", _npy_bytes(np.array("descend.model")))
        with pytest.warns(UserWarning, match="Duplicate name"):
            zf.writestr("__format__.npy", _npy_bytes(np.array("descend.model")))
    with pytest.raises(DescendError, match=r"names an array twice"):
        nn.load(twice)
    odd = _zip_with(tmp_path / "odd.npz", {"../../etc/passwd": b"x", "param/0.weight.npy": _npy_bytes(np.zeros(1))})
    with pytest.raises(DescendError, match=r"has unexpected fields \['../../etc/passwd'\]"):
        nn.load(odd)


class _Boom:
    def __reduce__(self):
        return (open, ("BOOM", "w"))


def test_an_object_array_under_an_allowed_name_is_refused_unread(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    buf = io.BytesIO()
    np.save(buf, np.array([_Boom()], dtype=object), allow_pickle=True)
    path = _zip_with(tmp_path / "evil.npz", {"param/0.weight.npy": buf.getvalue()})
    with pytest.raises(DescendError, match=r"field 'param/0.weight' is an object array \(pickled data is never "
                                           r"loaded\)"):
        nn.load(path)
    assert not (tmp_path / "BOOM").exists()


def _nested(depth):
    return "[" * depth + "]" * depth


def test_deeply_nested_json_in_a_model_file_is_refused_with_a_message(tmp_path):
    bad = _rewrite(_model_file(tmp_path), tmp_path / "deep.npz", architecture=np.array(_nested(100_000)))
    with pytest.raises(DescendError, match=r"deep.npz': field 'architecture' is JSON nested 100000 deep, deeper "
                                           r"than the 100 accepted"):
        nn.load(bad)


@pytest.mark.parametrize("field", ["run", "progress", "history", "callbacks", "rng", "optim_keys"])
def test_deeply_nested_json_in_a_checkpoint_is_refused_with_a_message(tmp_path, field):
    bad = _rewrite(_checkpoint(tmp_path), tmp_path / "deep.npz", **{field: np.array(_nested(100_000))})
    with pytest.raises(DescendError, match=r"JSON nested 100000 deep, deeper than the 100 accepted"):
        _resume(bad)


def _progress_edit(tmp_path, **changes):
    """The checkpoint with progress fields changed; a changed step is carried into the history
    too (its meta and its per-step arrays), as a careful forger would."""
    good = _checkpoint(tmp_path, checkpoint_every=3)
    with np.load(good) as f:
        progress = json.loads(str(f["progress"]))
        history = json.loads(str(f["history"]))
        loss, lr = f["history_loss"], f["history_lr"]
    progress.update(changes)
    extra = {}
    if "step" in changes and "epoch" not in changes:
        k = changes["step"]
        history["step"] = k
        extra = {"history": history, "history_loss": loss[:k], "history_lr": lr[:k]}
    return _rewrite(good, tmp_path / "tampered.npz", progress=progress, **extra)


@pytest.mark.parametrize("changes, message", [
    # 90 samples in batches of 10: 9 batches an epoch
    ({"batch": 1_000_000_000, "in_epoch": True},
     r"progress field 'batch' is 1000000000, but an epoch of this run has 9 batches"),
    ({"batch": 1e9, "in_epoch": True}, r"progress field 'batch' must be an integer >= 0, got 1000000000.0"),
    ({"batch": 3}, r"progress field 'batch' is 3, but between epochs it is 0"),
    ({"step": 5}, r"progress field 'step' is 5, but epoch 1 and batch 0 of 9 per epoch make 9"),
    ({"count": 7}, r"progress field 'count' is 7, but the last epoch makes 90 samples"),
    ({"epoch": 2, "step": 18}, r"history and progress disagree on epoch/step"),
    ({"loss_sum": float("inf")}, r"progress fields loss_sum, epoch_time and metric_sums must be finite numbers"),
    ({"epoch_time": -1.0}, r"progress fields loss_sum, epoch_time and metric_sums must be finite numbers"),
    ({"in_epoch": True, "batch": 0, "count": 0}, r"field 'perm' is not a permutation of the 90 samples"),
])
def test_tampered_progress_fields_are_refused(tmp_path, changes, message):
    bad = _progress_edit(tmp_path, **changes)
    with pytest.raises(DescendError, match=message):
        _resume(bad)


def test_an_untampered_checkpoint_still_resumes(tmp_path):
    h = _resume(_checkpoint(tmp_path), epochs=2)
    assert h.status == "completed" and h.epoch == 2


@pytest.mark.parametrize("sched", ["cosine", "plateau"])
def test_a_schedule_load_state_dict_refuses_what_is_not_a_mapping(sched):
    from descend import schedules

    s = schedules.Cosine(1.0, decay_steps=10) if sched == "cosine" else schedules.ReduceOnPlateau(1.0)
    with pytest.raises(DescendError, match=rf"{sched} schedule: load_state_dict needs a mapping"):
        s.load_state_dict(5)


@pytest.mark.parametrize("key, value, message", [
    ("current", "abc", r"'current' must be numbers, got 'abc'"),
    ("current", float("nan"), r"'current' must be numbers, got nan"),
    ("best", None, r"'best' must be numbers, got None"),
    ("num_bad", -1, r"'num_bad' must be integers >= 0, got -1"),
    ("observed", [1, 2], r"'observed' must be integers >= 0, got \[1, 2\]"),
])
def test_reduce_on_plateau_state_is_checked_and_unchanged_when_refused(key, value, message):
    from descend import schedules

    s = schedules.ReduceOnPlateau(1.0)
    state = {**s.state_dict(), key: value}
    with pytest.raises(DescendError, match=rf"plateau schedule state {message}"):
        s.load_state_dict(state)
    assert s.current == 1.0 and s.observed == 0


def test_compare_refuses_a_negative_seed_from_python():
    # the CLI checked --seed; the library call drew from default_rng(-1) and gave NumPy's traceback
    with pytest.raises(DescendError, match=r"seed must be an integer >= 0, got -1"):
        descend.compare("sphere", ["sgd"], starts=3, seed=-1)


def test_store_refuses_deeply_nested_stored_json(tmp_path):
    from descend.sweeps.store import SweepStore as Store
    path = tmp_path / "sweep.db"
    with Store(path, "w") as store:
        store._con.execute("UPDATE meta SET value=? WHERE name='definitions'", ("[" * 100_000 + "]" * 100_000,))
    with pytest.raises(DescendError, match=r"nest"):
        with Store(path) as store:
            store.definitions
