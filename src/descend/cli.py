"""The ``descend`` command: parses, calls the library, prints.

Bad input prints one line on stderr and exits with code 2, never a traceback.
"""

from __future__ import annotations

import json
import sys

import click
import numpy as np

from .errors import DescendError

EXIT_USAGE = 2
_NO_ARGS_IS_HELP = getattr(click.exceptions, "NoArgsIsHelpError", ())


def _console(stderr=False):
    from rich.console import Console

    console = Console(stderr=stderr, highlight=False)
    if not console.is_terminal:  # piped or captured: no folding of wide tables
        console = Console(stderr=stderr, highlight=False, width=200)
    return console


def _table(title, columns, rows):
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for c in columns:
        table.add_column(c, justify="left" if c in ("name", "problem", "status", "message", "optimizer", "method",
                                                     "description", "section", "what") else "right")
    for r in rows:
        table.add_row(*[_cell(v) for v in r])
    return table


def _cell(v) -> str:
    from rich.markup import escape

    if isinstance(v, (float, np.floating)):
        return repr(float(v))  # the shortest string that reads back to the same float
    if isinstance(v, np.ndarray):
        return escape(np.array2string(v, precision=8, separator=", ", threshold=6))
    return escape(str(v))


def _floats(text: str, what: str) -> np.ndarray:
    """Parse "1,2" or "1 2" into floats; rows separated by ';'."""
    try:
        rows = [[float(t) for t in r.replace(",", " ").split()] for r in text.split(";") if r.strip()]
    except ValueError:
        raise DescendError(f"{what} must be numbers separated by commas (rows by ';'), got {text!r}") from None
    if not rows or any(len(r) != len(rows[0]) for r in rows) or not rows[0]:
        raise DescendError(f"{what} must be numbers separated by commas (rows by ';' of equal length), got {text!r}")
    arr = np.array(rows, dtype=float)
    return arr[0] if arr.shape[0] == 1 else arr


def _jsonable(v):
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, (np.floating, np.integer, np.bool_)):
        return v.item()
    return v


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="descend")
def cli():
    """descend: gradient-based optimization as taught in deep-learning fundamentals."""


@cli.command("problems")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def problems_cmd(as_json):
    """List the test problems."""
    from . import problems

    rows = []
    for name in problems.names():
        p = problems.get(name)
        rows.append((name, p.dim, p.minimum, p.x0, p.description))
    if as_json:
        click.echo(json.dumps([dict(name=r[0], dim=r[1], minimum=_jsonable(r[2]), x0=_jsonable(r[3]),
                                    description=r[4]) for r in rows]))
        return
    _console().print(_table("Test problems (descend.problems)", ["name", "dim", "minimum", "x0", "description"], rows))


def _parse_hp(items):
    """Turn ("beta1=0.9", "betas=0.9,0.99", "nesterov=true") into keyword arguments."""
    out = {}
    for item in items:
        if "=" not in item:
            raise DescendError(f"--hp must look like key=value, got {item!r}")
        key, value = item.split("=", 1)
        key = key.strip().replace("-", "_")
        low = value.strip().lower()
        if low in ("true", "false"):
            out[key] = low == "true"
        elif low == "none":
            out[key] = None
        elif "," in value:
            out[key] = tuple(float(v) for v in value.split(","))
        else:
            try:
                out[key] = int(value) if value.strip().lstrip("-").isdigit() else float(value)
            except ValueError:
                out[key] = value
    return out


def _result_rows(res):
    return [
        ("status", res.status), ("x", res.x), ("fun", res.fun), ("grad_norm", res.grad_norm), ("nit", res.nit),
        ("nfev", res.nfev), ("ngev", res.ngev), ("success", res.success), ("message", res.message),
    ]


@cli.command("minimize")
@click.argument("problem")
@click.option("--x0", help="Start, e.g. '-3,4' (default: the problem's start).")
@click.option("--lr", type=float, default=0.01, show_default=True, help="Learning rate.")
@click.option("--steps", type=int, default=100, show_default=True, help="Most updates.")
@click.option("--gtol", type=float, default=None, help="Stop when the gradient norm is <= gtol.")
@click.option("--line-search", type=str, default=None, help="backtracking, grid or exact.")
@click.option("--optimizer", default="gd", show_default=True, help="Optimizer name (see `descend optimizers`).")
@click.option("--hp", multiple=True, help="Optimizer hyperparameter key=value (repeatable).")
@click.option("--numerical", is_flag=True, help="Use central differences instead of the analytic gradient.")
@click.option("--param", "params", multiple=True, help="Problem parameter key=value, e.g. n=10 (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def minimize_cmd(problem, x0, lr, steps, gtol, line_search, optimizer, hp, numerical, params, as_json):
    """Run gradient descent on a test problem and print the result."""
    from . import problems
    from .minimize import minimize

    p = problems.get(problem, **_parse_hp(params))
    start = p.x0 if x0 is None else _floats(x0, "--x0")
    if np.ndim(start) == 1 and start.shape[0] != p.dim:
        raise DescendError(f"--x0 must have {p.dim} numbers for {p.name}, got {start.shape[0]}")
    f = p.f if numerical else p
    kwargs = dict(lr=lr, steps=steps, gtol=gtol, line_search=line_search, optimizer=optimizer, **_parse_hp(hp))
    res = minimize(f, start, vectorized=True, **kwargs) if numerical else minimize(p, start, **kwargs)
    if as_json:
        keys = ["x", "fun", "grad_norm", "nit", "nfev", "ngev", "status", "success", "message"]
        click.echo(json.dumps({k: _jsonable(getattr(res, k)) for k in keys} | {"problem": p.name}))
        return
    if res.batched:
        rows = [(i, r.status, r.x, r.fun, r.grad_norm, r.nit) for i, r in enumerate(res.runs())]
        _console().print(_table(f"minimize {p.name}", ["run", "status", "x", "fun", "grad_norm", "nit"], rows))
        return
    _console().print(_table(f"minimize {p.name} with {res.optimizer}, lr={lr:g}", ["what", "value"],
                            _result_rows(res)))


def _parse_lr_option(text):
    """--lr for compare: one number, or name=value pairs separated by commas."""
    if text is None:
        return None
    if "=" in text:
        out = {}
        for part in text.split(","):
            if "=" not in part:
                raise DescendError(f"--lr must be a number or name=value pairs, got {text!r}")
            k, v = part.split("=", 1)
            try:
                out[k.strip()] = float(v)
            except ValueError:
                raise DescendError(f"--lr value for {k.strip()!r} must be a number, got {v!r}") from None
        return out
    try:
        return float(text)
    except ValueError:
        raise DescendError(f"--lr must be a number or name=value pairs, got {text!r}") from None


@cli.command("compare")
@click.argument("problem")
@click.option("--optimizers", default="sgd,momentum,adagrad,adadelta,rmsprop,adam", show_default=True,
              help="Comma-separated optimizer names.")
@click.option("--lr", "lr_text", default=None,
              help="One lr for all, or name=value pairs (default: the book's race lrs).")
@click.option("--steps", type=int, default=200, show_default=True)
@click.option("--starts", type=int, default=None, help="Number of random starts (default: the problem's start).")
@click.option("--tol", type=float, default=1e-6, show_default=True, help="Gap to the minimum that counts as reached.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--param", "params", multiple=True, help="Problem parameter key=value (repeatable).")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False), default=None,
              help="Write the paths on the contour to this PNG.")
