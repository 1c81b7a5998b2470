"""Finite differences: derivatives, gradients, Jacobians, Hessians and gradient checks.

This is the one finite-difference module of descend.  Every function takes a
``method`` from :data:`METHODS`:

=============  =======================================================  =====  ==============
method         formula for f'(x)                                         order  default step
=============  =======================================================  =====  ==============
forward        (f(x + h) - f(x)) / h                                     1      eps^(1/2)
backward       (f(x) - f(x - h)) / h                                     1      eps^(1/2)
central        (f(x + h) - f(x - h)) / (2h)                              2      eps^(1/3)
five-point     (f(x - 2h) - 8f(x - h) + 8f(x + h) - f(x + 2h)) / (12h)   4      eps^(1/5)
complex        Im f(x + ih) / h                                          2      eps^2
richardson     central differences at h, h/2, ..., h/128; Romberg       8      4 eps^(1/9)
               extrapolation over the 4 consecutive steps with the
               smallest error estimate
=============  =======================================================  =====  ==============

Evaluations of f per coordinate: 1 (forward, backward; plus f(x) once), 2
(central), 4 (five-point), 4 (complex: 1 and 3 for its check; plus f(x) once), 16 (richardson).

**The complex step is checked.**  An f that keeps a complex type without being analytic
(``x * conj(x)``, ``abs(x) * x``) gives a wrong complex step (0 and |x| instead of 2x).  So
f is also evaluated at ``x +- hc`` and ``x + i hc`` (hc central's step): for an analytic f
the central difference and the complex step at hc have errors that cancel, and their mean
predicts the complex step; where it does not, the central difference is returned, and
``DiffInfo.checked`` says which value each derivative is (:data:`COMPLEX_CHECKS`:
"passed", "central", "combined" where ``h f'`` underflowed and the mean is returned,
"unchecked" where f varies on a length below hc).

**Steps.**  With ``h=None`` the step is the default step of the table, where
``eps`` is the machine epsilon of x's dtype (float64 for integer x), scaled by
``max(1, |x_i|)`` so that a huge coordinate is still moved (1e20 + h != 1e20).
The powers balance truncation error (``~h^p``) against round-off
(``~eps/h``).  The complex step has no subtraction, hence no round-off penalty
for a tiny step, so it uses ``eps^2`` (4.9e-32 for float64): its truncation
error ``h^2 |f'''| / 6`` is then far below ``eps |f'|`` for any sensibly scaled
f, while ``h |f'|`` stays above the underflow threshold for any derivative
larger than about 1e-276 (pass a larger h for functions with smaller ones).
An automatically chosen real step is made exactly representable,
``h = (x + h) - x``, so the division uses the step really taken.

An explicit ``h`` (a number, or an array with one step per coordinate) is used
exactly as given: the perturbed coordinate is the float sum ``x_i + c h`` and
the formulas are evaluated as written above, so
``derivative(lambda x: x**2, 3.0, h=1e-4)`` gives the 6.000000000012662 of the
study notes bit for bit.  It is not second-guessed either: where ``x + h == x``
(a fixed h below the spacing of a large x) the difference is 0, as in the
notes; ``h=None`` never runs into this.

**Higher orders.**  ``derivative(f, x, n=k)`` takes the central stencil of
the k-th derivative with the requested ``accuracy`` (``stencil(k, accuracy)``:
Fornberg's weights in exact arithmetic), step ``eps^(1/(k + accuracy))``;
``forward``/``backward`` give one-sided stencils.  ``method="complex"`` with
n != 1 takes the Cauchy integral on a circle of 16 complex points (Lyness and
Moler), shrinking the radius until its error estimate stops falling: for
analytic f, 13 or more digits at n = 5 from 16 evaluations.

**Tolerance-driven.**  ``method="adaptive"`` starts from a step well above the optimum of
the extrapolated stencil (a power of two, so every stencil point is exact), halves it,
extrapolates across the steps (Richardson) and finds its own scale: an error estimate is
believed only once the differences of four consecutive steps shrink at the stencil's rate
(or are all round-off), so a step far larger than the length on which f varies (sin'' at
1000 from a step of 200) is passed by, and a stencil off the halving sequence confirms the
answer before it stops (an oscillating f sampled near multiples of its period looks smooth).
It stops when the estimate is below ``atol + rtol |value|`` ("converged": the estimate
bounds the error) or has not improved while the step shrank 4 times ("error_increased", the
estimate doubled); without a believed estimate the error is inf.  ``full_output=True`` returns the
estimate, the step, ``nit``, ``nfev`` and a ``status`` from :data:`STATUSES`, as
``scipy.differentiate.derivative`` does.

**Which step scaling.**  ``step="relative"`` (default) scales the automatic step
by ``max(scale, |x_i|)``, scale 1 unless given: right when f varies on the
scale of 1 or of |x| (polynomials, the usual test functions).
``step="absolute"`` scales by ``scale`` alone: right when f varies on a
scale much smaller than |x| (exp at -700: the relative step is 700 times too
large and costs 6 digits).  ``scale=`` (one per coordinate allowed) gives the
length on which f varies (1e-6 for a Coulomb potential near 1e-6).

**A gradient check without a step.**  ``check_grad(f, grad, x, method="taylor")``
(:func:`taylor_test`) watches the remainder ``|f(x + h d) - f(x) - h g.d|``
along random directions as h halves: it shrinks like h^2 for a right gradient
and like h for a wrong one, whatever the step; the fitted rate is the verdict.

**Non-finite values.**  Where f is nan or inf at a perturbed point (a step
outside its domain, an overflow) the derivative is nan or inf, without an
exception, so that a minimizer can report divergence as a status;
:func:`check_grad` refuses such a gradient with a message.

**Evaluations.**  The caller's ``x`` is never written to, not even
temporarily: every perturbed point is a fresh array.  Without
``vectorized`` f is called once per perturbed point; with ``vectorized=True``
all perturbed points (of every row of a batch) are stacked into one ``(m, n)``
matrix and f is called once.  ``full_output=True`` returns ``(value, info)``
with an error estimate and the number of evaluations (:class:`DiffInfo`).

References
----------
J. N. Lyness and C. B. Moler, "Numerical differentiation of analytic
functions", SIAM J. Numer. Anal. 4 (1967).  J. R. R. A. Martins, P. Sturdza and
J. J. Alonso, "The complex-step derivative approximation", ACM TOMS 29 (2003).
J. Nocedal and S. J. Wright, *Numerical Optimization*, 2nd ed., section 8.1.
"""

