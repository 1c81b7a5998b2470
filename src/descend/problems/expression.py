"""Typed formulas, safely: an allowed syntax tree evaluated with NumPy, and its derivative.

``parse("x**2/20 + y**2", ("x", "y"))`` reads the text with :func:`ast.parse` in
``"eval"`` mode and walks the tree against a whitelist: numbers, the variables,
``+ - * / **``, unary minus (and plus), parentheses and a fixed list of math functions
called by name.  Anything else (a name outside the list, attribute access, a subscript,
a lambda, a comprehension, a keyword, a string...) is refused with a
:class:`~descend.errors.DescendError` that shows the allowed syntax.  The user's
text is never given to ``eval``, ``exec``, ``compile`` or sympy: the walk builds a
tree of this module's own node types, and only those are evaluated, one NumPy
operation per node, on arrays of any shape (complex input too, so the complex-step
derivative applies).

:meth:`Expr.diff` differentiates the tree symbolically (the rules below, with the
zeros and ones simplified away), so a typed function gets an analytic gradient;
its derivative trees are evaluated the same way.

Bounds keep every formula cheap: at most :data:`MAX_LENGTH` characters, nesting
depth :data:`MAX_DEPTH`, and a constant exponent of at most :data:`MAX_EXPONENT` in
magnitude.  Evaluation is float64 (or complex128) NumPy arithmetic, so an overflow
is an ``inf`` or ``nan`` (reported by the caller, e.g. minimize's ``"diverged"``),
never an exception or a huge Python integer.

Long because: the whitelist walk, the node types, their derivative rules and the evaluator
are one safety boundary (nothing the user types is ever executed), reviewed together.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Mapping

import numpy as np

from ..errors import DescendError
from .problem import Problem, check_window

__all__ = ["Expr", "parse", "program", "FUNCTIONS", "CONSTANTS", "MAX_LENGTH", "MAX_DEPTH", "MAX_EXPONENT", "SYNTAX"]

#: The most characters a formula may have.
MAX_LENGTH = 400
#: The deepest nesting of operations a formula may have.
MAX_DEPTH = 100
#: The largest magnitude of a constant exponent (``x**100`` is allowed, ``x**101`` is not).
MAX_EXPONENT = 100

#: The functions a formula may call by name (one argument each), with the NumPy ufunc used.
FUNCTIONS: Mapping[str, np.ufunc] = {
    "sin": np.sin, "cos": np.cos, "tan": np.tan,
    "arcsin": np.arcsin, "arccos": np.arccos, "arctan": np.arctan,
    "sinh": np.sinh, "cosh": np.cosh, "tanh": np.tanh,
    "exp": np.exp, "log": np.log, "log2": np.log2, "log10": np.log10,
    "sqrt": np.sqrt, "abs": np.abs, "sign": np.sign,
}

#: The named constants a formula may use.
CONSTANTS: Mapping[str, float] = {"pi": math.pi, "e": math.e}


def _syntax(variables) -> str:
    return (f"allowed: numbers, the variables {', '.join(variables)}, the constants {', '.join(CONSTANTS)}, "
            f"+ - * / ** (a constant exponent at most {MAX_EXPONENT} in size), unary minus, parentheses, "
            f"and the functions {', '.join(FUNCTIONS)} of one argument; e.g. x**2/20 + y**2 or sin(x)*cos(y)")


#: The allowed syntax in one line (for f(x, y)); refusals end with it.
SYNTAX = _syntax(("x", "y"))


# --------------------------------------------------------------------------- the tree

class Expr:
    """A node of a formula's tree: evaluate with :meth:`__call__`, differentiate with :meth:`diff`.

    Nodes are immutable and built only by :func:`parse` and :meth:`diff`.
    """

    __slots__ = ()
    precedence = 100

    def evaluate(self, env: Mapping[str, np.ndarray]):
        """The value at ``env`` (variable name -> array): NumPy arithmetic, broadcast.

        A subtree shared by several parents (derivatives reuse their function's
        nodes) is evaluated once.
        """
        return self._ev(env, {})

    def diff(self, var: str) -> "Expr":
        """The derivative with respect to ``var``, as a new tree (sharing this one's nodes)."""
        return self._d(var, {})

    def _ev(self, env, memo):
        key = id(self)
        if key not in memo:
            memo[key] = self._value(env, memo)
        return memo[key]

    def _d(self, var, memo):
        key = id(self)
        if key not in memo:
            memo[key] = self._derivative(var, memo)
        return memo[key]

    def size(self) -> int:
        """The number of distinct nodes (what one evaluation costs)."""
        seen: set[int] = set()
        stack = [self]
        while stack:
            node = stack.pop()
            if id(node) not in seen:
                seen.add(id(node))
                stack.extend(node._children())
        return len(seen)

    def variables(self) -> set[str]:
        """The variable names used."""
        out: set[str] = set()
        self._collect(out)
        return out

    def _collect(self, out):
        for child in self._children():
            child._collect(out)

    def _children(self):
        return ()

    def __call__(self, **env):
        return self.evaluate(env)

    def __eq__(self, other):
        return type(self) is type(other) and self._key() == other._key()

    def __hash__(self):
        return hash((type(self).__name__, self._key()))

    def __repr__(self):
        return f"Expr({str(self)!r})"

    def _wrap(self, child: "Expr", strict: bool = False) -> str:
        s = str(child)
        if child.precedence < self.precedence or (strict and child.precedence == self.precedence):
            return f"({s})"
        return s


class Const(Expr):
    __slots__ = ("value",)

    def __init__(self, value: float):
        self.value = float(value)

    def _value(self, env, memo):
        return self.value

    def _derivative(self, var, memo):
        return ZERO

    def _key(self):
        return (self.value,)

    def __str__(self):
        if self.value == math.pi:
            return "pi"
        if self.value == math.e:
            return "e"
        return repr(self.value) if self.value != int(self.value) or abs(self.value) >= 1e16 else str(int(self.value))

    @property
    def precedence(self):
        return 100 if self.value >= 0 else 5


ZERO, ONE, TWO = Const(0.0), Const(1.0), Const(2.0)


class Var(Expr):
    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def _value(self, env, memo):
        return env[self.name]

    def _derivative(self, var, memo):
        return ONE if var == self.name else ZERO

    def _collect(self, out):
        out.add(self.name)

    def _key(self):
        return (self.name,)

    def __str__(self):
        return self.name


class Neg(Expr):
    __slots__ = ("arg",)
    precedence = 5

    def __init__(self, arg: Expr):
        self.arg = arg

    def _value(self, env, memo):
        return -self.arg._ev(env, memo)

    def _derivative(self, var, memo):
        return neg(self.arg._d(var, memo))

    def _children(self):
        return (self.arg,)

    def _key(self):
        return (self.arg,)

    def __str__(self):
        return f"-{self._wrap(self.arg, strict=True)}"


class Binary(Expr):
    __slots__ = ("op", "left", "right")
    _PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "**": 6}

    def __init__(self, op: str, left: Expr, right: Expr):
        self.op, self.left, self.right = op, left, right

    @property
    def precedence(self):
        return self._PRECEDENCE[self.op]

    def _value(self, env, memo):
        a, b = self.left._ev(env, memo), self.right._ev(env, memo)
        if self.op == "+":
            return a + b
        if self.op == "-":
            return a - b
        if self.op == "*":
            return a * b
        if self.op == "/":
            return np.true_divide(a, b)  # float division by 0 is inf or nan, never ZeroDivisionError
        return np.power(a, b)  # float pow: never a huge Python integer

    def _derivative(self, var, memo):
        u, v = self.left, self.right
        du, dv = u._d(var, memo), v._d(var, memo)
        if self.op == "+":
            return add(du, dv)
        if self.op == "-":
            return sub(du, dv)
        if self.op == "*":
            return add(mul(du, v), mul(u, dv))
        if self.op == "/":
            return sub(div(du, v), div(mul(u, dv), mul(v, v)))
        # u ** v
        if dv == ZERO:  # power rule: v u^(v-1) u'
            return mul(mul(v, power(u, sub(v, ONE))), du)
        # d(u^v) = u^v (v' log u + v u' / u)
        return mul(self, add(mul(dv, call("log", u)), div(mul(v, du), u)))

    def _children(self):
        return (self.left, self.right)

    def _key(self):
        return (self.op, self.left, self.right)

    def __str__(self):
        if self.op == "**":  # right-associative
            return f"{self._wrap(self.left, strict=True)}**{self._wrap(self.right)}"
        strict = self.op in "-/"
        return f"{self._wrap(self.left)} {self.op} {self._wrap(self.right, strict=strict)}"


