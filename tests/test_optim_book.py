"""descend.optim.book: Deep Learning from Scratch's optimizers give the book's numbers.

The reference here is the book's ``common/optimizer.py`` update, restated as the book
runs it: a dict of arrays updated in place, one statement at a time, in float64.
"""

from __future__ import annotations

import numpy as np
import pytest

from descend import optim
from descend.errors import DescendError
from descend.optim import book


def book_reference(name, lr, steps, grad, params, **hp):
    """The book's update loop: in-place NumPy on a dict, state created at the first call."""
    mu = hp.get("momentum", 0.9)
    b1, b2, decay = hp.get("beta1", 0.9), hp.get("beta2", 0.999), hp.get("decay_rate", 0.99)
    state = {k: np.zeros_like(v) for k, v in params.items()}
    state2 = {k: np.zeros_like(v) for k, v in params.items()}
    history = []
    for it in range(1, steps + 1):
        grads = grad(params)
        lr_t = lr * np.sqrt(1.0 - b2 ** it) / (1.0 - b1 ** it)
        for k in params:
            g, v, h = grads[k], state[k], state2[k]
            if name == "sgd":
                params[k] -= lr * g
            elif name == "momentum":
                state[k] = mu * v - lr * g
                params[k] += state[k]
            elif name == "nesterov":
                v *= mu
                v -= lr * g
                params[k] += mu * mu * v
                params[k] -= (1 + mu) * lr * g
            elif name == "adagrad":
                v += g * g
                params[k] -= lr * g / (np.sqrt(v) + 1e-7)
            elif name == "rmsprop":
                v *= decay
                v += (1 - decay) * g * g
                params[k] -= lr * g / (np.sqrt(v) + 1e-7)
            elif name == "adam":
                v += (1 - b1) * (g - v)
                h += (1 - b2) * (g ** 2 - h)
                params[k] -= lr_t * v / (np.sqrt(h) + 1e-7)
        history.append({k: p.copy() for k, p in params.items()})
    return history


def net_grad(params):
    """A small two-layer least-squares problem (any smooth gradient will do)."""
    W, b = params["W"], params["b"]
    X = np.linspace(-1, 1, 12).reshape(4, 3)
    r = np.tanh(X @ W + b) - np.array([[0.5], [-0.2], [0.1], [0.3]])
    d = r * (1 - np.tanh(X @ W + b) ** 2)
    return {"W": X.T @ d, "b": d.sum(axis=0)}


@pytest.mark.parametrize("name,lr", [("sgd", 0.1), ("momentum", 0.05), ("nesterov", 0.05), ("adagrad", 0.1),
                                     ("rmsprop", 0.01), ("adam", 0.01)])
def test_book_numbers_bit_for_bit_in_float64(name, lr):
    rng = np.random.default_rng(0)
    start = {"W": rng.standard_normal((3, 1)), "b": rng.standard_normal(1)}
    ref = book_reference(name, lr, 50, net_grad, {k: v.copy() for k, v in start.items()})
    params = {k: v.copy() for k, v in start.items()}
    opt = book.get(name, lr=lr)
    for k in range(50):
        opt.step(params, net_grad(params))
        for key in params:
            assert np.array_equal(params[key], ref[k][key]), (name, k, key)
    assert not np.array_equal(params["W"], start["W"])


def test_the_defaults_are_the_books():
    assert book.names() == ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"]
    assert book.get("sgd").lr == 0.01 and book.get("momentum").momentum == 0.9
    assert book.get("nesterov").lr == 0.01 and book.get("nesterov").momentum == 0.9
    assert book.get("adagrad").eps == 1e-7 and book.get("rmsprop").decay_rate == 0.99
    adam = book.get("ADAM")
    assert (adam.lr, adam.beta1, adam.beta2, adam.eps) == (0.001, 0.9, 0.999, 1e-7)


def test_unknown_book_name_lists_the_six():
    with pytest.raises(DescendError, match=r"unknown book optimizer 'adamw'; valid: sgd, momentum, nesterov, "
                                           r"adagrad, rmsprop, adam"):
        book.get("adamw")


def test_book_state_dict_round_trips_under_its_own_name():
    opt = book.get("adam", lr=0.1)
    x = np.array([1.0, 2.0])
    opt.step(x, x.copy())
    d = opt.state_dict()
    assert str(d["optimizer"]) == "book.adam"
    twin = book.get("adam", lr=0.1)
    twin.load_state_dict(d)
    y = x.copy()
    opt.step(x, x.copy())
    twin.step(y, y.copy())
    assert np.array_equal(x, y)
    with pytest.raises(DescendError, match="state_dict is for optimizer 'book.adam', not 'adam'"):
        optim.Adam().load_state_dict(d)


# -- the docs' table: book vs torch on the ch. 6 figure -----------------------------------------

CH6 = [("sgd", 0.95, "sgd", {}), ("momentum", 0.1, "sgd", {"momentum": 0.9}),
       ("nesterov", 0.1, "sgd", {"momentum": 0.9, "nesterov": True}), ("adagrad", 1.5, "adagrad", {}),
       ("rmsprop", 0.1, "rmsprop", {}), ("adam", 0.3, "adam", {})]


def _ch6_final(opt):
    x = np.array([-7.0, 2.0])
    for _ in range(30):
        opt.step(x, np.array([x[0] / 10.0, 2.0 * x[1]]))  # the figure's df(x, y) = (x/10, 2y)
    return x


def _ch6_row(name, lr, torch_name, kw):
    b, t = _ch6_final(book.get(name, lr=lr)), _ch6_final(optim.get(torch_name, lr=lr, **kw))
    return f"{name:<10}  {lr:<4}  ({b[0]:.6f}, {b[1]:.6f})  ({t[0]:.6f}, {t[1]:.6f})  {np.abs(b - t).max():.1e}"


@pytest.mark.parametrize("row", CH6, ids=[r[0] for r in CH6])
def test_the_docs_table_is_what_the_code_computes(row):
    assert _ch6_row(*row) in book.__doc__


def test_the_books_nesterov_is_not_torchs_but_its_momentum_is():
    # the book applies mu^2 to the updated velocity; Bengio et al. and torch to the old one
    assert np.abs(_ch6_final(book.get("nesterov", lr=0.1))
                  - _ch6_final(optim.SGD(lr=0.1, momentum=0.9, nesterov=True))).max() > 0.1
    np.testing.assert_allclose(_ch6_final(book.get("momentum", lr=0.1)),
                               _ch6_final(optim.SGD(lr=0.1, momentum=0.9)), rtol=1e-13)


def test_minimize_and_compare_take_the_books_by_name():
    import descend
    c = descend.compare("elongated_bowl", ["book.nesterov", "nesterov"], lr=0.1, steps=30)
    book_row, torch_row = c.rows
    assert book_row["optimizer"] == "book.nesterov"
    assert abs(book_row["distance"] - torch_row["distance"]) > 0.1  # a different method, as the table says
    assert type(optim.get("book.adam")) is book.Adam and optim.get("BOOK.ADAM", lr=0.3).lr == 0.3
    with pytest.raises(DescendError, match="unknown book optimizer 'adamw'"):
        optim.get("book.adamw")