from __future__ import annotations

from .checks import CHECK_METHODS, DiffErrorResult, GradCheck, TaylorCheck, check_grad, diff_error, taylor_test
from .derivatives import TangentLine, derivative, gradient, jacobian, tangent_line
from .evaluate import DiffInfo
from .extrapolation import STATUSES
from .hessians import HESSIAN_MAX_MEMORY, HVP_METHODS, hessian, hessian_vector_product
from .stencils import COMPLEX_CHECKS, KINDS, Stencil, fornberg_weights, stencil
from .steps import DERIVATIVE_METHODS, HESSIAN_METHODS, METHODS, ORDERS, STEPS, default_step

__all__ = [
    "METHODS", "HESSIAN_METHODS", "ORDERS", "default_step", "derivative", "gradient", "jacobian",
    "hessian", "hessian_vector_product", "tangent_line", "TangentLine", "check_grad",
    "GradCheck", "diff_error", "DiffErrorResult", "DiffInfo",
    "DERIVATIVE_METHODS", "STEPS", "STATUSES", "KINDS", "HESSIAN_MAX_MEMORY", "stencil", "Stencil",
    "fornberg_weights", "HVP_METHODS", "CHECK_METHODS", "taylor_test", "TaylorCheck", "COMPLEX_CHECKS",
]
