"""The explorer's server under hostile or heavy requests (issue 19, point 7).

Every numeric field of every endpoint refuses non-finite, huge-integer and out-of-range values
with a 400 naming it; a computation past its deadline is ended and frees its slot at once, so
light requests are answered within a second while the largest allowed ones are in flight; a
client that disconnects mid-body is one log line; the Host check accepts only well-formed local
hosts; ``/api/export`` refuses what ``/api/run`` refuses.
"""

from __future__ import annotations

import concurrent.futures
import json
import logging
import os
import socket
import threading
import time
import warnings

import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")
uvicorn = pytest.importorskip("uvicorn")
import httpx  # noqa: E402

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from descend.serve import checks as serve_checks  # noqa: E402
from descend.serve import create_app  # noqa: E402
from descend.serve.api import runner  # noqa: E402
from helpers import free_port  # noqa: E402

TOKEN = "test-token-limits"
BASE = "http://127.0.0.1:8765"
AUTH = {"Authorization": f"token {TOKEN}"}

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(token=TOKEN), base_url=BASE, raise_server_exceptions=False) as c:
        c.headers.update(AUTH)
        yield c


# --------------------------------------------------------------------------- every numeric field

RUN = {"problem": "rosenbrock", "start": [-1.2, 1.0], "steps": 20, "gtol": 1e-8,
       "runs": [{"optimizer": "adam", "lr": 0.01, "gtol": 1e-8, "betas": [0.9, 0.999], "eps": 1e-8,
                 "weight_decay": 0.0}, {"optimizer": "momentum", "lr": 0.01, "momentum": 0.9}]}
FORMULA = {**RUN, "problem": {"expression": "x**2 + y**2", "window": [[-2, 2], [-2, 2]]}}
SURFACE = {"problem": {"expression": "x**2 + y**2", "window": [[-2, 2], [-2, 2]]}, "points": 11,
           "window": [[-1, 1], [-1, 1]]}
LR = {"problem": "rosenbrock", "start": [-1.2, 1.0], "steps": 10, "lrs": {"min": 1e-4, "max": 1.0, "points": 5},
      "optimizers": [{"optimizer": "adam", "eps": 1e-8}]}
DERIV = {"expression": "sin(x)", "x": 1.0, "h": {"min": 1e-8, "max": 1e-1, "points": 5}}
TRAIN = {"dataset": "moons", "n": 40, "noise": 0.1, "test_fraction": 0.5, "hidden": [4], "lr": 0.01,
         "batch_size": 10, "seed": 1, "grid": 10, "optimizer": "adam", "betas": [0.9, 0.999], "eps": 1e-8}


def _fields():
    """(endpoint, body, path to the numeric field) for every numeric field of every endpoint."""
    rows = []
    for path in ("/api/run", "/api/export"):
        for where in (["start", 0], ["start", 1], ["steps"], ["gtol"], ["runs", 0, "lr"], ["runs", 0, "gtol"],
                      ["runs", 0, "betas", 0], ["runs", 0, "betas", 1], ["runs", 0, "eps"],
                      ["runs", 0, "weight_decay"], ["runs", 1, "momentum"]):
            rows.append((path, RUN, where))
        for where in (["problem", "window", 0, 0], ["problem", "window", 1, 1]):
            rows.append((path, FORMULA, where))
    for where in (["points"], ["window", 0, 1], ["window", 1, 0], ["problem", "window", 0, 1]):
        rows.append(("/api/surface", SURFACE, where))
    for where in (["start", 0], ["steps"], ["lrs", "min"], ["lrs", "max"], ["lrs", "points"],
                  ["optimizers", 0, "eps"]):
        rows.append(("/api/lr", LR, where))
    for where in (["x"], ["h", "min"], ["h", "max"], ["h", "points"]):
        rows.append(("/api/derivatives", DERIV, where))
    train = [["n"], ["noise"], ["test_fraction"], ["hidden", 0], ["lr"], ["batch_size"], ["seed"], ["grid"],
             ["betas", 0], ["eps"]]
    rows += [("/api/train/start", TRAIN, where) for where in train]
    rows += [("/api/export", {"kind": "train", "epochs": 2, **TRAIN}, where) for where in train + [["epochs"]]]
    rows.append(("/api/train/step", {"session": "@session", "updates": 1}, ["updates"]))
    return rows


