"""The explorer's HTTP API, without a browser: every endpoint, the guard, every limit, the numbers.

Every number the page shows must be descend's: /api/run is compared with
descend.minimize for every optimizer, /api/lr with the batched run and the
curvature, /api/derivatives with descend.diff_error, the playground with
descend.train, and the exported snippets are run.
"""

from __future__ import annotations

import json
import math
import pathlib
import os
import signal
import socket
import subprocess
import sys
import time
import warnings

import numpy as np
import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette 1.x: "use httpx2" (the test client still works with httpx)
    from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

import descend
from descend import optim
from descend.serve import create_app
from descend.serve.app import STATIC
from descend.serve import checks as serve_checks
from descend.serve.api import landscape, runner
from helpers import free_port

TOKEN = "test-token-123"
BASE = "http://127.0.0.1:8765"
AUTH = {"Authorization": f"token {TOKEN}"}

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(token=TOKEN), base_url=BASE, raise_server_exceptions=False) as c:
        c.headers.update(AUTH)
        yield c


def post(client, path, body, status=200):
    r = client.post(path, json=body)
    assert r.status_code == status, r.text
    return r.json()


def run_body(**over):
    body = {"problem": "rosenbrock", "start": [-1.2, 1.0], "steps": 50, "runs": [{"optimizer": "adam", "lr": 0.01}]}
    body.update(over)
    return body


# --------------------------------------------------------------------------- the guard

API_GETS = ["/api/problems", "/api/optimizers", "/api/datasets"]
API_POSTS = ["/api/run", "/api/surface", "/api/lr", "/api/derivatives", "/api/train/start", "/api/train/step",
             "/api/train/stop", "/api/export"]


@pytest.mark.parametrize("path", ["/"] + API_GETS)
def test_get_without_token_is_403(path):
    c = TestClient(create_app(token=TOKEN), base_url=BASE)
    r = c.get(path)
    assert r.status_code == 403 and "token" in r.json()["error"]
    assert c.get(path, params={"token": "wrong"}).status_code == 403
    assert c.get(path, headers={"Authorization": "token wrong"}).status_code == 403
    assert c.get(path, headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 403
    assert c.get(path, params={"token": TOKEN}).status_code == 200
    assert c.get(path, headers=AUTH).status_code == 200


@pytest.mark.parametrize("path", API_POSTS)
def test_post_without_token_is_403_and_computes_nothing(path, monkeypatch):
    called = []
    monkeypatch.setattr(runner, "minimize", lambda *a, **k: called.append(1))
    c = TestClient(create_app(token=TOKEN), base_url=BASE)
    r = c.post(path, json=run_body())
    assert r.status_code == 403 and not called


def test_page_and_assets(client):
    page = client.get("/", params={"token": TOKEN})
    assert page.status_code == 200 and "<html" in page.text.lower()
    assert "default-src 'self'" in page.headers["content-security-policy"]
    bare = TestClient(create_app(token=TOKEN), base_url=BASE)
    js = bare.get("/vendor/plotly.min.js")  # public code: no token needed, served from the plotly wheel
    assert js.status_code == 200 and len(js.content) > 1_000_000 and "javascript" in js.headers["content-type"]
    assert bare.get("/static/index.html").status_code == 200


def test_the_vendored_cartesian_bundle_is_the_full_bundles_version():
    # the page draws with plotly.js's cartesian partial bundle (static/vendor/) and switches to the
    # wheel's full one for the 3-D view: both must be the same plotly.js release
    import re

    bare = TestClient(create_app(token=TOKEN), base_url=BASE)
    part = bare.get("/static/vendor/plotly-cartesian.min.js")
    whole = bare.get("/vendor/plotly.min.js")
    assert part.status_code == 200 and "javascript" in part.headers["content-type"]
    version = re.compile(r"plotly\.js (?:\(cartesian - minified\) )?v(\d+\.\d+\.\d+)")
    ours, wheels = version.search(part.text[:300]), version.search(whole.text[:300])
    assert ours and wheels and ours.group(1) == wheels.group(1), (part.text[:120], whole.text[:120])
    assert "(cartesian - minified)" in part.text[:300] and len(part.content) < len(whole.content) / 2
    assert 'src="/static/vendor/plotly-cartesian.min.js"' in bare.get("/", params={"token": TOKEN}).text


def test_the_japanese_font_is_served_offline():
    from descend.i18n.plots import font_file

    bare = TestClient(create_app(token=TOKEN), base_url=BASE)
    r = bare.get("/vendor/ipaexg.ttf")  # public like plotly.min.js: the page's own asset
    assert font_file() is not None, "matplotlib-fontja (the demo extra) should be installed with the test extras"
    assert r.status_code == 200 and r.headers["content-type"] == "font/ttf"
    assert r.content == font_file().read_bytes() and r.content[:4] == b"\x00\x01\x00\x00"  # a TrueType file
    css = bare.get("/static/style.css").text
    assert 'url("/vendor/ipaexg.ttf")' in css and '"descend-ja"' in css


@pytest.mark.parametrize("path", ["/static/../app.py", "/static/%2e%2e/app.py", "/static/..%2fapp.py",
                                  "/static/../../expression.py", "/static//etc/passwd", "/vendor/../app.py"])
def test_static_files_stay_in_their_folder(path):
    bare = TestClient(create_app(token=TOKEN), base_url=BASE)
    r = bare.get(path)
    assert r.status_code in (403, 404) and "import" not in r.text and "root:" not in r.text


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8765", "127.0.0.1.evil.example", "attacker.localhost.com",
                                  "10.1.2.3:8765"])
def test_foreign_host_is_refused(host):
    c = TestClient(create_app(token=TOKEN), base_url=BASE)
    r = c.get("/api/problems", headers={**AUTH, "Host": host})
    assert r.status_code == 403 and "DNS rebinding" in r.json()["error"]
    assert c.get("/vendor/plotly.min.js", headers={"Host": host}).status_code == 403


@pytest.mark.parametrize("host", ["127.0.0.1:8765", "localhost:8765", "localhost", "[::1]:8765", "LOCALHOST:1"])
def test_local_hosts_are_accepted(host):
    c = TestClient(create_app(token=TOKEN), base_url=BASE)
    assert c.get("/api/problems", headers={**AUTH, "Host": host}).status_code == 200


