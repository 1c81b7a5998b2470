"""The result of a run: :class:`Result` and its :class:`History`, modelled on scipy's OptimizeResult.

Every message comes from one table, :data:`MESSAGES`.  A batched run (x0 of shape
(R, n)) gives one Result whose fields are arrays with one entry per run;
``result.run(i)`` is the Result of row i alone, equal to the single run from x0[i].
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Result", "History", "MESSAGES", "STATUSES"]

STATUSES = ("converged", "max_steps", "diverged", "stopped")

#: Every message a run can end with; filled in with the run's numbers.
MESSAGES = {
    "converged": "Converged: gradient norm {grad_norm:.3g} <= gtol {gtol:g} after {nit} steps.",
    "max_steps": "Reached the step limit ({nit} steps); gradient norm {grad_norm:.3g}.",
    "max_steps_no_decrease": (
        "Reached the step limit ({nit} steps) without decreasing f ({f0:.6g} -> {fun:.6g}): "
        "the iterates {motion}; try a smaller lr (now {lr:g})."
    ),
    "diverged_nonfinite": (
        "Diverged at step {step}: {what} became non-finite; kept the last finite iterate. "
        "Try a smaller lr (now {lr:g})."
    ),
    "diverged_growth": (
        "Diverged at step {step}: f grew from {f0:.3g} to {f_bad:.3g} (more than max_growth={max_growth:g} "
        "times its start). Try a smaller lr (now {lr:g})."
    ),
    "diverged_start": "Diverged at step 0: f or its gradient is not finite at the start x0.",
    "stopped_callback": "Stopped by the callback after {nit} steps.",
    "stopped_line_search": (
        "Stopped at step {step}: the {line_search} line search found no step that decreases f "
        "(gradient norm {grad_norm:.3g}); the gradient may be inaccurate or x is at a minimum."
    ),
    # -- second-order and quasi-Newton methods (descend.methods) --------------------------
    "method_converged": "Converged: gradient norm {grad_norm:.3g} <= gtol {gtol:g} after {nit} {method} steps.",
    "method_max_steps": "Reached the step limit ({nit} {method} steps); gradient norm {grad_norm:.3g} > gtol {gtol:g}.",
    "method_diverged_nonfinite": (
        "Diverged at step {step}: {what} became non-finite after the {method} step; kept the last finite iterate."
    ),
    "method_diverged_growth": (
        "Diverged at step {step}: f grew from {f0:.3g} to {f_bad:.3g} (more than max_growth={max_growth:g} "
        "times its start) after the {method} step; a full Newton step can overshoot where the quadratic "
        "model is poor: try method='damped_newton'."
    ),
    "stopped_singular_hessian": (
        "Stopped at step {step}: the Hessian is singular at x, so the Newton step H^-1 g is undefined "
        "(gradient norm {grad_norm:.3g}); try method='damped_newton' (it shifts H) or 'bfgs'."
    ),
    "stopped_nonfinite_hessian": (
        "Stopped at step {step}: the Hessian is not finite at x (gradient norm {grad_norm:.3g})."
    ),
    "stopped_not_descent": (
        "Stopped at step {step}: the {method} direction is not a descent direction (grad . d >= 0) and no "
        "line search can decrease f along it (gradient norm {grad_norm:.3g})."
    ),
    "stopped_wolfe": (
        "Stopped at step {step}: the strong-Wolfe line search (c1={c1:g}, c2={c2:g}) found no step "
        "satisfying both conditions: {why}; gradient norm {grad_norm:.3g}."
    ),
    # why a strong-Wolfe search failed (descend.linesearch.WOLFE_MESSAGES, by status)
    "stopped_wolfe_unbounded": (
        "Stopped at step {step}: f fell at every trial of the strong-Wolfe line search (c1={c1:g}, c2={c2:g}), "
        "from {fun:.3g} to {phi_reach:.3g} at step length {reach:.3g} (the step grew 2-fold, then 4-fold, per "
        "trial): f is unbounded below along d (gradient norm {grad_norm:.3g})."
    ),
    "stopped_wolfe_no_progress": (
        "Stopped at step {step}: no progress along the {method} direction: the strong-Wolfe line search "
        "(c1={c1:g}, c2={c2:g}) ran out of trials without a step meeting both conditions, and Armijo "
        "backtracking found no step that decreases f; f and its slope no longer change measurably along d "
        "(x is at a minimum to rounding, or the gradient is inaccurate; gradient norm {grad_norm:.3g})."
    ),
    "stopped_wolfe_step_too_small": (
        "Stopped at step {step}: step too small: the strong-Wolfe line search (c1={c1:g}, c2={c2:g}) narrowed "
        "its bracket to the rounding of the step length, and Armijo backtracking found no step that decreases "
        "f either (x is at a minimum to rounding, or the gradient is inaccurate; gradient norm {grad_norm:.3g})."
    ),
    "stopped_wolfe_amax": (
        "Stopped at step {step}: the strong-Wolfe line search (c1={c1:g}, c2={c2:g}) found no acceptable step "
        "below amax; raise LineSearch(amax=...) (gradient norm {grad_norm:.3g})."
    ),
    "stopped_wolfe_nonfinite": (
        "Stopped at step {step}: the gradient became non-finite along the line during the strong-Wolfe line "
        "search (c1={c1:g}, c2={c2:g}) (gradient norm {grad_norm:.3g})."
    ),
    "stopped_negative_curvature": (
        "Stopped at step {step}: g'Hg = {curvature:.3g} <= 0, so the quadratic model has no minimum along "
        "-g and the optimal step eps* = g'g / g'Hg does not exist (gradient norm {grad_norm:.3g}); use a "
        "line search on f instead (line_search='backtracking' or 'wolfe')."
    ),
    "projected_converged": (
        "Converged: the projected gradient |x - P(x - grad)| = {measure:.3g} <= gtol {gtol:g} after {nit} "
        "projected gradient steps on {constraint}."
    ),
    "projected_max_steps": (
        "Reached the step limit ({nit} projected gradient steps on {constraint}); projected gradient "
        "{measure:.3g} > gtol {gtol:g}."
    ),
    "stopped_method_line_search": (
        "Stopped at step {step}: the {line_search} line search found no step that decreases f along the "
        "{method} direction (gradient norm {grad_norm:.3g})."
    ),
}


@dataclass
class History:
    """What a run went through, one entry per iterate (the start included).

    ``x[k]`` is the iterate after k steps, ``f[k]`` and ``grad_norm[k]`` are f and the
    gradient norm there, and ``lr[k]`` the step size used to leave it (nan for the last).
    For a batched run each array has a run axis after the step axis; rows that stopped
    early repeat their final values.
    """

    x: np.ndarray | None
    f: np.ndarray
    grad_norm: np.ndarray
    lr: np.ndarray

    def __len__(self) -> int:
        return len(self.f)

    def __repr__(self) -> str:
        shape = None if self.x is None else self.x.shape
        return f"History({len(self)} iterates, x shape {shape})"

    def row(self, i: int, nit: int) -> History:
        """The history of run ``i`` of a batch, cut to its ``nit`` steps."""
        sl = slice(0, nit + 1)
        return History(
            x=None if self.x is None else self.x[sl, i].copy(),
            f=self.f[sl, i].copy(),
            grad_norm=self.grad_norm[sl, i].copy(),
            lr=self.lr[sl, i].copy(),
        )

    def _repr_html_(self) -> str:
        rows = len(self)
        picks = list(range(min(rows, 5))) + ([rows - 1] if rows > 5 else [])
        cells = []
        for k in picks:
            f = np.atleast_1d(self.f[k])
            g = np.atleast_1d(self.grad_norm[k])
            cells.append(f"<tr><td>{k}</td><td>{_short(f)}</td><td>{_short(g)}</td></tr>")
        head = "".join(f"<th>{html.escape(_fmt().header(c))}</th>" for c in ("step", "f", "grad_norm"))
        return f"<table><thead><tr>{head}</tr></thead><tbody>" + "".join(cells) + "</tbody></table>"

    def plot(self, ax=None, **kwargs):
        """The loss curve (needs matplotlib; see :func:`descend.plot.loss_curves`)."""
        from . import plot  # lazy: plot is an upper layer (matplotlib); a Result only draws itself on request

        return plot.loss_curves([self], ax=ax, **kwargs)


def _fmt():
    from . import fmt  # the one number formatter (descend.fmt: digits by kind, a dash when missing)

    return fmt


def _short(a, kind: str = "value") -> str:
    a = np.asarray(a)
    if a.size == 1:
        return html.escape(_fmt().cell(float(a.reshape(-1)[0]), kind))
    return html.escape(_fmt().array(a, kind, threshold=4))



class Recorder:
    """The record phase of a driver: every iterate (``keep`` True), or only f, the gradient
    norm and the step size ("f"), or nothing (False); :meth:`history` builds the
    :class:`History`.  It keeps references: the driver replaces its arrays, never writes them."""

    def __init__(self, runs, keep):
        self.keep = keep
        self.x = [runs.X] if keep is True else None
        self.f, self.g, self.lr = [runs.F], [runs.gnorm], []

    def record(self, runs, lr):
        self.lr.append(lr)
        if self.keep is True:
            self.x.append(runs.X)
        if self.keep:
            self.f.append(runs.F)
            self.g.append(runs.gnorm)

    def history(self, R):
        if not self.keep:
            return None
        return History(x=None if self.x is None else np.stack(self.x), f=np.stack(self.f),
                       grad_norm=np.stack(self.g), lr=np.stack(self.lr + [np.full(R, np.nan)]))


def motion(a, b) -> str:
    """How a run's last two steps ``a`` and ``b`` moved, for its message when f did not decrease:
    back and forth, or drifting."""
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na > 0 and nb > 0 and np.dot(a, b) / (na * nb) < -0.9:
        grow = "with growing amplitude" if nb > na * (1 + 1e-12) else "with constant amplitude"
        return f"oscillate back and forth across the minimum {grow}"
    return "drift without decreasing f"


@dataclass
class Result:
    """The outcome of :func:`descend.minimize`.

    Attributes
    ----------
    x : the final iterate (the last finite one for a diverged run).
    fun : f(x).
    grad_norm : the Euclidean norm of the gradient at x.
    nit : number of updates taken.
    nfev, ngev : evaluations of f (finite-difference and line-search evaluations
        included) and of the gradient.
    status : one of "converged", "max_steps", "diverged", "stopped".
    success : True when converged, or when all steps ran and no tolerance was asked for.
    message : a sentence from :data:`MESSAGES`.
    history : a :class:`History` (None when ``history=False``).
    optimizer : the optimizer's name; lr : the learning rate given.

    For a batched run (x0 of shape (R, n)) every field has one entry per run, and
    :meth:`run` gives the Result of one row.
    """

    x: np.ndarray
    fun: float | np.ndarray
    grad_norm: float | np.ndarray
    nit: int | np.ndarray
    nfev: int | np.ndarray
    ngev: int | np.ndarray
    status: str | np.ndarray
    success: bool | np.ndarray
    message: str | list
    history: History | None = None
    optimizer: str = "gd"
    lr: float | np.ndarray | None = None
    batched: bool = False
    extra: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        if self.batched:
            st, counts = np.unique(self.status, return_counts=True)
            summary = ", ".join(f"{c} {s}" for s, c in zip(st, counts))
            return (f"Result({len(self.fun)} runs of {self.optimizer}: {summary}; "
                    f"best fun {np.nanmin(self.fun):.6g})")
        x = np.array2string(np.asarray(self.x), precision=6, threshold=6)
        return (f"Result(status={self.status!r}, x={x}, fun={self.fun:.6g}, "
                f"grad_norm={self.grad_norm:.3g}, nit={self.nit}, nfev={self.nfev}, ngev={self.ngev})")

    def __len__(self) -> int:
        return len(self.fun) if self.batched else 1

    def run(self, i: int) -> Result:
        """The Result of run ``i`` of a batched run."""
        if not self.batched:
            if i in (0, -1):
                return self
            raise IndexError(f"a single run has only run 0, got {i}")
        nit = int(self.nit[i])
        lr = self.lr[i] if np.ndim(self.lr) else self.lr
        return Result(
            x=self.x[i].copy(), fun=float(self.fun[i]), grad_norm=float(self.grad_norm[i]),
            nit=nit, nfev=int(self.nfev[i]), ngev=int(self.ngev[i]), status=str(self.status[i]),
            success=bool(self.success[i]), message=self.message[i],
            history=None if self.history is None else self.history.row(i, nit),
            optimizer=self.optimizer, lr=lr,
        )

    def runs(self) -> list[Result]:
        """Every run as its own Result."""
        return [self.run(i) for i in range(len(self))]

    def _repr_html_(self) -> str:
        rows = self.runs() if self.batched else [self]
        fmt = _fmt()
        head = "<tr>" + "".join(f"<th>{html.escape(fmt.header(c))}</th>"
                                for c in ("run", "status", "fun", "grad_norm", "nit", "lr")) + "</tr>"
        body = "".join(
            f"<tr><td>{i}</td><td>{html.escape(fmt.status(r.status))}</td><td>{_short(r.fun)}</td>"
            f"<td>{_short(r.grad_norm, 'lr')}</td><td>{r.nit}</td><td>{_short(r.lr, 'lr')}</td></tr>"
            for i, r in enumerate(rows[:20])
        )
        more = f"<p>... {len(rows) - 20} more runs</p>" if len(rows) > 20 else ""
        return f"<table><thead>{head}</thead><tbody>{body}</tbody></table>{more}"

    def plot(self, problem=None, ax=None, **kwargs):
        """The path on the problem's contour when a 2-D problem is given, else the loss curve."""
        from . import plot  # lazy: plot is an upper layer (matplotlib); a Result only draws itself on request

        if problem is not None:
            return plot.trajectories(problem, [self], ax=ax, **kwargs)
        return plot.loss_curves([self.history], ax=ax, **kwargs)


