"""The explorer's four panels as notebook widgets: :class:`Landscape`, :class:`LearningRate`,
:class:`Derivatives` and :class:`Training`.

Each widget's state is plain traits that Python reads and sets (setting one redraws the widget);
a trait the explorer would refuse raises :class:`~descend.widgets.model.WidgetError` (a
:class:`~descend.errors.DescendError`) with the explorer's own message.  ``.results`` computes
what is on screen with descend (:func:`descend.minimize`, :func:`descend.diff_error`, the
playground's training), and ``.export()`` gives the explorer's export of the same state.
"""

from __future__ import annotations

import traitlets

from ..serve.api import export as export_api
from ..serve.api.inputs import parse_run_request
from ..serve.api.playground import Session, parse_config
from .model import Panel, WidgetError, checked

__all__ = ["Landscape", "LearningRate", "Derivatives", "Training"]

#: The page's default race (state.js): plain gradient descent, momentum and Adam.
DEFAULT_OPTIMIZERS = [{"optimizer": "gd", "lr": 0.001}, {"optimizer": "momentum", "lr": 0.001},
                      {"optimizer": "adam", "lr": 0.05}]


def _problem_value(value):
    """A problem as the explorer's bodies take it: a registered name, or a typed formula's text
    (or ``{"expression": ..., "window": ...}``)."""
    if isinstance(value, str) and value not in _names():
        return {"expression": value}
    return value


def _names():
    from ..serve.api.listings import two_d_problems

    return two_d_problems()


def _optimizer_entries(value):
    """``["adam", {"optimizer": "gd", "lr": 0.01}]`` -> the explorer's run entries (dicts)."""
    if isinstance(value, (str, dict)):
        value = [value]
    if not isinstance(value, (list, tuple)):
        raise WidgetError(f"optimizers: must be a list of names or dicts like {{'optimizer': 'adam', 'lr': 0.05}}, "
                          f"got {value!r:.60}")
    bad = [v for v in value if not isinstance(v, (str, dict))]
    if bad:
        raise WidgetError(f"optimizers: each must be a name or a dict like {{'optimizer': 'adam', 'lr': 0.05}}, "
                          f"got {bad[0]!r:.60}")
    return [{"optimizer": v} if isinstance(v, str) else dict(v) for v in value]


def _normalized(proposal) -> tuple:
    """(trait name, value) with a problem and the optimizers as the explorer's bodies write them."""
    name, value = proposal["trait"].name, proposal["value"]
    if name == "problem":
        value = _problem_value(value)
    if name == "optimizers":
        value = _optimizer_entries(value)
    return name, value