def test_host_when_bound_to_all_interfaces():
    c = TestClient(create_app(token=TOKEN, host="0.0.0.0"), base_url=BASE)
    assert c.get("/api/problems", headers={**AUTH, "Host": "192.168.1.20:8765"}).status_code == 200
    assert c.get("/api/problems", headers={**AUTH, "Host": "evil.example:8765"}).status_code == 403
    named = TestClient(create_app(token=TOKEN, host="myhost.lan"), base_url=BASE)
    assert named.get("/api/problems", headers={**AUTH, "Host": "myhost.lan:8765"}).status_code == 200
    assert named.get("/api/problems", headers={**AUTH, "Host": "other.lan:8765"}).status_code == 403


def test_foreign_origin_is_refused(client):
    r = client.post("/api/run", json=run_body(), headers={"Origin": "http://evil.example"})
    assert r.status_code == 403 and "Origin" in r.json()["error"]
    assert client.post("/api/run", json=run_body(), headers={"Origin": "null"}).status_code == 403
    assert client.post("/api/run", json=run_body(), headers={"Origin": BASE}).status_code == 200


def test_websocket_with_foreign_origin_is_refused():
    c = TestClient(create_app(token=TOKEN), base_url=BASE)
    url = f"ws://127.0.0.1:8765/api/ws?token={TOKEN}"
    with pytest.raises(WebSocketDisconnect) as refused:
        with c.websocket_connect(url, headers={"Origin": "http://evil.example"}):
            pass
    assert refused.value.code == 1008 and "Origin" in refused.value.reason
    with pytest.raises(WebSocketDisconnect) as no_token:
        with c.websocket_connect("ws://127.0.0.1:8765/api/ws", headers={"Origin": BASE}):
            pass
    assert no_token.value.code == 1008
    # same origin with the token passes the guard (and meets no websocket route: a normal close)
    with pytest.raises(WebSocketDisconnect) as passed:
        with c.websocket_connect(url, headers={"Origin": BASE}):
            pass
    assert passed.value.code == 1000


def test_unknown_path_and_method(client):
    r = client.get("/api/nothing")
    assert r.status_code == 404 and "not found" in r.json()["error"]
    r = client.get("/api/run")
    assert r.status_code == 405 and "method not allowed" in r.json()["error"]


# --------------------------------------------------------------------------- listings

def test_problems_listing(client):
    r = client.get("/api/problems").json()
    names = [p["name"] for p in r["problems"]]
    expected = [n for n in descend.problems.names() if descend.problems.get(n).dim == 2]
    assert names == expected and "rosenbrock" in names
    rb = next(p for p in r["problems"] if p["name"] == "rosenbrock")
    assert rb["x0"] == [-1.2, 1.0] and rb["window"] == [[-2.0, 2.0], [-1.0, 3.0]] and rb["minimum"] == 0.0
    syntax = r["syntax"]
    assert "sin" in syntax["functions"] and syntax["max_length"] == descend.expression.MAX_LENGTH
    assert syntax["help"].startswith("allowed:")


def test_optimizers_listing(client):
    r = client.get("/api/optimizers").json()
    assert [o["name"] for o in r["optimizers"]] == optim.names()
    from descend import linesearch

    assert r["line_searches"] == list(linesearch.METHODS) and "backtracking" in r["line_searches"]
    for o in r["optimizers"]:
        defaults = optim.get(o["name"]).defaults()
        for hp in o["hyperparameters"]:
            d = defaults[hp["name"]]
            expected = list(d) if isinstance(d, tuple) else d
            if isinstance(d, float) and not math.isfinite(d):
                expected = None  # JSON has no inf
            assert hp["default"] == expected, (o["name"], hp["name"])
    adam = next(o for o in r["optimizers"] if o["name"] == "adam")
    lr = next(h for h in adam["hyperparameters"] if h["name"] == "lr")
    assert lr["min"] == 0 and not lr["min_inclusive"] and lr["scale"] == "log"
    betas = next(h for h in adam["hyperparameters"] if h["name"] == "betas")
    assert betas["kind"] == "pair" and betas["max"] == 1 and not betas["max_inclusive"]
    assert adam["torch"] == "torch.optim.Adam" and adam["optax"] == "optax.adam"


def test_datasets_listing(client):
    r = client.get("/api/datasets").json()
    assert {d["name"] for d in r["datasets"]} == {"moons", "circles", "spirals", "xor", "linear"}
    assert r["limits"]["width"] == [1, serve_checks.LIMITS["width"]]


# --------------------------------------------------------------------------- /api/run

def _same(a, b):
    """Equal lists of floats, with None standing for non-finite."""
    a = np.array([np.nan if v is None else v for v in np.ravel(np.array(a, dtype=object))], dtype=float)
    return np.array_equal(a, np.ravel(np.asarray(b, dtype=float)), equal_nan=True) or np.array_equal(
        a, np.where(np.isfinite(np.ravel(b)), np.ravel(b), np.nan), equal_nan=True)


def _hp_example(name):
    """A non-default hyperparameter for each optimizer that has one, so they are passed through."""
    return {"sgd": {"momentum": 0.5}, "momentum": {"momentum": 0.8}, "nesterov": {"momentum": 0.7},
            "adagrad": {"eps": 1e-9}, "adadelta": {"rho": 0.8}, "rmsprop": {"alpha": 0.9},
            "adam": {"betas": [0.8, 0.99]}, "adamw": {"weight_decay": 0.02}, "nadam": {"eps": 1e-7},
            "radam": {"betas": [0.85, 0.995]}, "adamax": {"betas": [0.9, 0.99]},
            "lion": {"betas": [0.9, 0.98]}}.get(name, {})


