"""A fair optimizer benchmark: every optimizer gets its learning rate tuned, under one budget.

The protocol of :func:`benchmark_optimizers`, for each problem and each optimizer:

1. **Tune.** Run every learning rate of the grid ``lrs`` (and, only when asked through
   ``tune``, every combination of other hyperparameters) from ``tune_starts`` random
   starts drawn with a seed kept apart from the evaluation seeds (``tune_seed``), each
   run limited to ``budget`` gradient evaluations.  Keep the setting with the highest
   success rate; ties go to the lower median number of evaluations to reach the
   tolerance (a failed run counts as infinitely many), then to the lower median final gap.
2. **Evaluate.** Run the chosen setting from ``starts`` fresh random starts for each of
   ``seeds`` (starts uniform in ``Problem.domain``), with the same budget.

A run *succeeds* when ``f - minimum <= tol`` at some iterate within the budget; its
*evaluations to tolerance* are the gradient evaluations up to that iterate (the start's
gradient included: iterate k costs k + 1).  Every optimizer of :mod:`descend.optim`
takes one gradient per step, so the budget is ``budget - 1`` steps.  All runs of one
optimizer go through :func:`descend.minimize` as one batch (:func:`descend.sweeps.sweep`).

The report: success rate, evaluations to tolerance (median and quartiles, over the
successful runs), and the final distance to the nearest known minimizer (median and
quartiles, over all runs), as a table (:attr:`BenchmarkResult.table`) and a figure
(:meth:`BenchmarkResult.plot`).
"""

from __future__ import annotations

import dataclasses
import math
import numbers

import numpy as np

from ..errors import DescendError

__all__ = ["benchmark_optimizers", "BenchmarkResult"]

#: the default learning-rate grid: 21 values, 4 per decade, from 1e-5 to 1
DEFAULT_LRS = tuple(float(v) for v in np.geomspace(1e-5, 1.0, 21))

SUMMARY_COLUMNS = ("problem", "optimizer", "lr", "tuned", "runs", "success_rate", "evals_median", "evals_q25",
                   "evals_q75", "distance_median", "distance_q25", "distance_q75", "gap_median")


def _table(rows, columns, as_records):
    if as_records:
        return rows
    try:
        import pandas as pd
    except ImportError:
        return rows
    return pd.DataFrame(rows, columns=list(columns))


