"""descend.widgets without a browser: traits, validation (the explorer's messages, as DescendError),
results equal to descend.minimize / the playground, the export's code giving the same numbers, and
the page's requests answered in the kernel without a traceback."""

from __future__ import annotations

import contextlib
import io
import json
import re

import numpy as np
import pytest

pytest.importorskip("anywidget", reason="descend.widgets needs the notebook extra (anywidget)")

import descend  # noqa: E402
from descend.errors import DescendError  # noqa: E402
from descend.widgets import Derivatives, Landscape, LearningRate, Training, WidgetError  # noqa: E402
from descend.widgets.model import answer  # noqa: E402

RUNS = [{"optimizer": "adam", "lr": 0.02, "betas": [0.8, 0.99]}, {"optimizer": "momentum", "lr": 1e-3},
        {"optimizer": "gd", "line_search": "backtracking"}]


@pytest.fixture(scope="module")
def landscape():
    return Landscape("rosenbrock", optimizers=RUNS, steps=60)


def _printed(code: str) -> list:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "<export>", "exec"), {"__name__": "__export__"})  # noqa: S102 - our own export
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_landscape_traits_are_plain_and_start_defaults_to_x0(landscape):
    assert landscape.problem == "rosenbrock" and landscape.steps == 60
    assert landscape.start == descend.problems.get("rosenbrock").x0.tolist()
    assert [o["optimizer"] for o in landscape.optimizers] == ["adam", "momentum", "gd"]
    assert Landscape("rosenbrock", optimizers=["adam"]).optimizers == [{"optimizer": "adam"}]


def test_landscape_results_equal_minimize_and_the_page_answer(landscape):
    results = landscape.results
    problem = descend.problems.get("rosenbrock")
    shown = answer({"id": 7, "path": "run", "body": landscape.body()})
    assert shown["id"] == 7 and "error" not in shown
    for res, run, spec in zip(results, shown["data"]["runs"], RUNS):
        kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in spec.items()}
        ref = descend.minimize(problem, np.array(landscape.start), steps=60, **kwargs)
        assert res.fun == ref.fun and np.array_equal(res.x, ref.x) and res.nit == ref.nit
        assert run["f"][-1] == res.fun and run["x"][-1] == res.x.tolist() and run["status"] == res.status


def test_setting_start_from_python_changes_results():
    w = Landscape("rosenbrock", optimizers=["adam"], steps=30)
    before = w.results[0].fun
    w.start = [1.5, -0.5]
    assert w.start == [1.5, -0.5]
    assert w.results[0].fun != before
    assert w.results[0].fun == descend.minimize(descend.problems.get("rosenbrock"), np.array([1.5, -0.5]), steps=30, optimizer="adam",
                                                lr=descend.optim.get_class("adam").defaults()["lr"]).fun


def test_export_runs_and_prints_the_same_numbers(landscape):
    printed = _printed(landscape.export())
    assert len(printed) == 3
    for line, res in zip(printed, landscape.results):
        assert line["status"] == res.status and line["nit"] == res.nit
        assert line["f"] == float(res.fun) and line["x"] == res.x.tolist()
    assert "torch.optim.Adam" in landscape.export("torch")
    with pytest.raises(WidgetError, match="to: must be one of descend, torch, optax"):
        landscape.export("jax")


def test_typed_formula_through_the_explorers_parser():
    w = Landscape("x**2 + 10*y**2", start=[1.0, 1.0], optimizers=[{"optimizer": "gd", "lr": 0.05}], steps=200)
    assert w.problem == {"expression": "x**2 + 10*y**2"}
    assert w.results[0].fun < 1e-6
    with pytest.raises(DescendError, match=r"problem\.expression: .*not allowed"):
        w.problem = "__import__('os')"
    assert w.problem == {"expression": "x**2 + 10*y**2"}  # the refused value is not kept


@pytest.mark.parametrize("trait, value, message", [
    ("problem", {"expression": "x**"}, r"problem\.expression: expression 'x\*\*' is not a formula"),
    ("optimizers", [{"optimizer": "adamw2"}], r"runs\[0\]\.optimizer: must be one of .*adam"),
    ("optimizers", [{"optimizer": "adam", "lr": -1}], r"runs\[0\]\.lr: must be a number in \(0, 1000\], got -1"),
    ("optimizers", [{"optimizer": "adam", "betas": [0.9, 1.5]}], r"runs\[0\]: .*betas"),
    ("steps", -1, r"steps: must be an integer in \[0, \d+\], got -1"),
    ("start", [1.0], r"start: .*2"),
    ("lang", "fr", r"lang: must be one of en, ja, got 'fr'"),
])
def test_bad_traits_raise_the_explorers_message(landscape, trait, value, message):
    before = getattr(landscape, trait)
    with pytest.raises(DescendError, match=message):
        setattr(landscape, trait, value)
    assert getattr(landscape, trait) == before