class Call(Expr):
    __slots__ = ("name", "arg")

    def __init__(self, name: str, arg: Expr):
        self.name, self.arg = name, arg

    def _value(self, env, memo):
        return FUNCTIONS[self.name](self.arg._ev(env, memo))

    def _derivative(self, var, memo):
        du = self.arg._d(var, memo)
        if du == ZERO:
            return ZERO
        return mul(_outer_derivative(self.name, self.arg, self), du)

    def _children(self):
        return (self.arg,)

    def _key(self):
        return (self.name, self.arg)

    def __str__(self):
        return f"{self.name}({self.arg})"


def _outer_derivative(name: str, u: Expr, node: Expr) -> Expr:
    """f'(u) for the function ``name`` (``node`` is f(u) itself, reused where it appears)."""
    one_minus_u2 = sub(ONE, mul(u, u))
    table = {
        "sin": lambda: call("cos", u),
        "cos": lambda: neg(call("sin", u)),
        "tan": lambda: add(ONE, mul(node, node)),
        "arcsin": lambda: div(ONE, call("sqrt", one_minus_u2)),
        "arccos": lambda: neg(div(ONE, call("sqrt", one_minus_u2))),
        "arctan": lambda: div(ONE, add(ONE, mul(u, u))),
        "sinh": lambda: call("cosh", u),
        "cosh": lambda: call("sinh", u),
        "tanh": lambda: sub(ONE, mul(node, node)),
        "exp": lambda: node,
        "log": lambda: div(ONE, u),
        "log2": lambda: div(ONE, mul(u, Const(math.log(2.0)))),
        "log10": lambda: div(ONE, mul(u, Const(math.log(10.0)))),
        "sqrt": lambda: div(ONE, mul(TWO, node)),
        "abs": lambda: call("sign", u),  # the subgradient 0 at u = 0
        "sign": lambda: ZERO,
    }
    return table[name]()


