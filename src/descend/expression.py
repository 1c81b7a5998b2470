"""The safe formula parser's old import path: the parser is :mod:`descend.problems.expression`."""

from .problems.expression import (CONSTANTS, FUNCTIONS, MAX_DEPTH, MAX_EXPONENT, MAX_LENGTH, MAX_NODES, SYNTAX,
                                  Expr, parse, to_problem)

__all__ = ["Expr", "parse", "FUNCTIONS", "CONSTANTS", "MAX_LENGTH", "MAX_DEPTH", "MAX_EXPONENT", "SYNTAX",
           "MAX_NODES", "to_problem"]