def test_page_event_refused_is_one_line_and_rolled_back(landscape):
    start = list(landscape.start)
    landscape.set_state({"start": [0.5, 0.5], "steps": -5})  # as the page's comm would set them
    assert landscape.start == start and landscape.steps == 60  # neither kept
    assert landscape.error.startswith("steps: must be an integer") and "\n" not in landscape.error
    landscape.set_state({"start": [0.5, 0.5]})
    assert landscape.start == [0.5, 0.5] and landscape.error == ""
    landscape.start = start


@pytest.mark.parametrize("state, message", [
    ({"optimizers": [5]}, "optimizers: each must be a name or a dict"),
    ({"optimizers": 5}, "optimizers: must be a list"),
    ({"steps": "many"}, "steps: must be an integer"),
    ({"start": "here"}, "start: "),
    ({"problem": 3}, "problem: must be a problem name"),
])
def test_odd_page_updates_are_one_line(landscape, state, message):
    before = {k: getattr(landscape, k) for k in state}
    landscape.set_state(state)
    assert landscape.error.startswith(message) and "\n" not in landscape.error
    assert {k: getattr(landscape, k) for k in state} == before
    landscape.set_state({"steps": 60})
    assert landscape.error == ""


def test_page_requests_never_raise():
    assert answer({"id": 1, "path": "run", "body": {"problem": "nope"}})["error"].startswith("problem: must be one of")
    assert "path: must be one of" in answer({"id": 2, "path": "../etc"})["error"]
    assert "error" in answer(None) and "error" in answer({"id": 3, "path": "run", "body": [1, 2]})
    surface = answer({"id": 4, "path": "surface", "body": {"problem": "rosenbrock", "points": 11}})["data"]
    assert len(surface["z"]) == 11 and len(surface["z"][0]) == 11


def test_learning_rate_results_equal_a_batched_minimize():
    w = LearningRate("elongated_bowl", steps=50, lrs={"min": 1e-3, "max": 1.0, "points": 7})
    r = w.results
    problem = descend.problems.get("elongated_bowl")
    grid = np.geomspace(1e-3, 1.0, 7)
    ref = descend.minimize(problem, np.tile(problem.x0, (7, 1)), steps=50, optimizer="gd", lr=grid, history=False)
    np.testing.assert_array_equal(np.asarray(r["lrs"]), grid)
    assert np.allclose(np.asarray(r["curves"][0]["final_f"], dtype=float), ref.fun, equal_nan=True, rtol=0, atol=0)
    assert r["stable_lr"] > 0
    with pytest.raises(DescendError, match=r"lrs: min must be < max"):
        w.lrs = {"min": 1.0, "max": 0.1, "points": 7}
    with pytest.raises(DescendError, match=r"lrs\.points: must be an integer"):
        w.lrs = {"min": 1e-3, "max": 1.0, "points": 1}


def test_derivatives_results_equal_diff_error():
    w = Derivatives("sin(x)", x=0.5, methods=["central", "forward"], h={"min": 1e-10, "max": 1e-1, "points": 9})
    r = w.results
    ref = descend.diff.diff_error(np.sin, 0.5, np.cos(0.5), methods=("central", "forward"),
                                  hs=np.geomspace(1e-10, 1e-1, 9))
    for m in ("central", "forward"):
        np.testing.assert_allclose(r.errors[m], ref.errors[m], rtol=1e-6, atol=1e-15)
    with pytest.raises(DescendError, match=r"expression: .*not allowed"):
        w.expression = "open('x')"
    with pytest.raises(DescendError, match=r"methods\[0\]: must be one of"):
        w.methods = ["sideways"]
    assert w.expression == "sin(x)"


def test_training_results_equal_its_export(tmp_path):
    w = Training({"dataset": "moons", "n": 120, "hidden": [6], "optimizer": "adam", "lr": 0.02, "seed": 3},
                 epochs=3)
    frame = w.results
    printed = _printed(w.export())
    assert len(printed) == 1
    assert printed[0]["test_loss"] == pytest.approx(frame["test_loss"], rel=1e-12)
    assert printed[0]["train_accuracy"] == pytest.approx(frame["train_accuracy"], rel=1e-12)
    with pytest.raises(DescendError, match=r"dataset: must be one of"):
        w.config = {"dataset": "cats"}
    with pytest.raises(DescendError, match=r"epochs: must be an integer in \[1, 1000\]"):
        w.epochs = 0