class Landscape(Panel):
    """The landscape panel: contours of ``problem``, the optimizers' paths from ``start``
    (click or drag it on the figure), each optimizer's lr and hyperparameters, replay.

    Parameters
    ----------
    problem : str or dict
        A registered 2-D problem (``"rosenbrock"``), a formula in x and y (``"x**2 + 10*y**2"``)
        or ``{"expression": ..., "window": [[xlo, xhi], [ylo, yhi]]}``.
    start : list of 2 floats, optional
        The start point; the problem's own x0 when omitted.
    optimizers : list of str or dict
        ``{"optimizer": name, "lr": ..., <hyperparameter>: ...}`` per run (a name takes the defaults).
    steps : int
        Steps per run (0 to 20000, as in the explorer).
    gtol : float
        Stop a run once |grad f| <= gtol (0: run every step), the explorer's tolerance.
    lang : str
        One of :data:`descend.i18n.LANGS` ("en", "ja").

    ``start`` is None after the page picks another problem: the problem's own x0, as in the explorer.
    """

    REPR = ("problem", "start", "optimizers", "steps")

    problem = traitlets.Any("rosenbrock").tag(sync=True)
    start = traitlets.Any(None).tag(sync=True)
    optimizers = traitlets.Any(DEFAULT_OPTIMIZERS).tag(sync=True)
    steps = traitlets.Any(300).tag(sync=True)
    gtol = traitlets.Any(0).tag(sync=True)

    def __init__(self, problem="rosenbrock", start=None, optimizers=None, steps=300, lang="en", **kwargs):
        optimizers = _optimizer_entries(DEFAULT_OPTIMIZERS if optimizers is None else optimizers)
        super().__init__(panel="landscape", problem=_problem_value(problem), start=start, optimizers=optimizers, steps=steps,
                         lang=lang, **kwargs)
        if self.start is None:
            self.start = self.request().start

    @traitlets.validate("problem", "start", "optimizers", "steps", "gtol")
    def _check(self, proposal):
        name, value = _normalized(proposal)
        self.request(**{name: value})  # refused exactly as the explorer's /api/run refuses it
        return value

    def body(self, **changes) -> dict:
        """The explorer's ``/api/run`` body for this state (``changes`` replacing traits)."""
        state = {"problem": self.problem, "start": self.start, "optimizers": self.optimizers,
                 "steps": self.steps, "gtol": self.gtol, **changes}
        body = {"problem": state["problem"], "start": state["start"], "steps": state["steps"],
                "runs": state["optimizers"], "lang": self.lang}
        if state["gtol"]:
            body["gtol"] = state["gtol"]  # as the explorer's runBody: only a tolerance that is on
        return body

    def request(self, **changes):
        """The checked request (:class:`descend.serve.api.inputs.RunRequest`)."""
        return checked(parse_run_request, self.body(**changes))

    @property
    def results(self) -> list:
        """One :class:`descend.Result` per optimizer on screen, from :func:`descend.minimize`."""
        import numpy as np

        from ..minimize import minimize

        req = self.request()
        with np.errstate(all="ignore"):
            return [minimize(req.problem, np.array(req.start), steps=req.steps, **kwargs)
                    for _, kwargs in req.specs]

    def picture(self) -> str | None:
        """The contours and the paths as descend.plot.trajectories draws them (base64 PNG)."""
        from .. import plot
        from .model import png

        req = self.request()
        return png(lambda ax: plot.trajectories(req.problem, self.results, ax=ax, markers=False), self.lang)

    def export(self, to: str = "descend") -> str:
        """The explorer's export of this state: code printing one JSON line per run (``to`` may
        also be ``"torch"`` or ``"optax"``, None where that library lacks an optimizer)."""
        return _export({"kind": "run", **self.body()}, to)