@dataclasses.dataclass
class BenchmarkResult:
    """The outcome of :func:`benchmark_optimizers`.

    Attributes
    ----------
    summary_rows : list of dict
        One per (problem, optimizer), with :data:`SUMMARY_COLUMNS`.
    run_rows : list of dict
        One per evaluation run: problem, optimizer, lr, seed, start, success,
        evals (None when the tolerance was not reached), gap (final f - minimum), distance, status.
    tuning_rows : list of dict
        One per (problem, optimizer, setting tried): success_rate, evals_median, gap_median.
    budget : int
    tol : float
    """

    summary_rows: list
    run_rows: list
    tuning_rows: list
    budget: int
    tol: float

    @property
    def table(self):
        """The summary as a DataFrame (pandas installed) or a list of dicts."""
        return _table(self.summary_rows, SUMMARY_COLUMNS, False)

    @property
    def runs(self):
        """Every evaluation run as a DataFrame (or a list of dicts)."""
        cols = ("problem", "optimizer", "lr", "seed", "start", "success", "evals", "gap", "distance", "status")
        return _table(self.run_rows, cols, False)

    @property
    def tuning(self):
        """Every setting tried while tuning, with its score."""
        cols = ("problem", "optimizer", "setting", "success_rate", "evals_median", "gap_median", "chosen")
        return _table(self.tuning_rows, cols, False)

    def summary(self) -> str:
        """The table as aligned text."""
        head = (f"{'problem':<18} {'optimizer':<10} {'lr':>9} {'success':>8} {'evals median [q25, q75]':>26} "
                f"{'distance median':>16}")
        lines = [f"budget {self.budget} gradient evaluations, tol {self.tol:g} on f - minimum", head]
        for r in self.summary_rows:
            if r["evals_median"] is None:
                ev = "-"
            else:
                ev = f"{r['evals_median']:.0f} [{r['evals_q25']:.0f}, {r['evals_q75']:.0f}]"
            lines.append(f"{r['problem']:<18} {r['optimizer']:<10} {r['lr']:>9.3g} {r['success_rate']:>8.0%} "
                         f"{ev:>26} {r['distance_median']:>16.3g}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        probs = sorted({r["problem"] for r in self.summary_rows})
        opts = list(dict.fromkeys(r["optimizer"] for r in self.summary_rows))
        return (f"BenchmarkResult({len(probs)} problem(s), optimizers {opts}, budget={self.budget}, "
                f"{len(self.run_rows)} runs)")

    def plot(self):
        """Success rate and evaluations to tolerance, per problem and optimizer; returns a Figure."""
        from matplotlib.figure import Figure

        probs = list(dict.fromkeys(r["problem"] for r in self.summary_rows))
        opts = list(dict.fromkeys(r["optimizer"] for r in self.summary_rows))
        by = {(r["problem"], r["optimizer"]): r for r in self.summary_rows}
        fig = Figure(figsize=(max(6.0, 1.6 * len(probs) * max(1, len(opts)) / 2), 6.5), layout="constrained")
        ax1, ax2 = fig.subplots(2, 1, sharex=True)
        width = 0.8 / max(1, len(opts))
        xs = np.arange(len(probs))
        for j, opt in enumerate(opts):
            pos = xs - 0.4 + width * (j + 0.5)
            rates = [by[(p, opt)]["success_rate"] if (p, opt) in by else np.nan for p in probs]
            ax1.bar(pos, rates, width, color=f"C{j % 10}", label=opt, gid=f"descend:benchmark_success:{opt}")
            med = np.array([by[(p, opt)]["evals_median"] if (p, opt) in by and by[(p, opt)]["evals_median"]
                            is not None else np.nan for p in probs], dtype=float)
            q25 = np.array([by[(p, opt)]["evals_q25"] if (p, opt) in by and by[(p, opt)]["evals_q25"]
                            is not None else np.nan for p in probs], dtype=float)
            q75 = np.array([by[(p, opt)]["evals_q75"] if (p, opt) in by and by[(p, opt)]["evals_q75"]
                            is not None else np.nan for p in probs], dtype=float)
            ax2.errorbar(pos, med, yerr=[med - q25, q75 - med], fmt="o", color=f"C{j % 10}", capsize=3,
                         label=opt, gid=f"descend:benchmark_evals:{opt}")
        ax1.set_ylim(0, 1.05)
        ax1.set_ylabel("success rate")
        ax1.set_title(f"tuned lr, budget {self.budget} gradient evaluations, tol {self.tol:g}")
        fig.legend(*ax1.get_legend_handles_labels(), loc="outside right upper", fontsize="small")
        ax2.set_yscale("log")
        ax2.set_ylabel("evaluations to tol\n(median, quartiles)")
        ax2.set_xticks(xs, probs)
        return fig


def _median_q(values):
    a = np.asarray([v for v in values if v is not None and math.isfinite(v)], dtype=float)
    if a.size == 0:
        return None, None, None
    q25, med, q75 = np.percentile(a, [25, 50, 75])
    return float(med), float(q25), float(q75)


def _score(rows, minimum):
    """(success rate, median evals with failures as inf, median final gap) of a group of runs."""
    evals = [r["steps_to_tol"] + 1 if r["steps_to_tol"] is not None else math.inf for r in rows]
    gaps = [r["final_loss"] - minimum for r in rows]
    rate = float(np.mean([e < math.inf for e in evals]))
    med_evals = float(np.median(evals))
    gaps = np.array(gaps, dtype=float)
    gaps[~np.isfinite(gaps)] = np.inf
    return rate, med_evals, float(np.median(gaps))


def _int(name, value, lo):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < lo:
        raise DescendError(f"{name} must be an integer >= {lo}, got {value!r}")
    return int(value)


def benchmark_optimizers(problems, optimizers, *, budget: int = 1000, starts: int = 20, seeds=(0, 1, 2),
                         lrs=None, tol: float = 1e-6, tune: dict | None = None, tune_starts: int | None = None,
                         tune_seed: int | None = None, progress: bool = True) -> BenchmarkResult:
    """Compare optimizers fairly: each with its lr tuned on a grid, all under one gradient budget.

    Parameters
    ----------
    problems : Problem, str, or a list of them
        Problems with a known minimum (names are looked up with :func:`descend.problems.get`).
    optimizers : str or list of str
        Names from :func:`descend.optim.names`.
    budget : int, default 1000
        Gradient evaluations per run (the start's included).
    starts : int, default 20
        Random starts per seed (uniform in ``Problem.domain``).
    seeds : int or list of int, default (0, 1, 2)
        Evaluation seeds: ``starts * len(seeds)`` runs per (problem, optimizer).
    lrs : list of float or dict optimizer -> list, optional
        The learning-rate grid (default :data:`DEFAULT_LRS`, 1e-5 to 1, four per decade).
    tol : float, default 1e-6
        Success: ``f - minimum <= tol`` within the budget.
    tune : dict optimizer -> dict of lists, optional
        Other hyperparameters to tune jointly with lr, e.g. ``{"sgd": {"momentum": [0.5, 0.9]}}``;
        by default only lr is tuned and the rest keep their defaults.
    tune_starts : int, optional
        Random starts for tuning (default: ``starts``).
    tune_seed : int, optional
        The tuning starts' seed (default: one more than the largest evaluation seed, so
        tuning never sees the evaluation starts).
    progress : bool
        Progress bars on stderr (silent when not a terminal).

    Returns
    -------
    BenchmarkResult
    """
    resolved = _check_problems(problems)
    olist = _check_optimizers(optimizers)
    budget = _int("budget", budget, 1)
    starts = _int("starts", starts, 1)
    seeds = _check_seeds(seeds)
    if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not tol >= 0:
        raise DescendError(f"tol must be a number >= 0, got {tol!r}")
    tune = _check_tune(tune, olist)
    tune_starts = starts if tune_starts is None else _int("tune_starts", tune_starts, 1)
    tune_seed = max(seeds) + 1 if tune_seed is None else _int("tune_seed", tune_seed, 0)
    if tune_seed in seeds:
        raise DescendError(f"tune_seed={tune_seed} is one of the evaluation seeds {seeds}; tuning must not "
                           f"see the evaluation starts")

    def lr_grid(opt):
        g = lrs.get(opt, DEFAULT_LRS) if isinstance(lrs, dict) else (DEFAULT_LRS if lrs is None else lrs)
        return list(g)

    steps = budget - 1
    summary, runs_out, tuning_out = [], [], []
    for p in resolved:
        for opt in olist:
            extra = tune.get(opt, {})
            grid = {"optimizer": [opt], "lr": lr_grid(opt), "seed": [tune_seed], "start": tune_starts, **extra}
            chosen = _tune(p, opt, grid, ["lr"] + sorted(extra), steps, tol, progress, tuning_out)
            grid = {"optimizer": [opt], "seed": seeds, "start": starts,
                    **{k: [(tuple(v) if isinstance(v, list) else v)] for k, v in chosen.items()}}
            summary.append(_evaluate(p, opt, chosen, grid, steps, tol, progress, runs_out))
    return BenchmarkResult(summary_rows=summary, run_rows=runs_out, tuning_rows=tuning_out, budget=budget, tol=tol)


def _check_problems(problems) -> list:
    """The problems as Problems, each with a known minimum."""
    from .. import problems as _problems

    plist = problems if isinstance(problems, (list, tuple)) else [problems]
    if not plist:
        raise DescendError("problems must name at least one problem")
    resolved = []
    for p in plist:
        p = _problems.get(p) if isinstance(p, str) else p
        if not isinstance(p, _problems.Problem):
            raise DescendError(f"problems must be Problems or problem names, got {p!r}")
        if not math.isfinite(p.minimum):
            raise DescendError(f"problem {p.name!r} has no known minimum; the benchmark measures f - minimum")
        resolved.append(p)
    return resolved


def _check_optimizers(optimizers) -> list[str]:
    """The optimizer names, lower case, each one descend knows."""
    from .. import optim

    olist = [optimizers] if isinstance(optimizers, str) else list(optimizers)
    if not olist:
        raise DescendError("optimizers must name at least one optimizer")
    for o in olist:
        if not isinstance(o, str) or o.lower() not in optim.names():
            raise DescendError(f"unknown optimizer {o!r}; valid: {', '.join(optim.names())}")
    return [o.lower() for o in olist]


def _check_seeds(seeds) -> list[int]:
    seeds = [seeds] if isinstance(seeds, numbers.Integral) and not isinstance(seeds, bool) else list(seeds)
    if not seeds:
        raise DescendError("seeds must hold at least one seed")
    return [_int("seeds[]", s, 0) for s in seeds]


def _check_tune(tune, olist) -> dict:
    tune = dict(tune or {})
    for k in tune:
        if k not in olist:
            raise DescendError(f"tune names optimizer {k!r}, which is not benchmarked ({', '.join(olist)})")
        if not isinstance(tune[k], dict):
            raise DescendError(f"tune[{k!r}] must be a dict of hyperparameter lists, got {tune[k]!r}")
        if "lr" in tune[k]:
            raise DescendError(f"tune[{k!r}] must not hold 'lr'; give the lr grid as lrs=")
    return tune


def _tune(p, opt, grid, hp_names, steps, tol, progress, tuning_out) -> dict:
    """Run the tuning grid on the tuning starts; the setting with the best score (success rate, then
    median evaluations, then median gap).  Each setting's row goes to ``tuning_out``."""
    from .run import sweep

    rows = sweep(p, grid, steps=steps, tol=tol, curves=False, as_records=True, progress=progress)
    groups: dict[tuple, list] = {}
    for r in rows:
        groups.setdefault(tuple(_freeze(r[k]) for k in hp_names), []).append(r)
    best, best_score = None, None
    for setting, members in groups.items():
        rate, med, gap = _score(members, p.minimum)
        score = (-rate, med, gap)
        tuning_out.append({"problem": p.name, "optimizer": opt, "setting": dict(zip(hp_names, setting)),
                           "success_rate": rate, "evals_median": med, "gap_median": gap, "chosen": False})
        if best_score is None or score < best_score:
            best, best_score = setting, score
            chosen_index = len(tuning_out) - 1
    tuning_out[chosen_index]["chosen"] = True
    return dict(zip(hp_names, best))


def _evaluate(p, opt, chosen, grid, steps, tol, progress, runs_out) -> dict:
    """Run the chosen setting on the evaluation starts; its summary row (each run's row goes to
    ``runs_out``)."""
    from .run import sweep

    rows = sweep(p, grid, steps=steps, tol=tol, curves=False, as_records=True, progress=progress)
    evals, dists, gaps = [], [], []
    for r in rows:
        e = r["steps_to_tol"] + 1 if r["steps_to_tol"] is not None else None
        gap = r["final_loss"] - p.minimum
        runs_out.append({"problem": p.name, "optimizer": opt, "lr": chosen["lr"], "seed": r["seed"],
                         "start": r["start"], "success": e is not None, "evals": e, "gap": gap,
                         "distance": r["distance"], "status": r["status"]})
        evals.append(e)
        dists.append(r["distance"])
        gaps.append(gap)
    em, e25, e75 = _median_q(evals)
    dm, d25, d75 = _median_q(dists)
    gm = _median_q(gaps)[0]
    return {"problem": p.name, "optimizer": opt, "lr": chosen["lr"],
            "tuned": {k: v for k, v in chosen.items()},
            "runs": len(rows), "success_rate": float(np.mean([e is not None for e in evals])),
            "evals_median": em, "evals_q25": e25, "evals_q75": e75,
            "distance_median": dm if dm is not None else float("nan"),
            "distance_q25": d25, "distance_q75": d75,
            "gap_median": gm if gm is not None else float("inf")}


def _freeze(v):
    return tuple(v) if isinstance(v, list) else v