# -- constructors that fold constants and drop zeros and ones, so derivatives stay small ------

def _is(e: Expr, value: float) -> bool:
    return isinstance(e, Const) and e.value == value


def neg(a: Expr) -> Expr:
    if isinstance(a, Const):
        return Const(-a.value)
    if isinstance(a, Neg):
        return a.arg
    return Neg(a)


def add(a: Expr, b: Expr) -> Expr:
    if isinstance(a, Const) and isinstance(b, Const):
        return Const(a.value + b.value)
    if _is(a, 0.0):
        return b
    if _is(b, 0.0):
        return a
    if isinstance(b, Neg):
        return sub(a, b.arg)
    return Binary("+", a, b)


def sub(a: Expr, b: Expr) -> Expr:
    if isinstance(a, Const) and isinstance(b, Const):
        return Const(a.value - b.value)
    if _is(b, 0.0):
        return a
    if _is(a, 0.0):
        return neg(b)
    return Binary("-", a, b)


def mul(a: Expr, b: Expr) -> Expr:
    if _is(a, 0.0) or _is(b, 0.0):
        return ZERO
    if _is(a, 1.0):
        return b
    if _is(b, 1.0):
        return a
    if isinstance(a, Const) and isinstance(b, Const):
        return Const(a.value * b.value)
    if _is(a, -1.0):
        return neg(b)
    if _is(b, -1.0):
        return neg(a)
    if isinstance(b, Const) and not isinstance(a, Const):  # constants first: 2 * x, not x * 2
        return mul(b, a)
    if isinstance(a, Neg):
        return neg(mul(a.arg, b))
    if isinstance(b, Neg):
        return neg(mul(a, b.arg))
    return Binary("*", a, b)