@click.option("--gif", "gif_path", type=click.Path(dir_okay=False), default=None,
              help="Write an animation of the race to this GIF.")
@click.option("--json", "as_json", is_flag=True)
def compare_cmd(problem, optimizers, lr_text, steps, starts, tol, seed, params, plot_path, gif_path, as_json):
    """Race optimizers on a test problem and print a table."""
    from . import problems
    from .race import compare

    p = problems.get(problem, **_parse_hp(params))
    for path in (plot_path, gif_path):
        if path is not None:
            _refuse_overwrite(path)
    cmp = compare(p, optimizers, lr=_parse_lr_option(lr_text), steps=steps, starts=starts, tol=tol, seed=seed)
    if plot_path or gif_path:
        from . import plot

        results = list(cmp.results.values())
        if plot_path:
            fig = plot.trajectories(p, results).figure
            fig.savefig(plot_path, dpi=100)
        if gif_path:
            plot.animate(p, results, gif_path)
    if as_json:
        click.echo(json.dumps([{k: _jsonable(v) for k, v in row.items()} for row in cmp.rows]))
        return
    _console().print(_table(f"compare on {p.name}: {steps} steps, tol {tol:g}", list(cmp.columns), cmp.table()))
    for path in (plot_path, gif_path):
        if path:
            click.echo(f"wrote {path}")


def _refuse_overwrite(path):
    import os

    if os.path.exists(path):
        raise DescendError(f"{path} already exists; remove it or choose another name (descend never overwrites files)")


@cli.command("optimizers")
@click.option("--json", "as_json", is_flag=True)
def optimizers_cmd(as_json):
    """List the optimizers with their hyperparameters and defaults."""
    from . import optim

    rows = []
    for name in optim.names():
        cls = type(optim.get(name))
        spec = {k: v[0] for k, v in cls._spec().items()}
        rows.append((name, cls.__name__, spec))
    if as_json:
        click.echo(json.dumps([dict(name=n, cls=c, hyperparameters={k: _jsonable(v) for k, v in hp.items()})
                               for n, c, hp in rows]))
        return
    table_rows = [(n, c, ", ".join(f"{k}={v!r}" for k, v in hp.items())) for n, c, hp in rows]
    _console().print(_table("Optimizers (descend.optim)", ["name", "class", "hyperparameters (defaults)"],
                            table_rows))


@cli.command("demo")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Folder for the report page (default: ./descend-demo).")
def demo_cmd(out):
    """The seeds' tour: stable softmax, derivative accuracy, gradient descent, the least-squares stop."""
    from . import tour

    console = _console()
    for number, section in enumerate(tour.sections(), 1):
        console.print(f"\n[bold]{number}. {section.title}[/bold]")
        console.print(section.text)
        for t in section.tables:
            console.print(_table(t.title, t.columns, t.rows))


def main(argv=None):
    """Entry point: one-line errors with exit code 2, no tracebacks for bad input."""
    try:
        rv = cli.main(args=argv, prog_name="descend", standalone_mode=False)
    except _NO_ARGS_IS_HELP as exc:  # click >= 8.2: a group called with no arguments shows its help
        click.echo(exc.ctx.get_help() if exc.ctx else str(exc))
        return 0
    except click.ClickException as exc:
        click.echo(f"descend: error: {exc.format_message()}", err=True)
        return EXIT_USAGE
    except DescendError as exc:
        click.echo(f"descend: error: {' '.join(str(exc).split())}", err=True)
        return EXIT_USAGE
    except click.exceptions.Abort:
        click.echo("descend: interrupted", err=True)
        return 130
    except KeyboardInterrupt:
        click.echo("descend: interrupted", err=True)
        return 130
    except click.exceptions.Exit as exc:
        return exc.exit_code
    return rv if isinstance(rv, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
