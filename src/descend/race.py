"""Race several optimizers on one problem: :func:`compare` and its :class:`Comparison` table."""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import numpy as np

from .errors import DescendError, check_nonnegative_int, check_positive
from .minimize import minimize

__all__ = ["compare", "Comparison", "BOOK_LR"]

#: Learning rates of the book's optimizer race on f(x, y) = x^2/20 + y^2 (the seeds' source,
#: chapter 6): good starting points for the elongated bowl.
BOOK_LR = {"sgd": 0.95, "gd": 0.95, "momentum": 0.1, "nesterov": 0.1, "adagrad": 1.5, "adam": 0.3,
           "rmsprop": 0.1, "adadelta": 1.0}

COLUMNS = ("optimizer", "lr", "final_f", "distance", "steps_to_tol", "reached", "status")


@dataclass
class Comparison:
    """One row per optimizer; ``results[name]`` holds its (batched when several starts) Result.

    Columns: optimizer, lr, final_f (median over starts), distance (median distance to the
    nearest known minimizer), steps_to_tol (median steps until f - minimum <= tol over the
    runs that got there; the gradient norm is used when the minimum is unknown), reached
    (fraction of starts that got there), status (counts of each status).
    """

    problem: object
    rows: list
    results: dict = field(repr=False)
    tol: float = 1e-6

    columns = COLUMNS

    def __getitem__(self, name: str) -> dict:
        for row in self.rows:
            if row["optimizer"] == name:
                return row
        raise KeyError(f"no optimizer {name!r} in this comparison; have {[r['optimizer'] for r in self.rows]}")

    def __iter__(self):
        return iter(self.rows)

    def __len__(self):
        return len(self.rows)

    def table(self) -> list[tuple]:
        """The rows as tuples in column order (for printing)."""
        return [tuple(row[c] for c in COLUMNS) for row in self.rows]

    def __repr__(self) -> str:
        lines = [f"Comparison on {self.problem.name} (tol {self.tol:g})",
                 "  ".join(f"{c:>12}" for c in COLUMNS)]
        for row in self.table():
            lines.append("  ".join(f"{_fmt(v, c):>12}" for v, c in zip(row, COLUMNS)))
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        from . import fmt

        head = "".join(f"<th>{html.escape(fmt.header(c))}</th>" for c in COLUMNS)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(_fmt(v, c))}</td>" for v, c in zip(row, COLUMNS))
                       + "</tr>" for row in self.table())
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    def to_pandas(self):
        import pandas as pd

        return pd.DataFrame(self.rows, columns=list(COLUMNS))


def _fmt(v, column=None) -> str:
    from . import fmt  # the one number formatter: digits by the column's kind, status counts as words

    return fmt.cell(v, fmt.kind_of(column) if column else None)


def _starts(problem, starts, seed):
    if starts is None:
        return np.asarray(problem.x0, dtype=float)[None, :]
    if isinstance(starts, (int, np.integer)) and not isinstance(starts, bool):
        k = check_nonnegative_int("starts", starts)
        if k == 0:
            raise DescendError("starts must be >= 1 random starts, got 0")
        check_nonnegative_int("seed", seed)
        lo, hi = np.asarray(problem.domain, dtype=float).T
        return np.random.default_rng(seed).uniform(lo, hi, size=(k, problem.dim))
    X0 = np.asarray(starts, dtype=float)
    X0 = X0[None, :] if X0.ndim == 1 else X0
    if X0.ndim != 2 or X0.shape[1] != problem.dim:
        raise DescendError(f"starts must be an int or an array of shape (R, {problem.dim}), got shape {X0.shape}")
    return X0


def _lr_for(name, lr):
    if lr is None:
        return BOOK_LR.get(name, 0.01)
    if isinstance(lr, dict):
        if name not in lr:
            raise DescendError(f"no lr given for optimizer {name!r}; the lr dict has {sorted(lr)}")
        return check_positive(f"lr for {name}", lr[name])
    return check_positive("lr", lr)


def compare(problem, optimizers=("sgd", "momentum", "adagrad", "adadelta", "rmsprop", "adam"), *, lr=None,
            steps=200, starts=None, tol=1e-6, seed=0, hyperparameters=None, history=True) -> Comparison:
    """Run each optimizer from the same starts on ``problem`` and tabulate how they did.

    Parameters
    ----------
    problem : Problem or str
    optimizers : sequence of str
        Names of :func:`descend.optim.names`.
    lr : None, float or dict
        None uses :data:`BOOK_LR` (0.01 for optimizers it does not list); a dict gives one lr
        per optimizer name.
    steps : int
    starts : None, int or array (R, n)
        None: the problem's start; an int: that many random starts drawn uniformly from the
        problem's domain with ``seed``; an array: those starts.
    tol : float
        The gap to the known minimum (or gradient norm when the minimum is unknown) that
        counts as reached.
    hyperparameters : dict of name -> dict, optional
        Extra hyperparameters per optimizer.
    """
    from . import problems as _problems

    p = _problems.get(problem) if isinstance(problem, str) else problem
    if isinstance(optimizers, str):
        optimizers = [o.strip() for o in optimizers.split(",") if o.strip()]
    if not optimizers:
        raise DescendError("optimizers must name at least one optimizer")
    check_positive("tol", tol)
    X0 = _starts(p, starts, seed)
    hyperparameters = hyperparameters or {}
    rows, results = [], {}
    known = np.isfinite(p.minimum)
    for name in optimizers:
        lr_i = _lr_for(name, lr)
        res = minimize(p, X0, optimizer=name, lr=lr_i, steps=steps, history=history,
                       **hyperparameters.get(name, {}))
        h = res.history
        gap = (h.f - p.minimum) if known else h.grad_norm
        hit = gap <= tol
        reached = hit.any(axis=0)
        first = np.where(reached, hit.argmax(axis=0), -1)
        dist = np.asarray(p.distance_to_minimizer(res.x), dtype=float)
        st, counts = np.unique(res.status, return_counts=True)
        rows.append(dict(
            optimizer=name, lr=float(lr_i), final_f=float(np.median(res.fun)),
            distance=float(np.median(dist)) if np.isfinite(dist).any() else float("nan"),
            steps_to_tol=float(np.median(first[reached])) if reached.any() else float("nan"),
            reached=float(reached.mean()),
            status=", ".join(f"{c} {s}" for s, c in zip(st, counts)),
        ))
        results[name] = res
    return Comparison(problem=p, rows=rows, results=results, tol=float(tol))
