"""Many runs in lockstep: a block of runs advanced together, one step at a time.

The loop of :mod:`descend.jit.driver` takes one run from start to finish before the next:
every number of a run depends on the one before, so the machine waits on each division
and square root.  Here a block of :data:`BLOCK` runs moves together, as the NumPy path
moves all its rows: the runs' coordinates are stored run-minor (``x[j, r]``: coordinate j
of run r of the block), so each phase is a loop over the runs of the block that LLVM turns
into vector instructions (the same IEEE operations per run, so the same bits).  The
phases, by the names of :mod:`descend.first_order`::

    for each block of runs:
        # -- start: f, g = f(x0), grad(x0) of every run; a non-finite start diverges
        for k in range(steps):                       # until every run of the block stopped
            # -- converged: gnorm <= gtol stops a run (it is masked from then on)
            # -- advance: x_new = rule(prepare(x, g), state, per-step numbers), every run
            # -- evaluate where finite: f_new, g_new at x_new
            # -- classify and commit: a run still moving takes x_new; non-finite or growth: diverged
            # -- record: x, f, gnorm of every run of the block (a stopped run repeats its last)
        # -- finish: each run's numbers and code for the Result

A run that has stopped keeps being computed with its block (its numbers are thrown away:
nothing it computes is committed), so a block costs as long as its longest run.  The
per-step numbers (bias corrections...) are one table for every run when the runs share
their hyperparameters, whatever their learning rates (unless the per-step numbers read
the learning rate, as AdaGrad's decay does); otherwise each run computes its own, per
step, as the one-run loop does.  f and the gradient of a registered problem written as
:class:`~descend.problems.formulas.Columns` are inlined as the definitions' arithmetic on
the numbers of each run (vectorized with the rest); other problems and the user's compiled
functions are called one run at a time on a copy of its point.

The history is written step-major (``HF[k, i]``), as :class:`~descend.result.History`
holds it: each step writes the block's runs side by side.
"""

from __future__ import annotations

import inspect
import re
import textwrap

import numpy as np

from ..optim import fused as _fused
from ..optim.base import prepare
from . import driver as _driver
from . import kernels as _kernels

__all__ = ["BLOCK", "MIN_RUNS", "loop", "fill", "table_reads_lr"]

#: runs advanced together (their lanes fit in the first-level cache for a few coordinates)
BLOCK = 256
#: fewest runs for which minimize takes the lockstep loop (below, one run at a time)
MIN_RUNS = 16

_cache: dict = {}
_VERSION = "1"  # bump when the template below changes meaning


def table_reads_lr(twin) -> bool:
    """Whether the twin's per-step numbers depend on the learning rate (then runs with their
    own learning rates cannot share one table)."""
    return re.search(r"\blr\b", twin.code) is not None