def div(a: Expr, b: Expr) -> Expr:
    if _is(a, 0.0):
        return ZERO
    if _is(b, 1.0):
        return a
    return Binary("/", a, b)


def power(a: Expr, b: Expr) -> Expr:
    if _is(b, 1.0):
        return a
    if _is(b, 0.0):
        return ONE
    return Binary("**", a, b)


def call(name: str, a: Expr) -> Expr:
    return Call(name, a)


# --------------------------------------------------------------------------- parsing

_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}

#: What a refused node is, in the refusal.
_DESCRIBE = {
    ast.Attribute: "attribute access (a.b) is", ast.Subscript: "subscripts (a[i]) are", ast.Lambda: "lambdas are",
    ast.ListComp: "comprehensions are", ast.SetComp: "comprehensions are", ast.DictComp: "comprehensions are",
    ast.GeneratorExp: "comprehensions are", ast.Compare: "comparisons are", ast.BoolOp: "and / or are",
    ast.IfExp: "if-else expressions are", ast.List: "lists are", ast.Tuple: "tuples are", ast.Dict: "dicts are",
    ast.Set: "sets are", ast.Starred: "starred arguments are", ast.NamedExpr: "assignments (:=) are",
    ast.JoinedStr: "strings are", ast.FormattedValue: "strings are", ast.Await: "await is",
    ast.Yield: "yield is", ast.YieldFrom: "yield is", ast.Slice: "slices are",
}
_OPERATOR_NAMES = {ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.BitXor: "^ (use ** for powers)",
                   ast.BitOr: "|", ast.BitAnd: "&", ast.LShift: "<<", ast.RShift: ">>", ast.Invert: "~",
                   ast.Not: "not"}


def _described(node: ast.AST) -> str:
    return _DESCRIBE.get(type(node), f"{type(node).__name__} expressions are")


class _Refused(Exception):
    pass