def _label(where) -> str:
    out = ""
    for part in where:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _raw_body(body, where, raw: str) -> bytes:
    """``body`` as JSON with the field at ``where`` written as the raw JSON text ``raw``."""
    body = json.loads(json.dumps(body))
    node = body
    for part in where[:-1]:
        node = node[part]
    node[where[-1]] = "@@value@@"
    return json.dumps(body).replace('"@@value@@"', raw).encode()


#: A JSON integer too large for a float, non-finite numbers, and a value below every field's range.
BAD_VALUES = ["1" + "0" * 400, "-" + "9" * 400, "NaN", "Infinity", "-Infinity", "1e400", "-1e300"]


@pytest.mark.parametrize("path,body,where", _fields(), ids=lambda v: _label(v) if isinstance(v, list) else None)
def test_every_numeric_field_refuses_non_finite_huge_and_out_of_range(client, path, body, where):
    if body.get("session") == "@session":
        body = {**body, "session": client.post("/api/train/start", json=TRAIN).json()["session"]}
    leaf = next(p for p in reversed(where) if isinstance(p, str))
    ok = client.post(path, content=_raw_body(body, where, json.dumps(_get(body, where))),
                     headers={"content-type": "application/json"})
    assert ok.status_code == 200, ok.text  # the body is good but for the value under test
    for raw in BAD_VALUES:
        r = client.post(path, content=_raw_body(body, where, raw), headers={"content-type": "application/json"})
        assert r.status_code == 400, (raw[:12], r.text)
        message = r.json()["error"]
        assert leaf in message and "\n" not in message and len(message) < 400, message


def _get(body, where):
    for part in where:
        body = body[part]
    return body


def test_a_huge_integer_is_named_by_its_size_not_printed(client):
    r = client.post("/api/run", content=_raw_body(RUN, ["runs", 0, "lr"], "1" + "0" * 400),
                    headers={"content-type": "application/json"})
    assert r.status_code == 400
    assert r.json()["error"] == "runs[0].lr: must be a number in (0, 1000], got an integer of 401 digits"


def test_export_validates_exactly_as_run(client):
    for over in ({"gtol": float("nan")}, {"runs": [{"optimizer": "adam", "gtol": -1}]}, {"steps": 10 ** 400}):
        run = client.post("/api/run", content=json.dumps({**RUN, **over}).encode(),
                          headers={"content-type": "application/json"})
        export = client.post("/api/export", content=json.dumps({**RUN, **over}).encode(),
                             headers={"content-type": "application/json"})
        assert run.status_code == export.status_code == 400
        assert run.json() == export.json()
    assert "gtol" in client.post("/api/export", content=b'{"problem": "rosenbrock", "gtol": NaN, "runs": '
                                 b'[{"optimizer": "gd"}]}').json()["error"]


# --------------------------------------------------------------------------- the Host header

@pytest.mark.parametrize("host", ["127.0.0.1:80@evil.com", "[127.0.0.1]", "[127.0.0.1]:8765", "127.0.0.1:99999",
                                  "localhost:80:80", "localhost.:8765x", "::1", "user@localhost", "127.0.0.1/x",
                                  "", " ", "localhost evil.com", "[::1]evil"])
def test_malformed_hosts_are_refused(host):
    c = TestClient(create_app(token=TOKEN), base_url=BASE)
    r = c.get("/api/problems", headers={**AUTH, "Host": host})
    assert r.status_code == 403 and "DNS rebinding" in r.json()["error"]


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.1:8765", "localhost:1", "[::1]", "[::1]:8765",
                                  "[0:0:0:0:0:0:0:1]:80"])
def test_well_formed_local_hosts_are_accepted(host):
    c = TestClient(create_app(token=TOKEN), base_url=BASE)
    assert c.get("/api/problems", headers={**AUTH, "Host": host}).status_code == 200