_TEMPLATE = '''
def NAME_table(HP, LR, steps, SCT):
    # the per-step numbers every run shares: once per step
    lsteps = LR.shape[0] > 1
    ii = 0
    @HP_UNPACK@
    @SST_INIT@
    for k in range(steps):
        t = k + 1
        lr = LR[k if lsteps else 0, 0]
        @TWIN@
        @STORE@
        @SST_NEXT@


def NAME(XT, HP, LR, P, pid, steps, gtol, use_gtol, use_limit, max_growth, keep_x, keep_f,
         HX, HF, HG, FF, F0, GN, NIT, NFEV, NGEV, CODE, STEP, WHAT, FBAD, D, END, SCT, shared, i0, i1):
    n = XT.shape[0]
    hr = HP.shape[0] > 1
    lsteps = LR.shape[0] > 1
    lruns = LR.shape[1] > 1
    x = np.empty((n, BLOCK))
    g = np.empty((n, BLOCK))
    xn = np.empty((n, BLOCK))
    gw = np.empty((n, BLOCK))
    gt = np.empty((n, BLOCK))
    @ALLOC@
    f = np.empty(BLOCK)
    gn = np.empty(BLOCK)
    fn = np.empty(BLOCK)
    gnn = np.empty(BLOCK)
    sq = np.empty(BLOCK)
    lim = np.empty(BLOCK)
    fac = np.ones(BLOCK)
    lrl = np.empty(BLOCK)
    fx = np.zeros(BLOCK, np.bool_)
    act = np.zeros(BLOCK, np.bool_)
    okv = np.zeros(BLOCK, np.bool_)
    code = np.zeros(BLOCK, np.int64)
    nit = np.zeros(BLOCK, np.int64)
    nfev = np.zeros(BLOCK, np.int64)
    ngev = np.zeros(BLOCK, np.int64)
    SC = np.empty((NSC, BLOCK))
    @SST_ALLOC@
    row = np.empty(n)
    grow = np.empty(n)
    tmp = np.empty(n)
    ii = 0
    @HP_UNPACK@
    last = 0
    for b0 in range(i0, i1, BLOCK):
        b = min(BLOCK, i1 - b0)
        # -- start: f, g at every run's x0 (a non-finite start diverges)
        for r in range(b):
            fx[r] = True
            for j in range(n):
                x[j, r] = XT[j, b0 + r]
                xn[j, r] = x[j, r]
        @EVALUATE@
        @NORM@
        nact = 0
        for r in range(b):
            i = b0 + r
            ii = i if hr else 0
            @HP_UNPACK@
            f[r] = fn[r]
            gn[r] = gnn[r]
            for j in range(n):
                g[j, r] = gw[j, r]
            F0[i] = f[r]
            af = abs(f[r])
            lim[r] = f[r] + max_growth * (af if (af > 1.0 or af != af) else 1.0)  # np.maximum(1, |f0|), nan kept
            nit[r] = 0
            nfev[r] = 1
            ngev[r] = 1 if np.isfinite(f[r]) else 0
            c = 0 if (np.isfinite(f[r]) and np.isfinite(gn[r])) else 2  # 2: diverged at the start
            code[r] = c
            act[r] = c == 0
            nact += 1 if c == 0 else 0
            @STATE_INIT@
            if keep_x:
                for j in range(n):
                    HX[0, i, j] = x[j, r]
            if keep_f:
                HF[0, i] = f[r]
                HG[0, i] = gn[r]
        eb = 0
        for k in range(steps):
            # -- converged: a run whose gradient norm is at most gtol stops (masked from now on)
            if use_gtol:
                for r in range(b):
                    if act[r] and gn[r] <= gtol:
                        code[r] = 1
                        act[r] = False
                        nact -= 1
            if nact == 0:
                break
            # -- advance: every run of the block, stopped ones too (their numbers are not committed)
            t = k + 1
            kk = k if lsteps else 0
            if shared:
                @LOAD@
                @FACTOR_SHARED@
                for r in range(b):  # each run's learning rate (the table does not read it)
                    lrl[r] = LR[kk, b0 + r if lruns else 0]
                for j in range(n):
                    for r in range(b):
                        lr = lrl[r]
                        @STEP@
            else:
                for r in range(b):
                    ii = b0 + r if hr else 0
                    @HP_UNPACK@
                    lr = LR[kk, b0 + r if lruns else 0]
                    @SST_LOAD@
                    @TWIN@
                    @STORE_RUN@
                    @SST_SAVE@
                    @FACTOR_RUN@
                for j in range(n):
                    for r in range(b):
                        ii = b0 + r if hr else 0
                        @HP_UNPACK@
                        lr = LR[kk, b0 + r if lruns else 0]
                        @LOAD_RUN@
                        @STEP@
            for r in range(b):
                fx[r] = True
            for j in range(n):
                for r in range(b):
                    fx[r] = fx[r] & np.isfinite(xn[j, r])
            # -- evaluate where finite
            @EVALUATE@
            @NORM@
            # -- classify and commit (the last two steps only matter to a run that takes
            # every step: its message describes how they moved)
            if k >= steps - 2:
                for r in range(b):
                    if act[r]:
                        for j in range(n):
                            D[0, b0 + r, j] = D[1, b0 + r, j]
                            D[1, b0 + r, j] = xn[j, r] - x[j, r]
            for r in range(b):
                a = act[r]
                okr = a & fx[r] & np.isfinite(fn[r]) & np.isfinite(gnn[r])
                okv[r] = okr
                nit[r] += 1 if a else 0
                nfev[r] += 1 if (a & fx[r]) else 0
                ngev[r] += 1 if (a & np.isfinite(fn[r])) else 0
                f[r] = fn[r] if okr else f[r]
                gn[r] = gnn[r] if okr else gn[r]
            for j in range(n):
                for r in range(b):
                    x[j, r] = xn[j, r] if okv[r] else x[j, r]
                    g[j, r] = gw[j, r] if okv[r] else g[j, r]
            for r in range(b):
                if act[r]:
                    if not okv[r]:  # non-finite: diverged, x kept
                        code[r] = 3
                        STEP[b0 + r] = k + 1
                        WHAT[b0 + r] = 0 if not fx[r] else (1 if not np.isfinite(fn[r]) else 2)
                        act[r] = False
                        nact -= 1
                    elif use_limit and fn[r] > lim[r]:  # grew past the limit: diverged, x taken
                        code[r] = 4
                        STEP[b0 + r] = k + 1
                        FBAD[b0 + r] = fn[r]
                        act[r] = False
                        nact -= 1
            eb = k + 1
            # -- record (a stopped run repeats its last numbers, as the NumPy path fills them)
            if keep_x:
                for r in range(b):
                    for j in range(n):
                        HX[k + 1, b0 + r, j] = x[j, r]
            if keep_f:
                for r in range(b):
                    HF[k + 1, b0 + r] = f[r]
                    HG[k + 1, b0 + r] = gn[r]
        # -- finish
        for r in range(b):
            i = b0 + r
            if code[r] == 0 and use_gtol and gn[r] <= gtol:  # converged after the last step
                code[r] = 1
            for j in range(n):
                XT[j, i] = x[j, r]
            FF[i] = f[r]
            GN[i] = gn[r]
            NIT[i] = nit[r]
            NFEV[i] = nfev[r]
            NGEV[i] = ngev[r]
            CODE[i] = code[r]
            END[i] = eb
        last = max(last, eb)
    return last
'''