class _Builder:
    """Walks Python's syntax tree, allowing only the whitelist, and builds :class:`Expr` nodes."""

    def __init__(self, variables: tuple[str, ...]):
        self.variables = variables

    def build(self, node: ast.AST, depth: int = 0) -> Expr:
        if depth > MAX_DEPTH:
            raise _Refused(f"nesting deeper than {MAX_DEPTH} levels is not allowed")
        if isinstance(node, ast.Constant):
            return self._number(node.value)
        if isinstance(node, ast.Name):
            return self._name(node.id)
        if isinstance(node, ast.UnaryOp):
            arg = self.build(node.operand, depth + 1)
            if isinstance(node.op, ast.USub):
                return neg(arg) if isinstance(arg, Const) else Neg(arg)
            if isinstance(node.op, ast.UAdd):
                return arg
            raise _Refused(f"the operator {_OPERATOR_NAMES.get(type(node.op), type(node.op).__name__)} "
                           f"is not allowed")
        if isinstance(node, ast.BinOp):
            op = _BINARY.get(type(node.op))
            if op is None:
                raise _Refused(f"the operator {_OPERATOR_NAMES.get(type(node.op), type(node.op).__name__)} "
                               f"is not allowed")
            left = self.build(node.left, depth + 1)
            right = self.build(node.right, depth + 1)
            if op == "**":
                self._check_exponent(right)
            return Binary(op, left, right)
        if isinstance(node, ast.Call):
            return self._call(node, depth)
        raise _Refused(f"{_described(node)} not allowed")

    def _number(self, value) -> Const:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            kind = {str: "strings are", bytes: "bytes are", complex: "complex numbers are"}.get(
                type(value), f"the constant {value!r} is")
            raise _Refused(f"{kind} not allowed")
        if isinstance(value, int) and abs(value) > 10 ** 300:
            raise _Refused("a number this large is not allowed (numbers must be finite float64)")
        v = float(value)
        if not math.isfinite(v):
            raise _Refused(f"the number {value!r} is not finite (numbers must be finite float64)")
        return Const(v)

    def _name(self, name: str) -> Expr:
        if name in self.variables:
            return Var(name)
        if name in CONSTANTS:
            return Const(CONSTANTS[name])
        if name in FUNCTIONS:
            raise _Refused(f"the function {name} must be called with one argument, e.g. {name}(x)")
        raise _Refused(f"the name {name!r} is not allowed")

    def _call(self, node: ast.Call, depth: int) -> Expr:
        if not isinstance(node.func, ast.Name):
            what = _described(node.func) if type(node.func) in _DESCRIBE else "calling an expression is"
            raise _Refused(f"{what} not allowed (only the listed functions can be called, by name)")
        name = node.func.id
        if name not in FUNCTIONS:
            raise _Refused(f"the function {name!r} is not allowed")
        if node.keywords:
            raise _Refused(f"keyword arguments are not allowed ({name} takes one argument)")
        if len(node.args) != 1 or isinstance(node.args[0], ast.Starred):
            raise _Refused(f"{name} takes exactly one argument, got {len(node.args)}")
        return Call(name, self.build(node.args[0], depth + 1))

    @staticmethod
    def _check_exponent(right: Expr) -> None:
        """A constant exponent is checked on its value, after folding: ``x**(100+1)`` and ``9**9**9``
        are refused like ``x**101`` (an exponent with a variable in it is left to the arithmetic)."""
        if right.variables():
            return
        with np.errstate(all="ignore"):
            value = float(right.evaluate({}))
        if not abs(value) <= MAX_EXPONENT:
            shown = right if isinstance(right, Const) else f"{right} = {value:g}"
            raise _Refused(f"the exponent {shown} is too large (a constant exponent must be at most "
                           f"{MAX_EXPONENT} in size)")


def parse(text: str, variables=("x", "y")) -> Expr:
    """Parse a typed formula into an :class:`Expr` tree, refusing everything outside the whitelist.

    Parameters
    ----------
    text : str
        The formula, Python syntax (``**`` for powers), at most :data:`MAX_LENGTH` characters.
    variables : sequence of str
        The variable names allowed, ``("x", "y")`` or ``("x",)``.

    Returns
    -------
    Expr

    Raises
    ------
    DescendError
        Naming what is not allowed and showing the allowed syntax.  Nothing of the
        text is ever executed.

    Examples
    --------
    >>> e = parse("x**2/20 + y**2")
    >>> float(e(x=2.0, y=1.0))
    1.2
    >>> str(e.diff("x"))
    '2 * x / 20'
    """
    variables = tuple(variables)
    syntax = _syntax(variables)
    if not isinstance(text, str):
        raise DescendError(f"expression must be a string, got {type(text).__name__}; {syntax}")
    if len(text) > MAX_LENGTH:
        raise DescendError(f"expression is {len(text)} characters long; at most {MAX_LENGTH} are allowed; {syntax}")
    if not text.strip():
        raise DescendError(f"expression is empty; {syntax}")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError) as exc:
        detail = getattr(exc, "msg", None) or str(exc) or type(exc).__name__
        raise DescendError(f"expression {text!r} is not a formula ({detail}); {syntax}") from None
    try:
        return _Builder(variables).build(tree.body)
    except _Refused as exc:
        raise DescendError(f"expression {text!r}: {exc}; {syntax}") from None
    except RecursionError:
        raise DescendError(f"expression {text!r}: nesting deeper than {MAX_DEPTH} levels is not allowed; "
                           f"{syntax}") from None


# --------------------------------------------------------------------------- as a Problem

#: The largest derivative tree (distinct nodes) built for a gradient or Hessian.
MAX_NODES = 20000


_UFUNCS = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.true_divide, "**": np.power}