def test_the_widget_ships_its_front_end_and_both_languages(landscape):
    from descend.widgets.model import STATIC

    assert "render" in (STATIC / "widget.js").read_text(encoding="utf-8")
    assert set(landscape.catalogue) >= {"en", "ja"}
    assert landscape.catalogue["ja"] != landscape.catalogue["en"]


def test_page_messages_are_answered_over_the_comm(landscape, monkeypatch):
    sent = []
    monkeypatch.setattr(landscape, "send", lambda content, buffers=None: sent.append({**content, "_buffers": buffers}))
    landscape._on_page_message(landscape, {"id": "a", "asset": "front-end"}, [])
    landscape._on_page_message(landscape, {"id": "b", "path": "run", "body": {**landscape.body(), "steps": 5}}, [])
    landscape._on_page_message(landscape, {"id": "c", "path": "run", "body": {"problem": 3}}, [])
    landscape._on_page_message(landscape, "not a dict", [])
    assets, run, refused = sent
    run = {"id": run["id"], "data": json.loads(bytes(run["_buffers"][0]))} if run.get("json") else run
    modules = assets["data"]["modules"]
    from descend.serve.app import STATIC as page
    for name in ("api.js", "plotting.js", "state.js", "i18n.js", "controls.js", "catalog.js", "race.js", "landscape.js",
                 "lrpanel.js", "derivatives.js"):  # the explorer's own modules, byte for byte, not copies
        assert modules[name] == (page / name).read_text(encoding="utf-8"), name
    assert "export function setTransport" in modules["api.js"] and "export function useStore" in modules["state.js"]
    # every module a sent one imports is sent too (the widget rewrites those imports to its own copies)
    for name, text in modules.items():
        for dep in re.findall(r'from\s*"\./([\w-]+\.js)"', text):
            assert dep in modules, f"{name} imports {dep}, which the widget does not get"
    assert set(assets["data"]["sections"]) >= {"landscape", "lr", "derivatives"}
    assert 'id="land-controls"' in assets["data"]["sections"]["landscape"]
    assert ".run-card" in assets["data"]["css"] and "plotly" not in assets["data"]
    assert b"Plotly" in bytes(assets["_buffers"][0])  # plotly.js as one binary buffer, the vendored bundle
    assert run["id"] == "b" and len(run["data"]["runs"][0]["x"]) == 6
    assert refused["id"] == "c" and refused["error"].startswith("problem: must be a problem name")


def test_static_pictures_for_viewers_without_a_kernel(monkeypatch):
    pytest.importorskip("matplotlib")
    import base64

    from descend.widgets import static_pictures
    from descend.widgets.model import PICTURES

    def data(widget):
        bundle = widget._repr_mimebundle_()
        return bundle[0] if isinstance(bundle, tuple) else bundle

    w = Landscape("rosenbrock", optimizers=["adam"], steps=20)
    assert "application/vnd.jupyter.widget-view+json" in data(w) and "image/png" not in data(w)  # off by default: it would delay the live view
    monkeypatch.setitem(PICTURES, "on", False)
    static_pictures(True)
    try:
        for widget in (w, Derivatives("sin(x)", h={"min": 1e-8, "max": 0.1, "points": 5}),
                       LearningRate("elongated_bowl", steps=20, lrs={"min": 1e-3, "max": 1.0, "points": 5}),
                       Training({"dataset": "moons", "n": 60, "hidden": [4]}, epochs=2)):
            bundle = data(widget)
            assert "application/vnd.jupyter.widget-view+json" in bundle  # the live view is still first
            assert base64.b64decode(bundle["image/png"])[:8] == b"\x89PNG\r\n\x1a\n"
    finally:
        static_pictures(False)


def test_a_refused_formula_over_the_comm_carries_its_line_in_each_language():
    from descend.widgets.model import reply

    content, buffers = reply({"id": 1, "path": "surface", "body": {"problem": {"expression": "x+"}}})
    assert not buffers and content["error"].startswith("problem")
    assert set(content["body"]["formula_error"]) >= {"en", "ja"}  # what the explorer's page words it with