_FACTOR = """
for j in range(n):
    c = G_EXPR
    if USE_CLIP_VALUE:
        c = np.minimum(np.maximum(c, -clip_value), clip_value)
    tmp[j] = c * c
nrm = np.sqrt(0.0 + pairwise(tmp, 0, n))
fac[r] = clip_norm / nrm if nrm > clip_norm else 1.0
"""


_ROW_EVALUATE = """
for r in range(b):
    fv = np.nan
    if fx[r]:
        for j in range(n):
            row[j] = xn[j, r]
        fv = FUN(pid, row, P, tmp)
    fn[r] = fv
    if np.isfinite(fv):
        GRAD(pid, row, P, tmp, grow)
        for j in range(n):
            gw[j, r] = grow[j]
    else:
        for j in range(n):
            gw[j, r] = np.nan
"""

# a chain sum_i term(x_i, x_i+1): NumPy's pairwise sum of fewer than 8 terms is a plain loop from
# 0.0, so each run's sum is a vector of partial sums; longer chains go run by run (_ROW_EVALUATE)
_CHAIN_EVALUATE = """
if n - 1 < 8:
    for r in range(b):
        sq[r] = 0.0
    for i in range(n - 1):
        for r in range(b):
            sq[r] += DEF_F(xn[i, r], xn[i + 1, r]PARAMS)
    for r in range(b):
        fn[r] = sq[r] if fx[r] else np.nan
    for r in range(b):
        gw[n - 1, r] = 0.0
    for i in range(n - 1):
        for r in range(b):
            gv = DEF_G(xn[i, r], xn[i + 1, r]PARAMS)
            gw[i, r] = gv[0]
            gt[i, r] = gv[1]
    for i in range(1, n):  # the second parts added after the first, as the row kernel does
        for r in range(b):
            gw[i, r] = gw[i, r] + gt[i - 1, r]
    for j in range(n):
        for r in range(b):
            gw[j, r] = gw[j, r] if np.isfinite(fn[r]) else np.nan
else:
ROW
"""


def _evaluate_src(evaluate):
    """The evaluate phase for the block's runs: fn[r], gw[:, r] at xn[:, r] where fx[r]."""
    if evaluate is None:  # a kernel for one point, called run by run on a copy of it
        return _ROW_EVALUATE
    kind, dim, npar = evaluate  # the definitions' arithmetic on every run (where x is not finite, thrown away)
    params = "".join(f", P[{q}]" for q in range(npar))
    if kind == "chain":
        return _CHAIN_EVALUATE.replace("PARAMS", params).replace("ROW", textwrap.indent(_ROW_EVALUATE, "    "))
    args = ", ".join(f"xn[{j}, r]" for j in range(dim)) + params
    stores = "".join(f"    gw[{j}, r] = gv[{j}] if ok else np.nan\n" for j in range(dim))
    return (f"for r in range(b):\n    fv = DEF_F({args})\n    fv = fv if fx[r] else np.nan\n"
            f"    fn[r] = fv\n    gv = DEF_G({args})\n    ok = np.isfinite(fv)\n{stores}")