def _tape(roots, variables) -> tuple[list, list]:
    """The trees as one straight-line program: ``(kind, what, a, b)`` per distinct node, in an
    order where every operand comes first; shared nodes (a derivative reuses its function's)
    appear once.  Returns the program and the positions of the roots."""
    index: dict[int, int] = {}
    ops: list = []

    def visit(node):
        key = id(node)
        if key in index:
            return index[key]
        if isinstance(node, Const):
            op = (0, node.value, 0, 0)
        elif isinstance(node, Var):
            op = (1, variables.index(node.name), 0, 0)
        elif isinstance(node, Neg):
            op = (2, np.negative, visit(node.arg), 0)
        elif isinstance(node, Call):
            op = (2, FUNCTIONS[node.name], visit(node.arg), 0)
        else:
            op = (3, _UFUNCS[node.op], visit(node.left), visit(node.right))
        index[key] = len(ops)
        ops.append(op)
        return index[key]

    return ops, [visit(r) for r in roots]


#: Binary operations on two NumPy float64 scalars: the scalars' own IEEE + - * / (exactly the
#: ufuncs' results), np.power as the ufunc itself (its loop may be vectorized differently).
_SCALAR_BINARY = {np.add: operator.add, np.subtract: operator.sub, np.multiply: operator.mul,
                  np.true_divide: operator.truediv, np.power: np.power}


def _scalar_program(ops, n_vars: int) -> tuple[list, list]:
    """The tape for one point: values indexed after the ``n_vars`` variables (a variable's node
    reads its own slot), constants as float64 scalars (so 1.0 / 0.0 is inf, as on arrays).
    Returns the program and each tape position's slot."""
    slot = []  # tape position -> position in the one-point values
    prog = []
    for kind, what, a, b in ops:
        if kind == 1:
            slot.append(what)
            continue
        slot.append(n_vars + len(prog))
        if kind == 3:
            prog.append((3, _SCALAR_BINARY[what], slot[a], slot[b]))
        elif kind == 2:
            prog.append((2, what, slot[a], 0))
        else:
            prog.append((0, np.float64(what), 0, 0))
    return prog, slot


class _Compiled:
    """Trees as a problem's function of points ``(..., n)``: the variables are the last axis.

    ``trees`` is one Expr (``f``, shape ``(...)``), a list (the gradient, on a last axis)
    or a list of lists (the Hessian, two last axes).  They run as one straight-line
    program of NumPy ufunc calls (:func:`_tape`), the whole batch of points at once.
    Plain objects (no closures), so the problem pickles.
    """

    __slots__ = ("trees", "variables", "ops", "outs", "shape", "_one")

    def __init__(self, trees, variables):
        self.trees, self.variables = trees, tuple(variables)
        if isinstance(trees, Expr):
            flat, self.shape = [trees], ()
        elif isinstance(trees[0], Expr):
            flat, self.shape = list(trees), (len(trees),)
        else:
            flat, self.shape = [t for row in trees for t in row], (len(trees), len(trees[0]))
        self.ops, self.outs = _tape(flat, self.variables)
        self._one = _scalar_program(self.ops, len(self.variables))

    def __call__(self, X):
        X = np.asarray(X)
        if X.dtype == np.float64 and X.size == len(self.variables) and X.ndim >= 1:
            return self._at_one_point(X)
        return self._on_arrays(X)

    def _at_one_point(self, X):
        """One float64 point (a step of descend.minimize): the same program on NumPy float64
        scalars, whose + - * / are the arrays' IEEE operations and whose ** and functions are
        the same ufuncs, so the numbers are bit for bit :meth:`_on_arrays`' at a fraction of the
        per-operation cost of a one-element array."""
        prog, slot = self._one
        n = len(self.variables)
        vals = list(X.reshape(-1)) + [None] * len(prog)  # np.float64 scalars
        with np.errstate(all="ignore"):  # an overflow is an inf or a nan, for the caller to report
            for i, (kind, what, a, b) in enumerate(prog, n):
                if kind == 3:
                    vals[i] = what(vals[a], vals[b])
                elif kind == 2:
                    vals[i] = what(vals[a])
                else:
                    vals[i] = what
        out = np.empty(X.shape[:-1] + self.shape)
        out.reshape(-1)[:] = [vals[slot[k]] for k in self.outs]
        return out

    def _on_arrays(self, X):
        cols = [X[..., i] for i in range(len(self.variables))]
        vals = [None] * len(self.ops)
        with np.errstate(all="ignore"):  # an overflow is an inf or a nan, for the caller to report
            for i, (kind, what, a, b) in enumerate(self.ops):
                if kind == 3:
                    vals[i] = what(vals[a], vals[b])
                elif kind == 2:
                    vals[i] = what(vals[a])
                elif kind == 1:
                    vals[i] = cols[what]
                else:
                    vals[i] = what
        dtype = np.result_type(X.dtype, np.float64, *(vals[k] for k in self.outs))
        out = np.empty(X.shape[:-1] + self.shape, dtype=dtype)
        if not self.shape:
            out[...] = vals[self.outs[0]]
            return out
        flat = out.reshape(X.shape[:-1] + (-1,))
        for j, k in enumerate(self.outs):
            flat[..., j] = vals[k]
        return out

    def __repr__(self):
        return f"_Compiled({self.trees!r})"