@pytest.mark.parametrize("name", optim.names())
def test_run_equals_minimize_for_every_optimizer(client, name):
    hp = _hp_example(name)
    lr = 0.1 if name in ("adadelta",) else 1e-3
    body = run_body(steps=120, runs=[{"optimizer": name, "lr": lr, **hp}])
    kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in hp.items()}
    try:
        res = descend.minimize(descend.problems.get("rosenbrock"), np.array([-1.2, 1.0]), optimizer=name, lr=lr,
                               steps=120, **kwargs)
    except descend.DescendError as exc:  # an optimizer for matrices only (Muon): the same refusal, as a 400
        r = client.post("/api/run", json=body)
        assert r.status_code == 400 and r.json()["error"] == f"runs[0]: {exc}"
        listed = {o["name"]: o["points"] for o in client.get("/api/optimizers").json()["optimizers"]}
        assert listed[name] is False
        return
    out = post(client, "/api/run", body)["runs"][0]
    assert out["status"] == res.status and out["message"] == res.message and out["nit"] == res.nit
    assert len(out["x"]) == res.nit + 1 and out["x"][0] == [-1.2, 1.0]
    assert _same(out["x"], res.history.x)
    assert _same(out["f"], res.history.f)
    assert _same(out["grad_norm"], res.history.grad_norm)


def test_several_runs_line_search_and_gtol(client):
    body = run_body(steps=300, gtol=1e-3, runs=[{"optimizer": "gd", "line_search": "backtracking"},
                                                {"optimizer": "momentum", "lr": 1e-3, "momentum": 0.9},
                                                {"optimizer": "gd", "lr": 1e-3, "gtol": 10.0}])
    out = post(client, "/api/run", body)["runs"]
    p = descend.problems.get("rosenbrock")
    ref = [descend.minimize(p, np.array([-1.2, 1.0]), steps=300, gtol=1e-3, line_search="backtracking"),
           descend.minimize(p, np.array([-1.2, 1.0]), steps=300, gtol=1e-3, optimizer="momentum", lr=1e-3,
                            momentum=0.9),
           descend.minimize(p, np.array([-1.2, 1.0]), steps=300, gtol=10.0, optimizer="gd", lr=1e-3)]
    for o, r in zip(out, ref):
        assert o["status"] == r.status and _same(o["x"], r.history.x) and _same(o["f"], r.history.f)
    assert out[2]["status"] == "converged"


def test_run_on_a_typed_function(client):
    text = "x**2/20 + y**2"
    out = post(client, "/api/run", run_body(problem={"expression": text}, start=[2.5, -1.0], steps=40,
                                            runs=[{"optimizer": "gd", "lr": 0.5}]))["runs"][0]
    res = descend.minimize(descend.problems.from_expression(text), np.array([2.5, -1.0]), lr=0.5, steps=40)
    assert _same(out["x"], res.history.x) and out["status"] == res.status
    assert out["x"][0] == [2.5, -1.0]


def test_default_start_is_the_problems(client):
    body = run_body()
    del body["start"]
    out = post(client, "/api/run", body)["runs"][0]
    assert out["x"][0] == [-1.2, 1.0]


def test_overflow_is_a_status_not_an_error(client):
    for text, start in [("exp(1000*x) + y", [1.0, 1.0]), ("x**y", [-1.0, 0.5]), ("1/(x*x + y*y)", [0.0, 0.0])]:
        out = post(client, "/api/run", run_body(problem={"expression": text}, start=start,
                                                runs=[{"optimizer": "gd", "lr": 0.1}]))["runs"][0]
        assert out["status"] == "diverged", (text, out)
    out = post(client, "/api/run", run_body(runs=[{"optimizer": "gd", "lr": 10.0}], steps=200))["runs"][0]
    assert out["status"] == "diverged" and json.dumps(out)  # valid JSON: non-finite numbers are null


def test_internals(client):
    body = run_body(steps=5, internals=True, runs=[{"optimizer": "momentum", "lr": 1e-3, "momentum": 0.9},
                                                   {"optimizer": "adam", "lr": 0.01},
                                                   {"optimizer": "gd", "line_search": "exact"}])
    mom, adam, ls = post(client, "/api/run", body)["runs"]
    g0 = descend.problems.get("rosenbrock").grad(np.array([-1.2, 1.0]))
    assert len(mom["internals"]["grad"]) == 5
    np.testing.assert_array_equal(mom["internals"]["grad"][0], g0)
    np.testing.assert_array_equal(mom["internals"]["state"]["momentum_buffer"][0], g0)  # b1 = g0
    np.testing.assert_allclose(np.diff(np.array(mom["x"]), axis=0), mom["internals"]["update"], rtol=0, atol=0)
    np.testing.assert_allclose(adam["internals"]["state"]["exp_avg"][0], 0.1 * g0, rtol=1e-15)
    np.testing.assert_allclose(adam["internals"]["state"]["exp_avg_sq"][0], 0.001 * g0 * g0, rtol=1e-15)
    assert "exp_avg" in adam["internals"]["titles"] and "internals" not in ls


INTERNALS_CASES = [("rosenbrock", {"optimizer": "momentum", "lr": 1e-3, "momentum": 0.9}),
                   ("rosenbrock", {"optimizer": "adagrad", "lr": 0.1}),
                   ("rosenbrock", {"optimizer": "rmsprop", "lr": 1e-2}),
                   ("rosenbrock", {"optimizer": "adam", "lr": 1e-2, "amsgrad": True}),
                   ("rosenbrock", {"optimizer": "adadelta", "lr": 1.0}),
                   ({"expression": "x**2/20 + y**2 + sin(x)"}, {"optimizer": "nadam", "lr": 0.05})]


