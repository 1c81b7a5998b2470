"""The Training panel's curvature over HTTP (issue 24): the sharpness against 2/η and the loss slice.

Every frame of ``/api/train/start`` and ``/api/train/step`` carries ``curvature`` (the sharpness
of the training loss, its stability threshold) and ``slice`` (the loss along the line from the
initial weights), measured every ``curvature_every`` updates.  The numbers are those of
``descend.curvature`` at the same weights, reached here by ``descend.train`` (the playground's
updates are ``descend.train``'s), exactly; the existing fields are unchanged; bad input is one
400 naming the field.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette 1.x: "use httpx2" (the test client still works with httpx)
    from starlette.testclient import TestClient

import descend
from descend import curvature, datasets, nn, optim
from descend.serve import create_app
from descend.serve.api import playground, train_curvature
from descend.serve.checks import LIMITS

TOKEN = "curvature-token"

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

FRAME_KEYS = {"step", "epoch", "train_loss", "test_loss", "train_accuracy", "test_accuracy", "status", "message",
              "grid"}
CURVATURE_KEYS = {"step", "every", "sharpness", "preconditioned_sharpness", "compare", "threshold", "rule",
                  "converged", "reason", "message"}


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(token=TOKEN), base_url="http://127.0.0.1:8765", raise_server_exceptions=False) as c:
        c.headers.update({"Authorization": f"token {TOKEN}"})
        yield c


def post(client, path, body, status=200):
    r = client.post(path, json=body)
    assert r.status_code == status, r.text
    return r.json()


BODY = {"dataset": "moons", "n": 120, "noise": 0.1, "hidden": [6], "activation": "tanh", "optimizer": "sgd",
        "lr": 0.5, "batch_size": None, "seed": 4, "grid": 10}


def trained(body: dict, epochs: int):
    """The playground's model after ``epochs`` epochs, rebuilt by the library alone (data, split, mlp,
    descend.train with the seed), with its initial weights and its optimizer."""
    kwargs = {"classes": 2} if body["dataset"] == "spirals" else {}
    data = datasets.get(body["dataset"], n=body["n"], noise=body["noise"], seed=body["seed"], **kwargs)
    s = data.split(0.5, seed=body["seed"])
    X, y = s.X_train.astype(np.float64), s.y_train.astype(np.float64)
    model = nn.mlp([2, *body["hidden"], 1], activation=body["activation"], rng=body["seed"], dtype="float64")
    initial = {k: p.copy() for k, p in model.params.items()}
    hp = {k: (tuple(v) if isinstance(v, list) else v) for k, v in body.items() if k not in BODY}
    opt = optim.get(body["optimizer"], lr=body["lr"], **hp)
    descend.train(model, X, y, loss="bce_with_logits", optimizer=opt, batch_size=body["batch_size"], epochs=epochs,
                  seed=body["seed"], progress=False)
    return model, X, y, initial, opt


def test_every_frame_carries_the_curvature_and_the_old_fields_stay(client):
    start = post(client, "/api/train/start", BODY)
    frame = start["frame"]
    assert FRAME_KEYS | {"curvature", "slice"} == set(frame)
    c = frame["curvature"]
    assert set(c) == CURVATURE_KEYS and c["step"] == 0 and c["every"] == playground.CURVATURE_EVERY == 10
    assert c["rule"] == "gd" and c["threshold"] == 2 / BODY["lr"] and c["compare"] == "sharpness"
    assert c["sharpness"] > 0 and c["converged"] and c["reason"] is None
    assert frame["slice"]["alphas"] is None and frame["slice"]["reason"] == "not_moved"  # no line yet
    sid = start["session"]
    f = post(client, "/api/train/step", {"session": sid, "updates": 4})["frame"]
    assert f["curvature"]["step"] == 0 and f["slice"]["step"] == 0  # not yet due: the last measurement
    f = post(client, "/api/train/step", {"session": sid, "updates": 6})["frame"]
    assert f["curvature"]["step"] == 10 and f["slice"]["step"] == 10
    assert len(f["slice"]["alphas"]) == len(f["slice"]["loss"]) == 21
    f = post(client, "/api/train/step", {"session": sid, "updates": 3, "measure": True})["frame"]
    assert f["curvature"]["step"] == 13  # asked for: measured at once
    assert client.get("/api/datasets").json()["limits"]["curvature_every"] == list(LIMITS["curvature_every"])


@pytest.mark.parametrize("over", [{}, {"optimizer": "momentum", "lr": 0.1, "momentum": 0.8},
                                  {"optimizer": "nesterov", "lr": 0.1}, {"optimizer": "gd"},
                                  {"optimizer": "adam", "lr": 0.01, "betas": [0.8, 0.99]}])
def test_the_numbers_are_descend_curvatures_at_the_same_weights(client, over):
    body = {**BODY, **over}
    start = post(client, "/api/train/start", body)
    frame = post(client, "/api/train/step", {"session": start["session"], "updates": 20})["frame"]
    model, X, y, initial, opt = trained(body, 20)  # full batch: an epoch is an update
    c, line = frame["curvature"], frame["slice"]
    seed, loss = body["seed"], "bce_with_logits"
    assert c["step"] == 20
    assert c["sharpness"] == curvature.sharpness(model, loss, X, y, tol=train_curvature.TOL, seed=seed)
    if body["optimizer"] == "adam":
        assert c["rule"] == "adam" and c["compare"] == "preconditioned_sharpness"
        pre = curvature.preconditioned_sharpness(model, loss, X, y, opt, tol=train_curvature.TOL, seed=seed)
        assert c["preconditioned_sharpness"] == float(pre.eigenvalues[0])
        assert c["threshold"] == curvature.stability_threshold(opt) == pytest.approx((2 + 1.6) / (0.2 * 0.01))
    else:
        assert c["threshold"] == curvature.stability_threshold(opt)  # the SGD family by its own classes
        assert c["rule"] == {"sgd": "gd", "gd": "gd", "momentum": "momentum", "nesterov": "nesterov"}[body["optimizer"]]
        assert c["preconditioned_sharpness"] is None
    expected = curvature.interpolate(model, loss, X, y, initial, model.params, alphas=train_curvature.ALPHAS)
    assert line["alphas"] == expected.alphas.tolist() and line["loss"] == expected.loss.tolist()
    assert line["loss"][line["alphas"].index(1.0)] == frame["train_loss"]  # alpha = 1: the weights now


def test_no_threshold_is_said_so_and_adam_before_its_first_update(client):
    f = post(client, "/api/train/start", {**BODY, "optimizer": "rmsprop", "lr": 0.01})["frame"]["curvature"]
    assert f["threshold"] is None and f["rule"] is None and f["reason"] == "no_threshold" and f["sharpness"] > 0
    assert "rmsprop" in f["message"]
    f = post(client, "/api/train/start", {**BODY, "optimizer": "adam", "lr": 0.01})["frame"]["curvature"]
    assert f["sharpness"] > 0 and f["preconditioned_sharpness"] is None and f["reason"] == "no_step_yet"
    assert f["threshold"] == pytest.approx(38 / 0.01)


def test_a_diverged_run_keeps_its_last_finite_measurement(client):
    start = post(client, "/api/train/start", {**BODY, "dataset": "linear", "lr": 50.0, "activation": "relu",
                                               "batch_size": 10})
    frame = post(client, "/api/train/step", {"session": start["session"], "updates": 200, "measure": True})["frame"]
    assert frame["status"] == "diverged"
    c = frame["curvature"]
    assert c["reason"] in (None, "not_finite") and (c["sharpness"] is None) == (c["reason"] == "not_finite")


def test_curvature_every_zero_measures_only_when_asked(client):
    start = post(client, "/api/train/start", {**BODY, "curvature_every": 0})
    assert start["frame"]["curvature"] is None and start["frame"]["slice"] is None
    sid = start["session"]
    assert post(client, "/api/train/step", {"session": sid, "updates": 30})["frame"]["curvature"] is None
    f = post(client, "/api/train/step", {"session": sid, "updates": 0, "measure": True})["frame"]
    assert f["curvature"]["step"] == 30 and f["curvature"]["every"] == 0


@pytest.mark.parametrize("path, over, message", [
    ("start", {"curvature_every": -1}, "curvature_every: must be an integer in [0, 500], got -1"),
    ("start", {"curvature_every": 501}, "curvature_every: must be an integer in [0, 500], got 501"),
    ("start", {"curvature_every": 2.5}, "curvature_every: must be an integer in [0, 500], got 2.5"),
    ("step", {"measure": "yes"}, "measure: must be true or false, got 'yes'"),
    ("step", {"measure": 1}, "measure: must be true or false, got 1"),
])
def test_bad_input_is_one_clear_error(client, path, over, message):
    if path == "start":
        r = client.post("/api/train/start", json={**BODY, **over})
    else:
        sid = post(client, "/api/train/start", BODY)["session"]
        r = client.post("/api/train/step", json={"session": sid, "updates": 1, **over})
    assert r.status_code == 400 and r.json() == {"error": message}, r.text


def test_a_measurement_is_bounded_on_the_largest_network():
    # the largest network and data set the playground takes: one measurement (Lanczos stops at tol or
    # after min(n, 60) products; 21 forward passes for the slice) costs what a few dozen updates cost;
    # counted in Hessian-vector products, not timed
    cfg = playground.parse_config({"dataset": "spirals", "n": LIMITS["train_n"][1], "test_fraction": 0.1,
                                   "hidden": [LIMITS["width"]] * LIMITS["hidden_layers"], "optimizer": "adam",
                                   "lr": 0.01, "batch_size": None, "curvature_every": 1})
    session = playground.Session(cfg)
    session.advance(3)
    op = curvature.HessianOperator(session.model, session.loss, session.X, session.y)
    top = curvature.eigenvalues(session.model, session.loss, session.X, session.y, tol=train_curvature.TOL,
                                seed=cfg["seed"])
    assert top.converged and top.nhvp <= min(op.n, 60)
    frame = session.frame()
    assert frame["curvature"]["step"] == 3 and frame["curvature"]["converged"]
    assert frame["curvature"]["sharpness"] == float(top.eigenvalues[0])


@pytest.mark.parametrize("raw", ["1" + "0" * 400, "NaN", "Infinity", "-Infinity", "1e400", "-1e300", "true", '"10"'])
def test_curvature_every_refuses_what_is_not_a_small_integer(client, raw):
    # as tests/test_serve_limits.py does for every other numeric field: the raw JSON text, one line naming the field
    body = json.dumps({**BODY, "curvature_every": "@@"}).replace('"@@"', raw)
    r = client.post("/api/train/start", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 400, r.text
    message = r.json()["error"]
    assert message.startswith("curvature_every: must be an integer in [0, 500]") and "\n" not in message, message


def test_the_sharpness_is_the_top_eigenvalue_where_a_loose_lanczos_stopped_on_the_second():
    # moons, 8-8 tanh, gd lr 0.5, seed 1, update 450: at tol 1e-3 Lanczos stopped after 4 products on the
    # second eigenvalue (1.179; the top is 2.065), a dip on the plot that was not there; it now tests
    # convergence from its 10th step on (tests/test_curvature_lanczos.py), and TOL is the callback's 1e-3
    cfg = playground.parse_config({"dataset": "moons", "n": 200, "noise": 0.1, "hidden": [8, 8], "activation": "tanh",
                                   "optimizer": "gd", "lr": 0.5, "batch_size": None, "seed": 1})
    session = playground.Session(cfg)
    session.advance(450)
    op = curvature.HessianOperator(session.model, session.loss, session.X, session.y)
    dense = np.stack([op.matvec(e) for e in np.eye(op.n)])
    top, second = np.linalg.eigvalsh((dense + dense.T) / 2)[-2:][::-1]
    assert top == pytest.approx(2.065, abs=1e-3) and second == pytest.approx(1.179, abs=1e-3)  # the trap is there
    c = session.frame()["curvature"]
    assert c["rule"] == "gd" and c["threshold"] == 2 / 0.5  # gd's own threshold, no SGD built in its place
    assert c["converged"] and c["sharpness"] == pytest.approx(top, rel=train_curvature.TOL)