def program(fn):
    """The straight-line program a typed formula's function runs, or None when ``fn`` is not one.

    ``fn`` is the ``f``, ``grad`` or ``hessian`` of :func:`to_problem`'s Problem.  Returns
    ``(ops, outs, variables)``: ``ops`` one ``(kind, what, a, b)`` per distinct node of the
    checked trees, every operand first (kind 0: the constant ``what``; 1: variable number
    ``what``; 2: the ufunc ``what`` of operation ``a``; 3: the ufunc ``what`` of ``a`` and
    ``b``), ``outs`` the positions of the roots.  Exactly what the NumPy evaluation runs,
    for :mod:`descend.jit.formula` to run compiled.
    """
    fn = getattr(fn, "fn", fn)  # the Problem's field wraps it in its shape check
    if not isinstance(fn, _Compiled):
        return None
    return list(fn.ops), list(fn.outs), fn.variables


def _checked_size(trees, what: str, text: str):
    flat = [t for row in trees for t in (row if isinstance(row, list) else [row])]
    total = sum(t.size() for t in flat)
    if total > MAX_NODES:
        raise DescendError(f"expression {text!r} is too complex for an analytic {what} "
                           f"({total} operations, at most {MAX_NODES})")
    return trees


def _default_window(n: int):
    return ((-3.0, 3.0),) * n


def _default_x0(window):
    (xlo, xhi), *rest = window
    x0 = [xlo + (xhi - xlo) / 6.0]
    if rest:
        (ylo, yhi), = rest
        x0.append(yhi - (yhi - ylo) / 6.0)
    else:
        x0 = [xlo + (xhi - xlo) * 2.0 / 3.0]
    return x0


def to_problem(text: str, variables=("x", "y"), *, x0=None, window=None, name: str = "expression"):
    """The :class:`~descend.problems.Problem` of a typed formula (see :func:`descend.problems.from_expression`)."""
    variables = tuple(variables)
    if variables not in (("x",), ("x", "y")):
        raise DescendError(f"variables must be ('x',) or ('x', 'y'), got {variables!r}")
    tree = parse(text, variables)
    grad = _checked_size([tree.diff(v) for v in variables], "gradient", text)
    hess = _checked_size([[g.diff(v) for v in variables] for g in grad], "Hessian", text)
    n = len(variables)
    if window is None:
        window = _default_window(n)
    window = check_window(window, n)  # checked before the default start is taken from it
    if x0 is None:
        x0 = _default_x0(window)
    args = ", ".join(variables)
    return Problem(name, _Compiled(tree, variables), _Compiled(grad, variables), x0=x0,
                   minimizers=np.empty((0, n)), minimum=math.nan, window=window,
                   description=f"f({args}) = {text.strip()}", hessian=_Compiled(hess, variables),
                   params={"expression": text.strip()})
