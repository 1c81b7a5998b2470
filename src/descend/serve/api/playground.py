"""The training playground: a small network trained step by step, polled by the page.

A :class:`Session` holds one run: the data set and its split, a ``descend.nn.mlp``,
the loss and an optimizer of :mod:`descend.optim`.  It takes its mini-batches exactly
as :func:`descend.train` does with the same ``seed`` (one Generator, a fresh
permutation each epoch), so ``k`` epochs here are ``descend.train(..., epochs=k,
seed=seed)`` (the export snippet, tested).  Each frame reports the losses on the
train and test sets and the network's output on a grid over the data (the decision
boundary as a heat map), and every ``curvature_every`` updates (at most once a frame) the
sharpness against its stability threshold and the loss along the line from the initial
weights (:mod:`descend.serve.api.train_curvature`, every number from :mod:`descend.curvature`).

:class:`Sessions` keeps at most ``LIMITS["sessions"]`` of them, drops the least
recently used one beyond that and any idle for ``LIMITS["session_idle_s"]``.
"""

from __future__ import annotations

import math
import secrets
import threading
import time
from collections import OrderedDict

import numpy as np

from ...errors import DescendError
from ..checks import LIMITS, BadRequest, boolean, choice, field, finite, integer, mapping, number, sequence
from ..json_out import finite_or_none
from .train_curvature import sharpness_frame, slice_frame

__all__ = ["Session", "Sessions", "DATASETS", "ACTIVATIONS", "parse_config", "datasets_listing", "start", "step",
           "stop"]

#: The data sets the playground offers, with their task.
DATASETS = {"moons": "classification", "circles": "classification", "spirals": "classification",
            "xor": "classification", "linear": "regression"}

ACTIVATIONS = ("relu", "leaky_relu", "sigmoid", "tanh")

_KEYS = ("dataset", "n", "noise", "test_fraction", "hidden", "activation", "optimizer", "lr", "batch_size",
         "seed", "grid", "curvature_every")

#: a session measures the curvature every this many updates unless told otherwise (0: never)
CURVATURE_EVERY = 10


def datasets_listing() -> dict:
    """``GET /api/datasets``."""
    lo, hi = LIMITS["train_n"]
    glo, ghi = LIMITS["grid"]
    return {"datasets": [{"name": k, "task": v} for k, v in DATASETS.items()],
            "activations": list(ACTIVATIONS),
            "limits": {"n": [lo, hi], "noise": [0, 1], "hidden_layers": [0, LIMITS["hidden_layers"]],
                       "width": [1, LIMITS["width"]], "updates": [0, LIMITS["updates"]], "grid": [glo, ghi],
                       "test_fraction": [0.1, 0.9], "sessions": LIMITS["sessions"],
                       "curvature_every": list(LIMITS["curvature_every"])}}


def parse_config(body: dict) -> dict:
    """The checked configuration of ``POST /api/train/start`` (defaults filled in)."""
    from ... import optim

    body = mapping(body, "body")
    lo, hi = LIMITS["train_n"]
    cfg = {
        "dataset": choice(field(body, "dataset"), "dataset", DATASETS),
        "n": integer(body.get("n", 500), "n", lo, hi),
        "noise": number(body.get("noise", 0.1), "noise", 0.0, 1.0),
        "test_fraction": number(body.get("test_fraction", 0.5), "test_fraction", 0.1, 0.9),
        "activation": choice(body.get("activation", "tanh"), "activation", ACTIVATIONS),
        "optimizer": choice(body.get("optimizer", "sgd"), "optimizer", optim.names()),
        "seed": integer(body.get("seed", 0), "seed", 0, 2 ** 32 - 1),
        "grid": integer(body.get("grid", 50), "grid", *LIMITS["grid"]),
        "curvature_every": integer(body.get("curvature_every", CURVATURE_EVERY), "curvature_every",
                                   *LIMITS["curvature_every"]),
    }
    hidden = sequence(body.get("hidden", [8, 8]), "hidden", 0, LIMITS["hidden_layers"])
    cfg["hidden"] = [integer(w, f"hidden[{i}]", 1, LIMITS["width"]) for i, w in enumerate(hidden)]
    cfg["lr"] = number(body.get("lr", 0.03), "lr", 0.0, LIMITS["lr_max"], lo_open=True)
    bs = body.get("batch_size", 10)
    cfg["batch_size"] = None if bs is None else integer(bs, "batch_size", 1, hi)
    hp = {}
    valid = [k for k in optim.get_class(cfg["optimizer"]).valid_hyperparameters() if k not in ("lr", "fused")]
    for key, value in body.items():
        if key in _KEYS or key == "epochs" or key == "kind":
            continue
        if key not in valid:
            raise BadRequest(f"{key}: not a setting of the playground nor a hyperparameter of {cfg['optimizer']}; "
                             f"valid: {', '.join(_KEYS)}, {', '.join(valid)}")
        if isinstance(value, list) and len(value) == 2:
            value = tuple(value)
        elif isinstance(value, (list, dict)) or (isinstance(value, str) and key != "nonfinite"):
            raise BadRequest(f"{key}: must be a number, true/false or a pair, got {value!r:.60}")
        hp[key] = finite(value, key)
    cfg["hyperparameters"] = hp
    try:
        optim.get(cfg["optimizer"], lr=cfg["lr"], **hp)  # the optimizer's own checks, for the export too
    except DescendError as exc:
        raise BadRequest(f"{cfg['optimizer']}: {exc}") from None
    return cfg