def test_lang_is_any_language_of_the_catalogue(landscape, monkeypatch):
    import descend.i18n

    with pytest.raises(WidgetError, match=r"lang: must be one of en, ja.*got 'xx'"):
        landscape.lang = "xx"
    monkeypatch.setattr(descend.i18n, "LANGS", descend.i18n.LANGS + ("xx",))  # a language added by the recipe
    landscape.lang = "xx"
    assert landscape.lang == "xx"
    landscape.lang = "en"


def test_repr_names_the_state_without_an_address():
    w = Derivatives("sin(x)", x=0.5)
    assert repr(w) == "Derivatives(expression='sin(x)', x=0.5)"  # a saved notebook's text stays the same


def test_the_first_page_run_goes_on_numpy_alone_then_queues_the_loops(monkeypatch):
    from descend import jit
    from descend.widgets import model

    monkeypatch.setitem(model.FIRST_RUNS, "answered", False)
    w = Landscape("rosenbrock", optimizers=["adam", "momentum"], steps=30)
    msg = {"id": 1, "path": "run", "body": w.body()}
    with model.numpy_first(msg) as after:
        assert jit.numpy_preferred()
        first = model.answer(msg)
    assert not jit.numpy_preferred()
    after()  # the compiled loops queued on descend.jit.ready's thread
    assert model.answer(msg) == first  # the same numbers, whichever path answers
    with model.numpy_first(msg):
        assert not jit.numpy_preferred()  # only the kernel's first runs


def test_a_formula_refused_from_the_page_is_the_explorers_friendly_line_in_the_widgets_language():
    for lang, words in (("en", "not a formula"), ("ja", "式")):
        w = Landscape("rosenbrock", steps=10, lang=lang)
        w.set_state({"problem": {"expression": "x+"}})
        assert words in w.error and w.problem == "rosenbrock", w.error


def test_training_runs_the_explorers_playground_panel_with_the_kernels_defaults():
    from descend.serve.api.playground import Session, parse_config
    from descend.serve.app import STATIC as page
    from descend.widgets.model import front_end

    files = front_end()
    for name in ("playground.js", "curvature.js"):  # the explorer's Training panel, byte for byte
        assert files["modules"][name] == (page / name).read_text(encoding="utf-8"), name
    assert 'id="train-controls"' in files["sections"]["training"]
    assert "export async function init({ root = document } = {})" in files["modules"]["playground.js"]
    w = Training({"dataset": "moons", "n": 80, "hidden": [4], "momentum": 0.8, "optimizer": "momentum",
                  "test_fraction": 0.25}, epochs=2)
    # what the page shows for a key the config leaves out: the playground's default, not the page's
    assert w._defaults == {k: v for k, v in parse_config({"dataset": "moons"}).items() if k in w._defaults}
    assert w._defaults["optimizer"] == "sgd" and w._defaults["batch_size"] == 10
    # the page writes the whole config back (every control, the hyperparameters and test_fraction it
    # carries): the same training as the config it was given
    full = {**w._defaults, **w.config, "batch_size": 10}
    w.set_state({"config": full})
    assert w.error == "" and w.config == full
    partial = Session(parse_config({"dataset": "moons", "n": 80, "hidden": [4], "momentum": 0.8,
                                    "optimizer": "momentum", "test_fraction": 0.25}))
    partial.advance(2 * partial.n_batches)
    assert w.results["test_loss"] == partial.frame()["test_loss"]
    # a refused config from the page: one line, the kernel's config kept
    w.set_state({"config": {**full, "lr": -1}})
    assert w.error.startswith("lr: must be") and w.config == full


def test_the_training_page_requests_go_to_the_kernels_sessions():
    from descend.widgets import model

    w = Training({"dataset": "moons", "n": 60, "hidden": [4]})
    started = model.answer({"id": 1, "path": "train/start", "body": {**w._defaults, **w.config, "grid": 10}})
    session = started["data"]["session"]  # kept in the kernel's bounded store (model.SESSIONS)
    stepped = model.answer({"id": 2, "path": "train/step", "body": {"session": session, "updates": 3, "measure": True}})
    assert stepped["data"]["frame"]["step"] == 3 and stepped["data"]["frame"]["curvature"]
    assert model.answer({"id": 3, "path": "train/stop", "body": {"session": session}})["id"] == 3


def test_the_lr_widget_has_its_own_hint_in_each_language():
    w = LearningRate("elongated_bowl", steps=10, lrs={"min": 1e-3, "max": 1.0, "points": 3})
    for lang in ("en", "ja"):
        hint = w.catalogue[lang]["lr_hint_widget"]
        assert ".picked" in hint and hint != w.catalogue[lang]["lr_hint"]
    assert "landscape" not in w.catalogue["en"]["lr_hint_widget"]