_NORM = """
if n <= 8:  # objective.row_norms: g0*g0, then += gj*gj; above 8 columns NumPy's einsum
    for r in range(b):
        sq[r] = gw[0, r] * gw[0, r]
    for j in range(1, n):
        for r in range(b):
            sq[r] += gw[j, r] * gw[j, r]
    for r in range(b):
        gnn[r] = np.sqrt(sq[r])
else:
    for r in range(b):
        for j in range(n):
            row[j] = gw[j, r]
        gnn[r] = np.sqrt(einsum_sq(row, n))
"""


def _fill_in(template: str, blocks: dict) -> str:
    """Each line ``@NAME@`` of ``template`` replaced by ``blocks[NAME]`` at that line's indent."""
    out = []
    for line in template.splitlines():
        m = re.fullmatch(r"( *)@(\w+)@", line)
        if m:
            body = textwrap.dedent(blocks[m.group(2)]).strip() or "pass"
            out.append(textwrap.indent(body, m.group(1)))
        else:
            out.append(line)
    return "\n".join(out) + "\n"


def _source(name, rule, n_state, present, twin, rename, flags, hp_cols, state_init, evaluate):
    """The lockstep loop's source for one configuration (see the module docstring)."""
    args = list(inspect.signature(rule).parameters)
    scalar_names = args[2 + n_state:]
    values = [a for a in scalar_names if a not in flags]  # the floats the rule takes
    expr = {a: rename.get(a, a) for a in values}
    nsc = max(1, len(values))
    g_expr = "-g[j, r]" if flags["maximize"] else "g[j, r]"
    rule_args = [f"s{j}j" for j in range(n_state)] + [repr(flags[a]) if a in flags else expr[a]
                                                     for a in scalar_names]
    outs = ", ".join(["pj"] + [f"s{j}j" for j in range(n_state)])
    t = {a: repr(flags[a]) for a in ("use_clip_value", "use_factor", "coupled", "decoupled")}
    step = "\n".join(
        [f"pj, gj = prepare(x[j, r], {g_expr}, lr, clip_value, {t['use_clip_value']}, fac[r], "
         f"{t['use_factor']}, weight_decay, {t['coupled']}, {t['decoupled']})"]
        + [f"s{j}j = s{j}[j, r]" if keep else f"s{j}j = 0.0" for j, keep in enumerate(present)]
        + [f"{outs}, = rule(pj, gj, {', '.join(rule_args)})", "xn[j, r] = pj"]
        + [f"s{j}[j, r] = s{j}j" for j, keep in enumerate(present) if keep])
    factor = _FACTOR.replace("G_EXPR", g_expr).replace(
        "USE_CLIP_VALUE", t["use_clip_value"]) if flags["use_factor"] else ""
    init = [f"    s{j}[j, r] = {state_init.get(j) or '0.0'}" for j, keep in enumerate(present) if keep]
    blocks = {
        "HP_UNPACK": "\n".join(f"{h} = HP[ii, {c}]" for c, h in enumerate(hp_cols)),
        "SST_INIT": "\n".join(f"{s} = {v!r}" for s, v in twin.sstate),
        "SST_NEXT": "\n".join(f"{s} = {s}_new" for s, _ in twin.sstate),
        "SST_ALLOC": "\n".join(f"{s}_L = np.empty(BLOCK)" for s, _ in twin.sstate),
        "SST_LOAD": "\n".join(f"{s} = {s}_L[r]" for s, _ in twin.sstate),
        "SST_SAVE": "\n".join(f"{s}_L[r] = {s}_new" for s, _ in twin.sstate),
        "TWIN": textwrap.dedent(twin.code),
        "STORE": "\n".join(f"SCT[k, {j}] = {expr[a]}" for j, a in enumerate(values)),
        "LOAD": "\n".join(f"{expr[a]} = SCT[k, {j}]" for j, a in enumerate(values)),
        "STORE_RUN": "\n".join(f"SC[{j}, r] = {expr[a]}" for j, a in enumerate(values)),
        "LOAD_RUN": "\n".join(f"{expr[a]} = SC[{j}, r]" for j, a in enumerate(values)),
        "ALLOC": "\n".join(f"s{j} = np.empty((n, BLOCK))" for j, keep in enumerate(present) if keep),
        "STATE_INIT": ("for j in range(n):\n" + "\n".join(init) if init else "")
                      + "".join(f"\n{s}_L[r] = {v!r}" for s, v in twin.sstate),
        "FACTOR_SHARED": "for r in range(b):\n" + textwrap.indent(factor.strip(), "    ") if factor else "",
        "FACTOR_RUN": factor,
        "STEP": step,
        "EVALUATE": _evaluate_src(evaluate),
        "NORM": _NORM,
    }
    src = _fill_in(_TEMPLATE, blocks).replace("NAME", name).replace("BLOCK", str(BLOCK)).replace("NSC", str(nsc))
    return src, nsc