def make_data(cfg: dict):
    """(X_train, y_train, X_test, y_test) as float64, from the seeded generator and split."""
    from ... import datasets

    kwargs = {"n": cfg["n"], "noise": cfg["noise"], "seed": cfg["seed"]}
    if cfg["dataset"] == "spirals":
        kwargs["classes"] = 2
    data = datasets.get(cfg["dataset"], **kwargs)
    s = data.split(cfg["test_fraction"], seed=cfg["seed"])
    return (s.X_train.astype(np.float64), s.y_train.astype(np.float64), s.X_test.astype(np.float64),
            s.y_test.astype(np.float64))


class Session:
    """One training run, advanced by :meth:`advance` and shown by :meth:`frame`."""

    def __init__(self, cfg: dict):
        from ... import nn, optim

        self.cfg = cfg
        self.task = DATASETS[cfg["dataset"]]
        self.X, self.y, self.X_test, self.y_test = make_data(cfg)
        self.model = nn.mlp([2, *cfg["hidden"], 1], activation=cfg["activation"], rng=cfg["seed"],
                            dtype="float64")
        self.model.train()
        self.initial = {k: p.copy() for k, p in self.model.params.items()}  # the slice's alpha = 0
        self.measured = None  # the last curvature measurement: {"step", "curvature", "slice"}
        self.loss = nn.BCEWithLogitsLoss() if self.task == "classification" else nn.MSELoss()
        try:
            self.opt = optim.get(cfg["optimizer"], lr=cfg["lr"], **cfg["hyperparameters"])
        except DescendError as exc:
            raise BadRequest(f"{cfg['optimizer']}: {exc}") from None
        n = len(self.X)
        self.size = n if cfg["batch_size"] is None else min(cfg["batch_size"], n)
        self.n_batches = -(-n // self.size)
        self.rng = np.random.default_rng(cfg["seed"])  # descend.train's: data order only
        self.perm, self.batch, self.epoch, self.step = None, 0, 0, 0
        self.status, self.message = "running", ""
        self.lock = threading.Lock()
        self.used = time.monotonic()
        self._grid_axes()

    def _grid_axes(self):
        both = np.vstack([self.X, self.X_test])
        lo, hi = both.min(axis=0), both.max(axis=0)
        pad = 0.1 * np.maximum(hi - lo, 1e-9)
        k = self.cfg["grid"]
        self.gx = np.linspace(lo[0] - pad[0], hi[0] + pad[0], k)
        self.gy = np.linspace(lo[1] - pad[1], hi[1] + pad[1], k)
        self.grid_points = np.stack(np.meshgrid(self.gx, self.gy), axis=-1).reshape(-1, 2)

    def advance(self, updates: int) -> None:
        """Take ``updates`` mini-batch updates, in :func:`descend.train`'s order."""
        params = self.model.params
        X, y, n = self.X, self.y, len(self.X)
        with np.errstate(all="ignore"):
            for _ in range(updates):
                if self.status != "running":
                    return
                if self.batch == 0:
                    self.perm = self.rng.permutation(n) if self.n_batches > 1 else None
                lo = self.batch * self.size
                hi = min(lo + self.size, n)
                if self.perm is None:
                    Xb, yb = X[lo:hi], y[lo:hi]
                else:
                    idx = self.perm[lo:hi]
                    Xb, yb = X[idx], y[idx]
                value = self.loss.forward(self.model.forward(Xb), yb)
                if not math.isfinite(value):
                    self.status = "diverged"
                    self.message = (f"the loss became {value} at update {self.step + 1}: the update was not "
                                    f"applied; try a smaller learning rate")
                    return
                self.opt.step(params, self.model.backward(self.loss.backward()))
                self.step += 1
                self.batch += 1
                if self.batch == self.n_batches:
                    self.batch, self.epoch = 0, self.epoch + 1

    def _evaluate(self, X, y):
        from ...training import evaluate

        metrics = ("accuracy",) if self.task == "classification" else ()
        with np.errstate(all="ignore"):
            out = evaluate(self.model, X, y, loss=self.loss, metrics=metrics)
        loss = out["loss"]
        return (loss if math.isfinite(loss) else None), out.get("accuracy")

    def measure(self, now: bool = False) -> dict | None:
        """The curvature and the slice at the current weights, measured again where ``curvature_every``
        updates have passed since the last measurement (or ``now``, where the weights moved since);
        None where the session measures nothing (``curvature_every`` 0)."""
        every, last = self.cfg.get("curvature_every", CURVATURE_EVERY), self.measured
        due = now or (every > 0 and (last is None or self.step - last["step"] >= every))
        if due and (last is None or self.step != last["step"]):  # the same weights: the same numbers
            with np.errstate(all="ignore"):
                sharp = sharpness_frame(self.model, self.loss, self.X, self.y, self.opt, seed=self.cfg["seed"])
                line = slice_frame(self.model, self.loss, self.X, self.y, self.initial)
            self.measured = {"step": self.step, "curvature": {"step": self.step, "every": every, **sharp},
                             "slice": {"step": self.step, **line}}
        return self.measured

    def frame(self, measure: bool = False) -> dict:
        """The current state for the page: losses, accuracies, the output on the grid, and the last
        curvature measurement (:meth:`measure`; ``measure=True`` asks for one at these weights)."""
        train_loss, train_acc = self._evaluate(self.X, self.y)
        test_loss, test_acc = self._evaluate(self.X_test, self.y_test)
        was = self.model.training
        self.model.eval()
        try:
            with np.errstate(all="ignore"):
                out = self.model.forward(self.grid_points).reshape(len(self.gy), len(self.gx))
                if self.task == "classification":
                    from ...numerics import sigmoid

                    out = sigmoid(out)
        finally:
            self.model.train(was)
        measured = self.measure(measure)
        return {"step": self.step, "epoch": self.epoch + self.batch / self.n_batches,
                "train_loss": train_loss, "test_loss": test_loss, "train_accuracy": train_acc,
                "test_accuracy": test_acc, "status": self.status, "message": self.message,
                "grid": {"x": self.gx.tolist(), "y": self.gy.tolist(), "z": finite_or_none(out)},
                "curvature": measured and measured["curvature"], "slice": measured and measured["slice"]}

    def data(self) -> dict:
        return {"train": {"X": self.X.tolist(), "y": self.y.tolist()},
                "test": {"X": self.X_test.tolist(), "y": self.y_test.tolist()}, "task": self.task}


class Sessions:
    """The live sessions by id: bounded in number and idle time."""

    def __init__(self, limit: int | None = None, idle_s: float | None = None):
        self.limit = LIMITS["sessions"] if limit is None else limit
        self.idle_s = LIMITS["session_idle_s"] if idle_s is None else idle_s
        self._by_id: OrderedDict[str, Session] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, session: Session) -> str:
        sid = secrets.token_urlsafe(12)
        with self._lock:
            self._expire()
            self._by_id[sid] = session
            while len(self._by_id) > self.limit:
                self._by_id.popitem(last=False)
        return sid

    def get(self, sid) -> Session:
        with self._lock:
            self._expire()
            if not isinstance(sid, str) or sid not in self._by_id:
                raise BadRequest("session: unknown or expired (sessions end after "
                                 f"{self.idle_s:g} s idle, at most {self.limit} live); start a new one")
            self._by_id.move_to_end(sid)
            s = self._by_id[sid]
            s.used = time.monotonic()
            return s

    def drop(self, sid) -> bool:
        with self._lock:
            return self._by_id.pop(sid, None) is not None if isinstance(sid, str) else False

    def _expire(self):
        now = time.monotonic()
        for sid in [k for k, s in self._by_id.items() if now - s.used > self.idle_s]:
            del self._by_id[sid]

    def __len__(self):
        return len(self._by_id)


def start(sessions: Sessions, body: dict) -> dict:
    """``POST /api/train/start``."""
    session = Session(parse_config(body))
    sid = sessions.add(session)
    with session.lock:
        return {"session": sid, "data": session.data(), "frame": session.frame()}


def step(sessions: Sessions, body: dict) -> dict:
    """``POST /api/train/step``."""
    body = mapping(body, "body")
    session = sessions.get(body.get("session"))
    updates = integer(body.get("updates", 1), "updates", 0, LIMITS["updates"])
    measure = boolean(body.get("measure", False), "measure")
    with session.lock:
        session.advance(updates)
        return {"frame": session.frame(measure)}


def stop(sessions: Sessions, body: dict) -> dict:
    """``POST /api/train/stop``."""
    body = mapping(body, "body")
    return {"stopped": sessions.drop(body.get("session"))}