def test_the_given_host_is_accepted_and_nothing_else():
    c = TestClient(create_app(token=TOKEN, host="0.0.0.0"), base_url=BASE)
    assert c.get("/api/problems", headers={**AUTH, "Host": "10.0.0.7:8765"}).status_code == 200
    assert c.get("/api/problems", headers={**AUTH, "Host": "10.0.0.7:80@evil.com"}).status_code == 403


# --------------------------------------------------------------------------- a real server

@pytest.fixture(scope="module")
def server():
    """The app under uvicorn on a free port, in a thread of this process (so LIMITS and logs are shared)."""
    app = create_app(token=TOKEN)
    port = free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(200):
        if srv.started:
            break
        time.sleep(0.05)
    yield app, f"http://127.0.0.1:{port}", port
    srv.should_exit = True
    thread.join(10)
    app.app.state.compute.workers.close()


#: The largest /api/lr the limits allow (81 lrs x 5000 steps x 2 optimizers = the run-steps bound).
LARGEST_LR = {"problem": "rosenbrock", "steps": 5000, "lrs": {"min": 1e-4, "max": 1.0, "points": 81},
              "optimizers": [{"optimizer": "adam"}, {"optimizer": "rmsprop"}]}
#: A heavy request (5000 steps x 2 optimizers > 6000) the worker refuses at once (min > max): each
#: answer shows a worker that has imported descend, without computing at nice 10 on a busy box.
STARTS_WORKERS = {**LARGEST_LR, "lrs": {"min": 2.0, "max": 1.0}}


def _workers_answer(http) -> None:
    with concurrent.futures.ThreadPoolExecutor(2) as pool:  # both workers, at once
        for r in pool.map(lambda _: http.post("/api/lr", json=STARTS_WORKERS), range(2)):
            assert r.status_code == 400 and r.json()["error"].startswith("lrs: min must be < max"), r.text
LARGEST_RUN = {"problem": {"expression": "(1-x)**2 + 100*(y-x**2)**2 + sin(x*y)"}, "steps": 5000,
               "runs": [{"optimizer": "adam", "lr": 1e-3}] * 12}


def test_light_requests_are_answered_while_the_largest_run_and_the_deadline_ends_them(server, monkeypatch):
    app, base, _ = server
    workers = app.app.state.compute.workers
    with httpx.Client(base_url=base, headers=AUTH, timeout=20) as http:
        _workers_answer(http)  # the workers started
        runner.warm_now({"optimizer": "adam", "lr": 0.01})  # the small run's loop loaded, as descend serve does
        monkeypatch.setitem(serve_checks.LIMITS, "wall_time_s", 2.0)
        killed = workers.killed
        before = set(workers.pids())
        heavy = [LARGEST_LR] * 4 + [LARGEST_RUN] * 4
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            sent = time.monotonic()
            futures = [pool.submit(http.post, "/api/run" if "runs" in b else "/api/lr", json=b) for b in heavy]
            time.sleep(0.3)
            for _ in range(3):
                t = time.monotonic()
                assert http.get("/api/problems").status_code == 200
                assert time.monotonic() - t < 1.0
                t = time.monotonic()
                small = http.post("/api/run", json={"problem": "rosenbrock", "steps": 50,
                                                    "runs": [{"optimizer": "adam", "lr": 0.01}]})
                assert small.status_code == 200 and small.json()["runs"][0]["nit"] == 50
                assert time.monotonic() - t < 1.0
            answers = [f.result() for f in futures]
            took = time.monotonic() - sent
    # each is ended at its deadline, or (on a quiet machine, an lr sweep whose loops were warm) answered
    # before it; the four largest runs cannot finish in time and are ended
    ended = [r for r in answers if r.status_code == 400 and r.json()["error"].startswith("wall time:")]
    finished = [b for r, b in zip(answers, heavy) if r.status_code == 200 and "runs" not in b]
    assert len(ended) + len(finished) == len(answers) and len(ended) >= 4, \
        [(r.status_code, r.text[:120]) for r in answers]
    assert took < 2.0 + 1.5  # every one answered at its deadline, the queued ones too
    # the computing ones were ended, not left running (a queued one that got a fresh worker just before its deadline too)
    assert workers.size <= workers.killed - killed <= len(heavy)
    gone = time.monotonic() + 10  # SIGKILLed; a nice-10 process on a busy box takes a moment to exit
    while any(_alive(pid) for pid in before) and time.monotonic() < gone:
        time.sleep(0.1)
    assert not [pid for pid in before if _alive(pid)]
    assert app.app.state.compute.in_flight == 0
    monkeypatch.setitem(serve_checks.LIMITS, "wall_time_s", 10.0)
    with httpx.Client(base_url=base, headers=AUTH, timeout=20) as http:  # fresh workers took the slots
        _workers_answer(http)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(") ")[1][0] != "Z"
    except FileNotFoundError:
        return False
    except OSError:
        return os.path.exists(f"/proc/{pid}")