def loop(rule, n_state, present, twin, rename, flags, hp_cols, state_init, fun, grad, fun_key, evaluate=None):
    """(the compiled lockstep loop, its table function, the number of per-step numbers) for this
    configuration, built once per process (numba caches the machine code on disk); None when
    numba is unavailable.  ``evaluate``: None to call ``fun``/``grad`` (None: the switch of the
    registered problems) one run at a time, or the name of a registered problem whose
    definition :func:`descend.jit.kernels.lanes` inlines across runs."""
    if not _fused.available():
        return None
    key = (rule, present, tuple(sorted(flags.items())), twin, tuple(hp_cols), tuple(sorted(state_init.items())),
           fun_key, evaluate)
    if key in _cache:
        return _cache[key]
    nb = _fused._numba
    ns = {"__name__": __name__, "np": np}  # numba's cache rebuilds the environment from this module
    if evaluate is not None:
        kind, ns["DEF_F"], ns["DEF_G"], dim, npar = _kernels.lanes(nb, evaluate)
        ns["FUN"], ns["GRAD"] = _kernels.single(nb, evaluate)  # long chains: run by run
        parts = [evaluate, _kernels.fingerprint()]
        shape = (kind, dim, npar)
    else:
        if fun is None:
            fun, grad = _kernels.switch(nb)
            parts = [_kernels.switch_source(), _kernels.fingerprint()]
        else:
            parts = [fun, grad]
        ns["FUN"], ns["GRAD"] = fun, grad
        shape = None
    tag = _driver.digest(_VERSION, _TEMPLATE, rule, prepare, _kernels.pairwise, _kernels.einsum_sq, twin.code,
                         sorted(flags.items()), hp_cols, sorted(state_init.items()), present, fun_key, BLOCK, *parts)
    name = f"_lockstep_{rule.__name__}_{tag}"
    src, nsc = _source(name, rule, n_state, present, twin, rename, flags, hp_cols, state_init, shape)
    jit_inline = nb.njit(inline="always", error_model="numpy")
    ns.update(rule=jit_inline(rule), prepare=jit_inline(prepare), pypow=_driver.pypow_intrinsic(),
              pairwise=_kernels.jitted(_kernels.pairwise, nb), einsum_sq=_kernels.jitted(_kernels.einsum_sq, nb))
    # compiled as if written in this file, so that numba's disk cache finds it; the name carries
    # a hash of every source it is made of, so an edit recompiles
    exec(compile(src, __file__, "exec"), ns)
    table = nb.njit(error_model="numpy", cache=True, nogil=True)(ns[name + "_table"])
    cache = fun_key[0] != "user" or fun_key[-1]
    fn = nb.njit(cache=cache, fastmath=False, nogil=True, error_model="numpy")(ns[name])
    entry = (fn, table, nsc)
    _cache[key] = entry
    return entry


def _fill_py(HX, HF, HG, XT, FF, GN, END, last, keep_x, keep_f, i0, i1):
    """Runs whose block stopped early repeat their final values up to the last step any run took."""
    n = XT.shape[0]
    for i in range(i0, i1):
        for k in range(END[i] + 1, last + 1):
            if keep_x:
                for j in range(n):
                    HX[k, i, j] = XT[j, i]
            if keep_f:
                HF[k, i] = FF[i]
                HG[k, i] = GN[i]


_fill = None


def fill():
    """The compiled :func:`_fill_py` (step-major history)."""
    global _fill
    if _fill is None:
        _fill = _fused._numba.njit(cache=True, nogil=True)(_fill_py)
    return _fill