class LearningRate(Panel):
    """The learning-rate panel: each optimizer's final f against lr on a log grid, and the
    curvature's bound 2/L at ``start``.

    Parameters
    ----------
    problem, start : as :class:`Landscape`
    optimizers : list of str or dict
        Optimizers without ``lr`` (the lr is what varies).
    steps : int
    lrs : dict
        ``{"min": 1e-4, "max": 10, "points": 41}``.

    A click on a curve sets ``picked`` to ``{"optimizer": name, "lr": value}`` (the explorer loads it
    into its landscape; here Python reads it).
    """

    REPR = ("problem", "optimizers", "steps", "lrs")

    problem = traitlets.Any("elongated_bowl").tag(sync=True)
    start = traitlets.Any(None).tag(sync=True)
    optimizers = traitlets.Any([{"optimizer": "gd"}]).tag(sync=True)
    steps = traitlets.Any(200).tag(sync=True)
    lrs = traitlets.Any({"min": 1e-4, "max": 10.0, "points": 41}).tag(sync=True)
    picked = traitlets.Any(None).tag(sync=True)

    def __init__(self, problem="elongated_bowl", start=None, optimizers=None, steps=200, lrs=None, lang="en", **kwargs):
        super().__init__(panel="lr", problem=_problem_value(problem),
                         optimizers=_optimizer_entries(optimizers or [{"optimizer": "gd"}]), steps=steps,
                         lrs=lrs or {"min": 1e-4, "max": 10.0, "points": 41}, start=start, lang=lang, **kwargs)

    @traitlets.validate("problem", "start", "optimizers", "steps", "lrs")
    def _check(self, proposal):
        from ..serve.api.inputs import resolve_problem, start_point

        name, value = _normalized(proposal)
        body = self.body(**{name: value})
        checked(lambda b: start_point(b, resolve_problem(b["problem"])), body)
        self._check_grid(body)
        return value

    @traitlets.validate("picked")
    def _check_picked(self, proposal):
        value = proposal["value"]
        ok = value is None or (isinstance(value, dict) and isinstance(value.get("optimizer"), str)
                               and isinstance(value.get("lr"), (int, float)) and not isinstance(value.get("lr"), bool))
        if not ok:
            raise WidgetError(f"picked: must be None or {{'optimizer': name, 'lr': number}}, got {value!r:.60}")
        return value

    @staticmethod
    def _check_grid(body):
        from ..serve.checks import LIMITS, integer, mapping, number

        def grid(b):
            lrs = mapping(b["lrs"], "lrs")
            lo = number(lrs.get("min", 1e-4), "lrs.min", 0.0, LIMITS["lr_max"], lo_open=True)
            hi = number(lrs.get("max", 10.0), "lrs.max", 0.0, LIMITS["lr_max"], lo_open=True)
            integer(lrs.get("points", 41), "lrs.points", 2, LIMITS["lr_points"])
            integer(b["steps"], "steps", 1, LIMITS["steps"])
            if not lo < hi:
                raise WidgetError(f"lrs: min must be < max, got min={lo:g}, max={hi:g}")

        checked(grid, body)

    def body(self, **changes) -> dict:
        """The explorer's ``/api/lr`` body for this state."""
        state = {"problem": self.problem, "start": self.start, "optimizers": self.optimizers, "steps": self.steps,
                 "lrs": self.lrs, **changes}
        return {k: v for k, v in state.items() if not (k == "start" and v is None)}

    @property
    def results(self) -> dict:
        """The panel's numbers (``/api/lr``'s answer: ``lrs``, one curve of final f per optimizer,
        ``stable_lr``, ``L``, ``mu``), each final f from one batched :func:`descend.minimize`."""
        from ..serve.api.learning_rate import lr_curves

        return checked(lr_curves, self.body())

    def picture(self) -> str | None:
        """Each optimizer's final f against lr (diverged runs left out) and the bound 2/L (base64 PNG)."""
        import numpy as np

        from .model import png

        d = self.results

        def draw(ax):
            for c in d["curves"]:
                f = [np.nan if (v is None or bad) else v for v, bad in zip(c["final_f"], c["diverged"])]
                ax.plot(d["lrs"], f, marker="o", ms=3, label=c["optimizer"])
            if d.get("stable_lr"):
                ax.axvline(d["stable_lr"], ls="--", color="0.3", lw=1, label="2/L")
            ax.set(xscale="log", yscale="log", xlabel="lr", ylabel="f")
            ax.legend()

        return png(draw, self.lang)


class Derivatives(Panel):
    """The derivatives panel: each finite difference's error against the step h at ``x``.

    Parameters
    ----------
    expression : str
        A formula in x (the explorer's parser and refusals).
    x : float
    methods : list of str
    h : dict
        ``{"min": 1e-16, "max": 1, "points": 65}``.
    relative : bool
    """

    REPR = ("expression", "x")

    expression = traitlets.Any("exp(x)").tag(sync=True)
    x = traitlets.Any(1.0).tag(sync=True)
    methods = traitlets.Any(["forward", "backward", "central", "five-point", "complex"]).tag(sync=True)
    h = traitlets.Any({"min": 1e-16, "max": 1.0, "points": 65}).tag(sync=True)
    relative = traitlets.Any(False).tag(sync=True)

    def __init__(self, expression="exp(x)", x=1.0, lang="en", **kwargs):
        super().__init__(panel="derivatives", expression=expression, x=x, lang=lang, **kwargs)

    @traitlets.validate("expression", "x", "methods", "h", "relative")
    def _check(self, proposal):
        self._answer(**{proposal["trait"].name: proposal["value"]})
        return proposal["value"]

    def body(self, **changes) -> dict:
        """The explorer's ``/api/derivatives`` body for this state."""
        return {"expression": self.expression, "x": self.x, "methods": self.methods, "h": self.h,
                "relative": self.relative, **changes}

    def _answer(self, **changes) -> dict:
        from ..serve.api.derivatives import derivatives

        return checked(derivatives, self.body(**changes))

    @property
    def results(self):
        """:func:`descend.diff_error` of the panel's state (errors per method against ``hs``)."""
        import numpy as np

        from .. import diff
        from ..serve.api.inputs import typed_problem

        problem = typed_problem(self.expression, ("x",), None)
        b = self.h
        hs = np.geomspace(b.get("min", 1e-16), b.get("max", 1.0), b.get("points", 65))
        with np.errstate(all="ignore"):
            exact = float(problem.grad(self.x))
            return diff.diff_error(lambda t: problem.f(np.asarray(t)), self.x, exact, methods=tuple(self.methods),
                                   hs=hs, relative=self.relative)

    def picture(self) -> str | None:
        """Each method's error against h as descend.plot.diff_error draws it (base64 PNG)."""
        from .. import plot
        from .model import png

        return png(lambda ax: plot.diff_error(self.results, ax=ax), self.lang)