def test_a_client_that_disconnects_mid_body_is_one_log_line(server):
    app, _, port = server
    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record)

    handler = Keep(level=logging.DEBUG)
    logger = logging.getLogger("descend.serve")
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        for _ in range(3):
            with socket.create_connection(("127.0.0.1", port)) as s:
                s.sendall(f"POST /api/run HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: token {TOKEN}\r\n"
                          f"Content-Type: application/json\r\nContent-Length: 5000\r\n\r\n{{\"problem\": ".encode())
                time.sleep(0.1)
        deadline = time.monotonic() + 5
        while len(records) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    assert len(records) == 3, [r.getMessage() for r in records]
    for r in records:
        assert r.exc_info is None and r.levelno == logging.WARNING
        assert "disconnected" in r.getMessage() and "\n" not in r.getMessage()


# --------------------------------------------------------------------------- a refused formula, in one friendly line

FORMULAS = {  # formula -> (English line, Japanese line)
    "x+": ("this is not a formula yet (invalid syntax)", "式として読めません (文法の誤り)"),
    "z*2": ("the name z is not allowed here", "名前 z はここでは使えません"),
    "foo(x)": ("the function foo is not allowed here", "関数 foo はここでは使えません"),
    "x**1000": ("the exponent 1000 is too large (at most 100 in size)", "指数 1000 が大きすぎます (大きさは 100 まで)"),
    "(((x": ("this is not a formula yet ('(' is never closed)", "式として読めません ('(' が閉じていません)"),
    "1e999": ("a number is too large or not finite", "数値が大きすぎるか、有限ではありません"),
    "sin(x, y)": ("sin takes exactly one argument, e.g. sin(x)", "sin の引数はちょうど 1 つです (例: sin(x))"),
    "x % y": ("the operator % is not allowed here", "演算子 % はここでは使えません"),
    "": ("the formula is empty", "式が空です"),
}


@pytest.mark.parametrize("text", list(FORMULAS))
def test_a_refused_formula_is_one_friendly_line_in_each_language(client, text):
    en, ja = FORMULAS[text]
    bodies = [("/api/surface", {"problem": {"expression": text}}),
              ("/api/run", {"problem": {"expression": text}, "runs": [{"optimizer": "gd"}]}),
              ("/api/lr", {"problem": {"expression": text}, "steps": 5000,  # heavy: the worker's refusal
                           "optimizers": [{"optimizer": "gd"}] * 2}),
              ("/api/export", {"problem": {"expression": text}, "runs": [{"optimizer": "gd"}]})]
    for path, body in bodies:
        r = client.post(path, json=body)
        assert r.status_code == 400, r.text
        answer = r.json()
        assert answer["error"].startswith("problem.expression: ")  # the field, for scripts
        assert answer["formula_error"] == {"en": en, "ja": ja}, path
    if "y" not in text:
        r = client.post("/api/derivatives", json={"expression": text})
        assert r.status_code == 400 and r.json()["formula_error"] == {"en": en, "ja": ja}
