"""descend.curvature: the Hessian of a network's loss, without ever forming it.

Hessian-vector products by the R-operator of :mod:`descend.nn` (:func:`hvp`,
:class:`HessianOperator`), and from them the top eigenpairs by Lanczos (:func:`eigenvalues`,
:func:`sharpness`), the trace by Hutchinson's estimator (:func:`trace`), the spectral density
by stochastic Lanczos quadrature (:func:`density`), Adam's preconditioned sharpness
(:func:`preconditioned_sharpness`), the edge of stability of full-batch gradient descent
(:func:`edge_of_stability`) and loss landscapes (:mod:`descend.curvature.landscape`).

Layout: ``hvp`` (products, the operator, the fixed batch), ``eigen`` (Lanczos, top eigenpairs),
``trace``, ``density``, ``preconditioned`` (Adam; stability thresholds), ``edge`` (the edge of
stability), ``landscape`` (1-D and 2-D slices of the loss); each imports only ``hvp`` and ``eigen``.
"""

from .density import Density, density
from .edge import EdgeOfStability, EdgeRun, edge_of_stability, gradient_descent
from .eigen import EigenResult, eigenvalues, lanczos, sharpness, top_eigen
from .landscape import Line, Surface, interpolate, pca_directions, random_directions, surface
from .hvp import METHODS, HessianOperator, HVPResult, fixed_batch, hvp
from .preconditioned import preconditioned_sharpness, stability_threshold
from .trace import TraceResult, trace

__all__ = ["hvp", "HessianOperator", "HVPResult", "METHODS", "fixed_batch", "eigenvalues", "sharpness",
           "lanczos", "top_eigen", "EigenResult", "trace", "TraceResult", "density", "Density",
           "preconditioned_sharpness", "stability_threshold", "edge_of_stability", "gradient_descent", "EdgeRun",
           "EdgeOfStability", "interpolate", "random_directions", "pca_directions", "surface", "Line", "Surface"]