class Training(Panel):
    """The training playground: a small network on a 2-D data set, trained by descend in the kernel.

    The explorer's own Training panel (play, one step, reset; the decision boundary, the losses, the
    sharpness against 2/η and the loss along the line from the initial weights); its frames come
    from the kernel's playground sessions.  A setting changed on the page writes the whole
    ``config`` (every control's value); a key ``config`` leaves out shows the playground's default.

    Parameters
    ----------
    config : dict
        The playground's settings (``dataset``, ``n``, ``noise``, ``hidden``, ``activation``,
        ``optimizer``, ``lr``, ``batch_size``, ``seed``, hyperparameters), as the explorer takes them.
    epochs : int
        Epochs that ``.results`` and ``.export()`` train for.
    """

    REPR = ("config", "epochs")

    config = traitlets.Any({"dataset": "moons"}).tag(sync=True)
    epochs = traitlets.Any(5).tag(sync=True)
    #: The playground's defaults for what ``config`` leaves out (the page shows them, as the kernel trains them).
    _defaults = traitlets.Dict().tag(sync=True)

    def __init__(self, config=None, epochs=5, lang="en", **kwargs):
        super().__init__(panel="training", config=config or {"dataset": "moons"}, epochs=epochs, lang=lang,
                         _defaults=_training_defaults(), **kwargs)

    @traitlets.validate("config")
    def _check_config(self, proposal):
        checked(parse_config, proposal["value"])
        return dict(proposal["value"])

    @traitlets.validate("epochs")
    def _check_epochs(self, proposal):
        from ..serve.checks import integer

        return checked(lambda v: integer(v, "epochs", 1, 1000), proposal["value"])

    @property
    def results(self) -> dict:
        """The playground's frame after ``epochs`` epochs (losses, accuracies, the output on the grid)."""
        session = Session(checked(parse_config, self.config))
        session.advance(self.epochs * session.n_batches)
        return session.frame()

    def picture(self) -> str | None:
        """The network's output over the plane after ``epochs`` epochs, the training data on it (base64 PNG)."""
        import numpy as np

        from .model import png

        session = Session(checked(parse_config, self.config))
        session.advance(self.epochs * session.n_batches)
        grid, data = session.frame()["grid"], session.data()["train"]

        def draw(ax):
            z = np.array([[np.nan if v is None else v for v in row] for row in grid["z"]], dtype=float)
            ax.pcolormesh(grid["x"], grid["y"], z, cmap="RdBu", shading="auto")
            X, y = np.asarray(data["X"]), np.asarray(data["y"]).ravel()
            ax.scatter(X[:, 0], X[:, 1], c=y, cmap="RdBu", edgecolors="k", linewidths=0.5, s=14)
            ax.set(xlabel="x1", ylabel="x2")

        return png(draw, self.lang)

    def export(self, to: str = "descend") -> str:
        """The explorer's Training export: descend code that trains the same network and prints the losses."""
        return _export({"kind": "train", "epochs": self.epochs, **self.config}, to)


def _training_defaults() -> dict:
    """What :func:`~descend.serve.api.playground.parse_config` fills in for the keys the Training
    panel has controls for (the page's own defaults differ: spirals, Adam)."""
    cfg = parse_config({"dataset": "moons"})
    return {k: cfg[k] for k in ("n", "noise", "hidden", "activation", "optimizer", "lr", "batch_size", "seed")}


def _export(body: dict, to: str) -> str | None:
    if to not in ("descend", "torch", "optax"):
        raise WidgetError(f"to: must be one of descend, torch, optax, got {to!r:.40}")
    return checked(export_api.export, body)[to]