@pytest.mark.parametrize("problem, spec", INTERNALS_CASES)
def test_internals_equal_descend_plot_record(client, problem, spec):
    """The batched replay gives descend.plot.internals.record's numbers for the same run."""
    from descend.plot.internals import record

    steps, start = 300, [-1.5, 2.0]
    out = post(client, "/api/run", run_body(problem=problem, start=start, steps=steps, internals=True,
                                            runs=[spec]))["runs"][0]
    assert out["nit"] == steps
    hp = {k: v for k, v in spec.items() if k not in ("optimizer", "lr")}
    ref = record(landscape.resolve_problem(problem), spec["optimizer"], start, steps, lr=spec["lr"], **hp)
    inside = out["internals"]
    np.testing.assert_allclose(np.array(out["x"]), ref.x, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(np.array(inside["grad"]), ref.grad, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(np.array(inside["update"]), ref.update, rtol=1e-10, atol=1e-15)
    assert set(inside["state"]) == set(ref.state) and ref.state
    for name, values in ref.state.items():
        np.testing.assert_allclose(np.array(inside["state"][name]), values, rtol=1e-12, atol=1e-15, err_msg=name)
    eff = np.array(inside["effective_lr"], dtype=float)
    np.testing.assert_allclose(eff, ref.effective_lr, rtol=1e-10, atol=0, equal_nan=True)


def test_internals_and_status_in_japanese(client):
    out = post(client, "/api/run", run_body(steps=20, internals=True, lang="ja",
                                            runs=[{"optimizer": "adam", "lr": 0.01}]))["runs"][0]
    assert out["internals"]["titles"]["exp_avg"] == descend.i18n.t("plot.state.exp_avg", "ja")
    assert out["status"] == "max_steps" and out["status_text"] == "ステップ数の上限"
    en = post(client, "/api/run", run_body(steps=20, internals=True))["runs"][0]
    assert en["internals"]["titles"]["exp_avg"] == "first moment m (average gradient)"
    assert en["status_text"] == "reached the step limit"
    post(client, "/api/run", run_body(lang="fr"), status=400)


def test_catalogue_endpoint_and_page_follow_descend_i18n(client):
    """The page's labels are descend.i18n's explorer.* keys (no text of its own), in both languages."""
    from descend.i18n import CATALOGUE

    ja = client.get("/api/catalogue?lang=ja").json()["messages"]
    own = {k for k in CATALOGUE if k.startswith("explorer.")}
    assert own and all(ja[k[len("explorer."):]] == CATALOGUE[k]["ja"] for k in own)
    assert ja["tab_lr"] == "学習率" and ja["converged"] == CATALOGUE["status.converged"]["ja"]
    assert ja["state.exp_avg"] == CATALOGUE["plot.state.exp_avg"]["ja"]
    assert client.get("/api/catalogue?lang=xx").status_code == 400
    page = client.get(f"/?token={TOKEN}").text
    blob = page.split('id="descend-catalogue">', 1)[1].split("</script>", 1)[0]
    assert json.loads(blob)["ja"] == ja
    script = str(STATIC / "i18n.js")
    assert "学習率" not in open(script, encoding="utf-8").read()  # no label written twice


# --------------------------------------------------------------------------- limits and bad input

BAD_RUNS = [
    (run_body(steps=5001), "steps: must be an integer in [0, 5000]"),
    (run_body(steps=-1), "steps: must be an integer in [0, 5000]"),
    (run_body(steps=10.5), "steps: must be an integer"),
    (run_body(steps="10"), "steps: must be an integer"),
    (run_body(runs=[{"optimizer": "gd"}] * 13), "runs: must be a list of 1 to 12 items"),
    (run_body(runs=[]), "runs: must be a list of 1 to 12 items"),
    (run_body(runs="adam"), "runs: must be a list"),
    (run_body(runs=[{"optimizer": "gd", "lr": 0}]), "runs[0].lr: must be a number in (0, 1000]"),
    (run_body(runs=[{"optimizer": "gd", "lr": -1}]), "runs[0].lr: must be a number in (0, 1000]"),
    (run_body(runs=[{"optimizer": "gd", "lr": 1e4}]), "runs[0].lr: must be a number in (0, 1000]"),
    (run_body(runs=[{"optimizer": "gd", "lr": True}]), "runs[0].lr"),
    (run_body(runs=[{"optimizer": "sdg"}]), "runs[0].optimizer: must be one of sgd"),
    (run_body(runs=[{"lr": 0.1}]), "runs[0].optimizer: required"),
    (run_body(runs=[{"optimizer": "adam", "beta": 0.9}]), "runs[0]: unknown hyperparameter 'beta' for adam"),
    (run_body(runs=[{"optimizer": "adam", "betas": [1.5, 0.9]}]), "runs[0]: adam: betas[0] must be in [0, 1)"),
    (run_body(runs=[{"optimizer": "adam", "betas": [0.9, 0.9, 0.9]}]), "runs[0].betas: a list must be a pair"),
    (run_body(runs=[{"optimizer": "adam", "eps": "small"}]), "runs[0].eps: must be a number"),
    (run_body(runs=[{"optimizer": "adam", "fused": True}]), "unknown hyperparameter 'fused'"),
    (run_body(runs=[{"optimizer": "adam", "line_search": "exact"}]), "works with optimizer \"gd\" only"),
    (run_body(runs=[{"optimizer": "gd", "line_search": "armijo"}]), "runs[0].line_search: must be one of"),
    (run_body(runs=[{"optimizer": "gd", "gtol": -1}]), "runs[0].gtol"),
    (run_body(runs=[7]), "runs[0]: must be a JSON object"),
    (run_body(start=[1.0]), "start: must be a list of 2 finite numbers"),
    (run_body(start=[1.0, "a"]), "start: must be a list of 2 finite numbers"),
    (run_body(start=[1.0, 1e7]), "start: must be a list of 2 finite numbers within +-1e+06"),
    (run_body(problem="rosenbrok"), "problem: must be one of"),
    (run_body(problem="parabola"), "problem: must be one of"),
    (run_body(problem=3), "problem: must be a problem name"),
    (run_body(problem={"formula": "x"}), "problem: unknown key 'formula'"),
    (run_body(problem={"expression": 3}), "problem.expression: must be a string"),
    (run_body(problem={"expression": "x*y", "window": [[1, 0], [0, 1]]}), "problem.window: every pair"),
    (run_body(problem={"expression": "x + " * 120 + "x"}), "at most 400 are allowed"),
    (run_body(gtol="tight"), "gtol: must be a number"),
    (run_body(internals="yes"), "internals: must be true or false"),
    ({"start": [0, 0], "runs": [{"optimizer": "gd"}]}, "problem: required"),
]


@pytest.mark.parametrize("body,message", BAD_RUNS)
def test_run_refuses_with_one_line(client, body, message):
    r = client.post("/api/run", json=body)
    assert r.status_code == 400, r.text
    err = r.json()["error"]
    assert message in err and "\n" not in err


def test_nonfinite_json_numbers_are_refused(client):
    r = client.post("/api/run", content=b'{"problem": "rosenbrock", "start": [NaN, 1], "steps": 5, '
                                         b'"runs": [{"optimizer": "gd"}]}', headers={"content-type": "application/json"})
    assert r.status_code == 400 and "start" in r.json()["error"]
    r = client.post("/api/run", content=b'{"problem": "rosenbrock", "steps": 5, "runs": [{"optimizer": "gd", '
                                         b'"lr": Infinity}]}', headers={"content-type": "application/json"})
    assert r.status_code == 400 and "runs[0].lr" in r.json()["error"]


@pytest.mark.parametrize("raw,message", [
    (b"", "empty body"),
    (b"not json", "not valid JSON"),
    (b"[1, 2]", "must be a JSON object, got list"),
    (b"[" * 100_000, "at most 65536 bytes"),
    (b"[" * 60_000, "not valid JSON"),
    (b'{"steps": ' + b"9" * 5000 + b"}", "not valid JSON"),
    (json.dumps({"pad": "x" * 70_000}).encode(), "at most 65536 bytes"),
])
def test_bad_bodies(client, raw, message):
    r = client.post("/api/run", content=raw, headers={"content-type": "application/json"})
    assert r.status_code == 400 and message in r.json()["error"], r.text


def test_wall_time_limit(client, monkeypatch):
    # 12 x 5000 steps take ~70 ms now that typed formulas run compiled: a limit of 1 ms is always passed
    monkeypatch.setitem(serve_checks.LIMITS, "wall_time_s", 0.001)
    r = client.post("/api/run", json=run_body(steps=5000, runs=[{"optimizer": "adam", "lr": 1e-3}] * 12,
                                              problem={"expression": "(1-x)**2 + 100*(y-x**2)**2"}))
    assert r.status_code == 400 and r.json()["error"].startswith("wall time: ")
    monkeypatch.setitem(serve_checks.LIMITS, "wall_time_s", 10.0)
    time.sleep(0.05)
    assert client.get("/api/problems").status_code == 200


def test_a_formula_s_work_is_bounded(client):
    big = "+".join(["sin(x*y)*cos(x-y)"] * 20)
    r = client.post("/api/run", json=run_body(problem={"expression": big}, steps=5000,
                                              runs=[{"optimizer": "gd", "lr": 1e-3}] * 12))
    assert r.status_code == 400 and r.json()["error"].startswith("steps: steps x runs x operations of the formula")
    r = client.post("/api/lr", json={"problem": {"expression": big}, "steps": 1500, "lrs": {"points": 20},
                                     "optimizers": [{"optimizer": "gd"}] * 12})
    assert r.status_code == 400 and "at most 5,000,000" in r.json()["error"]
    small = post(client, "/api/run", run_body(problem={"expression": big}, steps=10))
    assert small["runs"][0]["nit"] == 10


def test_computations_at_once_are_bounded(client, monkeypatch):
    monkeypatch.setitem(serve_checks.LIMITS, "in_flight", 0)
    r = client.post("/api/run", json=run_body())
    assert r.status_code == 400 and r.json()["error"].startswith("requests: at most 0 light computations at once")
    monkeypatch.undo()
    assert client.post("/api/run", json=run_body()).status_code == 200


def test_a_bug_is_a_500_and_the_server_lives_on(client, monkeypatch):
    def broken(*args, **kwargs):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(runner, "minimize", broken)
    r = client.post("/api/run", json=run_body())
    assert r.status_code == 500 and r.json()["error"].startswith("internal error: ZeroDivisionError")
    monkeypatch.undo()
    assert client.post("/api/run", json=run_body()).status_code == 200


# --------------------------------------------------------------------------- refused formulas

MALICIOUS = [
    "__import__('os').system('touch {marker}')",
    "__import__('os').system",
    "open('{marker}', 'w').write('x')",
    "exec(\"open('{marker}', 'w')\")",
    "eval(\"__import__('os').system('touch {marker}')\")",
    "globals()['__builtins__']",
    "().__class__.__base__.__subclasses__()",
    "(lambda: __import__('os').system('touch {marker}'))()",
    "[__import__('os').system('touch {marker}') for _ in (1,)]",
    "x.__class__",
    "x[0]",
    "compile('1', 'f', 'eval')",
    "breakpoint()",
    "getattr(x, 'real')",
    "os.system('touch {marker}')",
    "sin(x) if __import__('os').system('touch {marker}') else 1",
    "x**999999999",
    "9**9**9**9",
]


@pytest.mark.parametrize("text", MALICIOUS)
def test_malicious_formulas_are_refused_and_nothing_runs(client, text, tmp_path):
    marker = tmp_path / "pwned"
    text = text.replace("{marker}", str(marker))
    r = client.post("/api/run", json=run_body(problem={"expression": text}))
    if r.status_code == 200:  # only the harmless power towers parse: they evaluate to inf in float64
        assert text.startswith("9**") and r.json()["runs"][0]["status"] == "diverged"
    else:
        assert r.status_code == 400
        err = r.json()["error"]
        assert err.startswith("problem.expression: ") and "allowed: numbers, the variables x, y" in err
    s = client.post("/api/surface", json={"problem": {"expression": text}, "points": 5})
    assert s.status_code in (200, 400)
    d = client.post("/api/derivatives", json={"expression": text, "x": 1.0})
    assert d.status_code == 400
    assert not marker.exists()


# --------------------------------------------------------------------------- surface

def test_surface(client):
    r = post(client, "/api/surface", {"problem": "himmelblau", "points": 21})
    p = descend.problems.get("himmelblau")
    assert len(r["x"]) == 21 and len(r["z"]) == 21 and r["window"] == [[-5.0, 5.0], [-5.0, 5.0]]
    assert r["z"][3][7] == float(p.f(np.array([r["x"][7], r["y"][3]])))
    typed = post(client, "/api/surface", {"problem": {"expression": "log(x) + y", "window": [[-1, 1], [0, 2]]},
                                          "points": 5})
    assert typed["z"][0][0] is None and typed["z"][0][4] == pytest.approx(0.0)  # log(-1) is a gap
    assert typed["description"] == "f(x, y) = log(x) + y" and typed["minimum"] is None
    assert client.post("/api/surface", json={"problem": "booth", "points": 202}).status_code == 400
    r = client.post("/api/surface", json={"problem": "booth", "window": [[0, 1]]})
    assert r.status_code == 400 and r.json()["error"].startswith("window: ")


# --------------------------------------------------------------------------- learning rate

def test_lr_curves_are_one_batched_minimize(client):
    from descend.sweeps.lr_find import curvature

    body = {"problem": "rosenbrock", "start": [-1.2, 1.0], "steps": 100,
            "optimizers": [{"optimizer": "gd"}, {"optimizer": "momentum", "momentum": 0.9}],
            "lrs": {"min": 1e-5, "max": 1.0, "points": 11}}
    r = post(client, "/api/lr", body)
    lrs = np.geomspace(1e-5, 1.0, 11)
    assert r["lrs"] == lrs.tolist()
    p = descend.problems.get("rosenbrock")
    for curve, (name, hp) in zip(r["curves"], [("gd", {}), ("momentum", {"momentum": 0.9})]):
        res = descend.minimize(p, np.tile([-1.2, 1.0], (11, 1)), optimizer=name, lr=lrs, steps=100, history=False,
                               **hp)
        assert curve["status"] == res.status.tolist()
        assert _same(curve["final_f"], res.fun)
        assert curve["diverged"] == [s == "diverged" for s in res.status]
        single = descend.minimize(p, np.array([-1.2, 1.0]), optimizer=name, lr=float(lrs[3]), steps=100, **hp)
        assert curve["final_f"][3] == single.fun  # row i of the batch is the single run
    assert r["curves"][0]["diverged"][-1] and not r["curves"][0]["diverged"][0]
    c = curvature(p, np.array([-1.2, 1.0]))
    assert r["stable_lr"] == c.stable_lr and r["L"] == c.L


@pytest.mark.parametrize("body,message", [
    ({"problem": "booth", "lrs": {"points": 82}}, "lrs.points: must be an integer in [2, 81]"),
    ({"problem": "booth", "lrs": {"min": 1, "max": 0.1}}, "lrs: min must be < max"),
    ({"problem": "booth", "optimizers": [{"optimizer": "gd"}] * 13}, "optimizers: must be a list of 1 to 12"),
    ({"problem": "booth", "optimizers": [{"optimizer": "gd", "lr": 0.1}]}, "optimizers[0].lr: not allowed here"),
    ({"problem": "booth", "optimizers": [{"optimizer": "gd", "line_search": "exact"}]}, "optimizers[0].line_search"),
    ({"problem": "booth", "steps": 0}, "steps: must be an integer in [1, 5000]"),
])
def test_lr_limits(client, body, message):
    r = client.post("/api/lr", json=body)
    assert r.status_code == 400 and message in r.json()["error"], r.text


# --------------------------------------------------------------------------- derivatives

def test_derivatives_panel_is_diff_error(client):
    r = post(client, "/api/derivatives", {"expression": "sin(x)", "x": 1.0, "h": {"min": 1e-12, "max": 1e-1,
                                                                                  "points": 12}})
    hs = np.geomspace(1e-12, 1e-1, 12)
    ref = descend.diff_error(np.sin, 1.0, math.cos(1.0), hs=hs)
    assert r["exact"] == math.cos(1.0) and r["value"] == math.sin(1.0) and r["derivative"] == "cos(x)"
    assert r["hs"] == ref.hs.tolist()
    for m in ("forward", "backward", "central", "five-point", "complex"):
        assert r["errors"][m] == ref.errors[m].tolist(), m
        assert r["best_h"][m] == ref.best_h[m]
    assert r["orders"]["central"] == 2
    assert 1e-9 < r["best_h"]["forward"] < 1e-6 and 1e-7 < r["best_h"]["central"] < 1e-3


@pytest.mark.parametrize("body,message", [
    ({"expression": "x + y", "x": 1.0}, "expression: expression 'x + y': the name 'y' is not allowed"),
    ({"expression": "log(x)", "x": -1.0}, "x: f(x) = nan and f'(x) = -1 at x = -1; both must be finite"),
    ({"expression": "x**2", "x": 0.0, "relative": True}, "relative: needs f'(x) != 0"),
    ({"expression": "x", "methods": ["spline"]}, "methods[0]: must be one of forward"),
    ({"expression": "x", "h": {"points": 162}}, "h.points: must be an integer in [2, 161]"),
    ({"expression": "x", "h": {"min": 0}}, "h.min"),
    ({"x": 1.0}, "expression: required"),
])
def test_derivatives_limits(client, body, message):
    r = client.post("/api/derivatives", json=body)
    assert r.status_code == 400 and message in r.json()["error"], r.text


# --------------------------------------------------------------------------- training playground

def _train(client, **over):
    body = {"dataset": "moons", "n": 200, "noise": 0.1, "hidden": [8, 8], "activation": "tanh", "optimizer": "sgd",
            "lr": 0.1, "batch_size": 10, "seed": 3, "grid": 20}
    body.update(over)
    return post(client, "/api/train/start", body)


def test_training_session(client):
    start = _train(client)
    sid, f0 = start["session"], start["frame"]
    assert f0["step"] == 0 and len(start["data"]["train"]["X"]) == 100 and len(start["data"]["test"]["y"]) == 100
    assert len(f0["grid"]["z"]) == 20 and len(f0["grid"]["z"][0]) == 20
    assert all(0 <= v <= 1 for row in f0["grid"]["z"] for v in row)
    f1 = post(client, "/api/train/step", {"session": sid, "updates": 10})["frame"]
    assert f1["step"] == 10 and f1["epoch"] == 1.0
    for _ in range(10):
        f2 = post(client, "/api/train/step", {"session": sid, "updates": 50})["frame"]
    assert f2["step"] == 510 and f2["test_loss"] < f0["test_loss"] * 0.8
    assert f2["grid"]["z"] != f0["grid"]["z"] and f2["status"] == "running"
    same = _train(client)
    again = post(client, "/api/train/step", {"session": same["session"], "updates": 10})["frame"]
    assert again == f1  # the same seed gives the same run
    assert post(client, "/api/train/stop", {"session": sid}) == {"stopped": True}
    r = client.post("/api/train/step", json={"session": sid, "updates": 1})
    assert r.status_code == 400 and r.json()["error"].startswith("session: unknown or expired")


@pytest.mark.parametrize("dataset", ["circles", "spirals", "xor", "linear"])
def test_every_data_set_trains(client, dataset):
    start = _train(client, dataset=dataset, optimizer="adam", lr=0.01, batch_size=None)
    frame = post(client, "/api/train/step", {"session": start["session"], "updates": 100})["frame"]
    assert frame["train_loss"] < start["frame"]["train_loss"]
    assert (frame["test_accuracy"] is None) == (dataset == "linear")


def test_a_diverging_network_is_a_status(client):
    start = _train(client, dataset="linear", lr=50.0, optimizer="sgd", activation="relu")
    frame = post(client, "/api/train/step", {"session": start["session"], "updates": 200})["frame"]
    assert frame["status"] == "diverged" and "smaller learning rate" in frame["message"]
    assert json.dumps(frame)


@pytest.mark.parametrize("over,message", [
    ({"n": 2001}, "n: must be an integer in [20, 2000]"),
    ({"n": 5}, "n: must be an integer in [20, 2000]"),
    ({"hidden": [8] * 5}, "hidden: must be a list of 0 to 4 items"),
    ({"hidden": [33]}, "hidden[0]: must be an integer in [1, 32]"),
    ({"grid": 101}, "grid: must be an integer in [10, 100]"),
    ({"dataset": "mnist"}, "dataset: must be one of moons"),
    ({"activation": "gelu"}, "activation: must be one of relu"),
    ({"noise": 2}, "noise: must be a number in [0, 1]"),
    ({"batch_size": 0}, "batch_size: must be an integer in [1, 2000]"),
    ({"lr": 0}, "lr: must be a number in (0, 1000]"),
    ({"momentum": -1}, "sgd: momentum must be a finite number >= 0"),
    ({"colour": "red"}, "colour: not a setting of the playground"),
    ({"test_fraction": 0.95}, "test_fraction: must be a number in [0.1, 0.9]"),
])
def test_training_limits(client, over, message):
    body = {"dataset": "moons", **over}
    r = client.post("/api/train/start", json=body)
    assert r.status_code == 400 and message in r.json()["error"], r.text


def test_training_step_limits(client):
    sid = _train(client)["session"]
    r = client.post("/api/train/step", json={"session": sid, "updates": 501})
    assert r.status_code == 400 and "updates: must be an integer in [0, 500]" in r.json()["error"]
    r = client.post("/api/train/step", json={"session": 12, "updates": 1})
    assert r.status_code == 400 and r.json()["error"].startswith("session: ")


def test_sessions_are_bounded():
    from descend.serve.api import playground

    sessions = playground.Sessions(limit=2, idle_s=60)
    cfg = playground.parse_config({"dataset": "xor", "n": 20})
    ids = [sessions.add(playground.Session(cfg)) for _ in range(3)]
    assert len(sessions) == 2
    with pytest.raises(serve_checks.BadRequest):
        sessions.get(ids[0])
    sessions.get(ids[2])
    idle = playground.Sessions(limit=5, idle_s=0.0)
    sid = idle.add(playground.Session(cfg))
    time.sleep(0.01)
    with pytest.raises(serve_checks.BadRequest, match="expired"):
        idle.get(sid)


# --------------------------------------------------------------------------- export

def _run_snippet(code: str, tmp_path) -> list[dict]:
    path = tmp_path / "snippet.py"
    path.write_text(code)
    out = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=300,
                         cwd=tmp_path, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert out.returncode == 0, out.stderr
    return [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]


def test_exported_descend_snippet_gives_the_explorers_numbers(client, tmp_path):
    body = run_body(steps=80, problem={"expression": "(1-x)**2 + 100*(y-x**2)**2", "window": [[-2, 2], [-1, 3]]},
                    runs=[{"optimizer": "adam", "lr": 0.02, "betas": [0.8, 0.99]},
                          {"optimizer": "momentum", "lr": 1e-3},
                          {"optimizer": "gd", "line_search": "backtracking"},
                          {"optimizer": "lion", "lr": 1e-3}])
    shown = post(client, "/api/run", body)["runs"]
    snippets = post(client, "/api/export", {"kind": "run", **body})
    assert "descend.problems.from_expression('(1-x)**2 + 100*(y-x**2)**2'" in snippets["descend"]
    printed = _run_snippet(snippets["descend"], tmp_path)
    assert len(printed) == 4
    for line, run in zip(printed, shown):
        assert line["status"] == run["status"] and line["nit"] == run["nit"]
        assert line["f"] == run["f"][-1] and line["x"] == run["x"][-1]
    assert "torch.optim.Adam([p], lr=0.02, betas=(0.8, 0.99))" in snippets["torch"]
    assert "torch has no equivalent of: lion" in " ".join(snippets["notes"]) or "lion" in " ".join(snippets["notes"])
    assert "optax.adam(learning_rate=0.02, b1=0.8, b2=0.99, eps=1e-08)" in snippets["optax"]


def test_exported_torch_snippet_matches(client, tmp_path):
    pytest.importorskip("torch")
    body = run_body(steps=60, runs=[{"optimizer": "adam", "lr": 0.02}, {"optimizer": "nesterov", "lr": 1e-3},
                                    {"optimizer": "rmsprop", "lr": 1e-3}])
    shown = post(client, "/api/run", body)["runs"]
    code = post(client, "/api/export", {"kind": "run", **body})["torch"]
    path = tmp_path / "t.py"
    path.write_text(code)
    out = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    rows = [line.split(" ", 2) for line in out.stdout.splitlines()]
    assert [r[0].strip("'") for r in rows] == ["adam", "nesterov", "rmsprop"]
    for (_, f, _), run in zip(rows, shown):
        assert float(f) == pytest.approx(run["f"][-1], rel=1e-9)


def test_exported_optax_snippet_matches(client, tmp_path):
    pytest.importorskip("optax")
    names = ["gd", "sgd", "momentum", "nesterov", "adagrad", "adadelta", "rmsprop", "adam", "adamw", "adamax", "lion"]
    runs = [{"optimizer": n, "lr": {"adadelta": 1.0, "adagrad": 0.1}.get(n, 1e-3)} for n in names]
    runs[1]["momentum"] = 0.5
    body = run_body(steps=60, runs=runs)
    shown = post(client, "/api/run", body)["runs"]
    code = post(client, "/api/export", {"kind": "run", **body})["optax"]
    path = tmp_path / "o.py"
    path.write_text(code)
    out = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    rows = [line.split(" ", 2) for line in out.stdout.splitlines()]
    assert [r[0].strip("'") for r in rows] == names
    for (name, f, _), run in zip(rows, shown):
        assert float(f) == pytest.approx(run["f"][-1], rel=1e-12), name


@pytest.mark.parametrize("cfg,epochs", [
    ({"dataset": "moons", "n": 200, "noise": 0.2, "hidden": [8, 8], "activation": "tanh", "optimizer": "adam",
      "lr": 0.01, "batch_size": 10, "seed": 5, "grid": 10, "betas": [0.9, 0.99]}, 3),
    ({"dataset": "spirals", "n": 60, "noise": 0.1, "hidden": [6], "activation": "relu", "optimizer": "momentum",
      "lr": 0.05, "batch_size": 15, "seed": 11, "grid": 10, "test_fraction": 0.5, "momentum": 0.8}, 7),
    ({"dataset": "linear", "n": 40, "noise": 0.3, "hidden": [], "activation": "tanh", "optimizer": "sgd",
      "lr": 0.02, "batch_size": None, "seed": 2, "grid": 10}, 12),
])
def test_exported_training_snippet_gives_the_playgrounds_numbers(client, tmp_path, cfg, epochs):
    # the page sends what it shows (data set, seed, architecture, optimizer, epochs run): the snippet
    # prints the losses and the accuracies of the page's last frame, exactly
    start = post(client, "/api/train/start", cfg)
    per_epoch = -(-round(cfg["n"] * (1 - cfg.get("test_fraction", 0.5))) // (cfg["batch_size"] or cfg["n"]))
    per_epoch = max(1, per_epoch)
    frame = post(client, "/api/train/step", {"session": start["session"], "updates": per_epoch * epochs})["frame"]
    assert frame["epoch"] == epochs
    code = post(client, "/api/export", {"kind": "train", "epochs": epochs, **cfg})["descend"]
    (line,) = _run_snippet(code, tmp_path)
    assert line["step"] == frame["step"] and line["status"] == "completed" and line["epoch"] == epochs
    for key in ("train_loss", "test_loss", "train_accuracy", "test_accuracy"):
        assert line[key] == frame[key], key
    assert (frame["test_accuracy"] is None) == (cfg["dataset"] == "linear")


def test_export_refuses_bad_input(client):
    r = client.post("/api/export", json={"kind": "notebook"})
    assert r.status_code == 400 and "kind: must be one of run, train" in r.json()["error"]
    r = client.post("/api/export", json={"kind": "run", **run_body(problem={"expression": "x.y"})})
    assert r.status_code == 400 and "attribute access" in r.json()["error"]


@pytest.mark.parametrize("body,message", BAD_RUNS)
def test_export_refuses_what_run_refuses(client, body, message):
    # one parser for both: the same body is refused with the same one-line message
    run = client.post("/api/run", json=body)
    snippet = client.post("/api/export", json={"kind": "run", **body})
    assert snippet.status_code == run.status_code == 400, snippet.text
    assert snippet.json()["error"] == run.json()["error"] and message in snippet.json()["error"]


# --------------------------------------------------------------------------- the command

def _start_server(*args):
    proc = subprocess.Popen([sys.executable, "-m", "descend.cli", "serve", "--no-browser", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    return proc, line


def test_serve_command_prints_the_address_and_stops_on_ctrl_c():
    import httpx

    port = free_port()
    proc, line = _start_server("--port", str(port))
    try:
        assert line.startswith(f"descend explorer at http://127.0.0.1:{port}/?token=")
        url = line.split()[3]
        token = url.split("token=")[1]
        for _ in range(50):
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/api/problems", params={"token": token}, timeout=5)
                break
            except httpx.ConnectError:
                time.sleep(0.1)
        assert r.status_code == 200
        assert httpx.get(f"http://127.0.0.1:{port}/api/problems", timeout=5).status_code == 403
        page = httpx.get(url, timeout=5)
        assert page.status_code == 200 and "<html" in page.text.lower()
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0 and out.strip() == "descend explorer stopped", (out, err)
    assert "Traceback" not in err


def test_serve_command_refuses_a_busy_port_in_one_line():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        out = subprocess.run([sys.executable, "-m", "descend.cli", "serve", "--no-browser", "--port", str(port)],
                             capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and out.stderr.count("\n") == 1
    assert f"cannot listen on 127.0.0.1:{port}" in out.stderr


def test_serve_command_warns_for_a_non_local_host():
    port = free_port()
    proc, line = _start_server("--host", "0.0.0.0", "--port", str(port))
    try:
        assert line.startswith(f"descend explorer at http://0.0.0.0:{port}/?token=")
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
    assert "warning: --host 0.0.0.0 makes the explorer reachable from other machines" in err


def test_import_descend_does_not_load_the_web_stack():
    code = ("import sys, descend, descend.cli; "
            "print(any(m.split('.')[0] in ('starlette', 'uvicorn', 'plotly') or m == 'descend.serve' "
            "for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False", out.stderr


def test_every_endpoint_is_written_in_the_contract():
    """CONTRIBUTING's panel recipe: a new route goes into serve/API.md (its heading names it)."""
    from descend.serve import app as app_module

    contract = (pathlib.Path(app_module.__file__).with_name("API.md")).read_text(encoding="utf-8")
    routes = [r for r in create_app(token=TOKEN).app.routes if getattr(r, "path", "").startswith("/api/")]
    assert len(routes) >= 11
    for route in routes:
        for method in route.methods - {"HEAD"}:
            assert f"`{method} {route.path}" in contract, f"{method} {route.path} is not in serve/API.md"