def lr_shown(lr):
    """The learning rate a Result reports: the number or array given, or a schedule's name."""
    if not callable(lr) or isinstance(lr, (float, np.ndarray)):
        return lr
    return getattr(lr, "__name__", "schedule")


def message_numbers(i, *, lr, grad_norm, gtol, nit, f0, fun, max_growth, line_search="") -> dict:
    """The numbers run i's message in :data:`MESSAGES` is filled in with (before the reason's own)."""
    lr_i = float(lr[i]) if isinstance(lr, np.ndarray) else (lr if isinstance(lr, float) else float("nan"))
    return dict(grad_norm=grad_norm[i], gtol=gtol if gtol is not None else float("nan"), nit=int(nit[i]),
                f0=f0[i], fun=fun[i], lr=lr_i, max_growth=max_growth or float("nan"), line_search=line_search)


def finished(X, F, gnorm, nit, nfev, ngev, status, messages, history, *, gtol, lr, name, scalar, batched):
    """The Result of a run's arrays (one row per run): every row for a batched run, else row 0.

    ``status`` is an object array of :data:`STATUSES`; a run succeeds where it converged, or
    reached the step limit with no gtol asked for.
    """
    success = (status == "converged") | ((status == "max_steps") & (gtol is None))
    lr = lr_shown(lr)
    if batched:
        return Result(x=X, fun=F, grad_norm=gnorm, nit=nit, nfev=nfev, ngev=ngev, status=status.astype(str),
                      success=success, message=messages, history=history, optimizer=name, lr=lr,
                      batched=True)
    if history is not None:
        h = history
        history = History(x=None if h.x is None else (h.x[:, 0, 0] if scalar else h.x[:, 0]),
                          f=h.f[:, 0], grad_norm=h.grad_norm[:, 0], lr=h.lr[:, 0])
    return Result(x=float(X[0, 0]) if scalar else X[0].copy(), fun=float(F[0]), grad_norm=float(gnorm[0]),
                  nit=int(nit[0]), nfev=int(nfev[0]), ngev=int(ngev[0]), status=str(status[0]),
                  success=bool(success[0]), message=messages[0], history=history, optimizer=name, lr=lr)
