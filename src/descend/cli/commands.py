"""The ``descend`` command: parses, calls the library, prints.

Bad input prints one line on stderr and exits with code 2, never a traceback.
"""

from __future__ import annotations

import sqlite3

import click
import numpy as np

from ..errors import DescendError
from ..i18n import LANGS
from .common import floats, json_text, new_console, parse_hp, refuse_overwrite, table
from .sweeps import benchmark_cmd, lr_find_cmd, report_cmd, sweep_cmd
from .train import train_cmd

EXIT_USAGE = 2
_NO_ARGS_IS_HELP = getattr(click.exceptions, "NoArgsIsHelpError", ())


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="descend")
def cli():
    """descend: gradient-based optimization as taught in deep-learning fundamentals."""


@cli.command("problems")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def problems_cmd(as_json):
    """List the test problems."""
    from .. import problems

    rows = []
    for name in problems.names():
        p = problems.get(name)
        rows.append((name, p.dim, p.minimum, p.x0, p.description))
    if as_json:
        click.echo(json_text([dict(name=r[0], dim=r[1], minimum=r[2], x0=r[3], description=r[4]) for r in rows]))
        return
    new_console().print(table("Test problems (descend.problems)", ["name", "dim", "minimum", "x0", "description"], rows))


def _result_rows(res):
    # no "success" row: True beside "max_steps" (all steps ran, no tolerance asked) puzzles a reader;
    # the status and the message say what happened (--json keeps the field)
    from .. import fmt

    fields = [("status", res.status), ("x", res.x), ("fun", res.fun), ("grad_norm", res.grad_norm),
              ("nit", res.nit), ("nfev", res.nfev), ("ngev", res.ngev), ("message", res.message)]
    return [(fmt.header(k), fmt.cell(v, fmt.kind_of(k))) for k, v in fields]


def _problem(text: str, params):
    """A registered problem by name (with --param), or a typed formula in x and y.

    A word is a name (an unknown one lists the valid names); anything else, such as
    ``"x**2/20 + y**2"``, goes to :func:`descend.problems.from_expression`, the parser the
    explorer uses (a refusal names what is not allowed).
    """
    from .. import problems

    if text.isidentifier() and text not in ("x", "y"):
        return problems.get(text, **parse_hp(params))
    if params:
        raise DescendError("--param is for a registered problem; a typed formula has no parameters")
    return problems.from_expression(text)


#: The default lr's power iterations: at most 300 per eigenvalue, and at most
#: ``DEFAULT_LR_WORK / n`` (never below :data:`DEFAULT_LR_MIN_ITERS`) where n is large, so that
#: the default costs a bounded number of Hessian-vector products per coordinate: rosenbrock at
#: n = 2e6 took 88 products (21 s) to meet tol 1e-4, now 2 x 15.  Up to n = 1e5 the cap is 300,
#: which no registered problem reaches at its default size (at most 14 there): their lrs are
#: unchanged.  The Rayleigh quotient approaches L from below (rosenbrock n = 1e5: 0.98 L after 12
#: products), so a capped L is a lower bound and its lr a little larger than 1/L, still within
#: the stability limit 2/L while L is more than half of the true one; the message says so.
DEFAULT_LR_WORK = 3 * 10 ** 7
DEFAULT_LR_MIN_ITERS = 10


def default_lr(problem, start) -> tuple[float, str]:
    """1/L, L the largest |eigenvalue| of the Hessian at the start, and how it was chosen.

    A fixed default cannot suit every problem: 0.01 diverges on Rosenbrock (L is about 1500
    at (-1.2, 1), so gradient descent is stable only below 2/L = 0.0013) and crawls on the
    sphere (L = 2).  Half the stability limit 2/L of the local quadratic model is safe near
    the start and as fast as a fixed step can be there.
    """
    from ..sweeps.lr_find import curvature

    x = problem.x0 if np.ndim(start) != 1 else start
    iters = min(300, max(DEFAULT_LR_MIN_ITERS, DEFAULT_LR_WORK // max(problem.dim, 1)))
    c = curvature(problem, x, iters=iters, tol=1e-4)
    L = max(abs(c.L), abs(c.mu))
    if not (np.isfinite(L) and L > 0):
        return 0.01, "lr=0.01 (no curvature at the start)"
    lr = float(f"{1.0 / L:.3g}")
    if not c.converged and iters < 300:
        return lr, (f"lr=1/L={lr:g} (L>={L:.4g}, the largest curvature at the start after {iters} power "
                    f"iterations at n = {problem.dim}, a lower bound; --lr to choose)")
    return lr, f"lr=1/L={lr:g} (L={L:.4g}, the largest curvature at the start)"


@cli.command("minimize")
@click.argument("problem")
@click.option("--x0", help="Start, e.g. '-3,4' (default: the problem's start).")
@click.option("--lr", type=float, default=None,
              help="Learning rate (default: 1/L, L the largest Hessian eigenvalue at the start).")
@click.option("--steps", type=int, default=1000, show_default=True, help="Most updates.")
@click.option("--gtol", type=float, default=None, help="Stop when the gradient norm is <= gtol (default: run every step).")
@click.option("--line-search", type=str, default=None, help="backtracking, grid, exact, wolfe or quadratic (instead of --lr).")
@click.option("--optimizer", default="gd", show_default=True, help="Optimizer name (see `descend optimizers`).")
@click.option("--method", default=None,
              help="A whole algorithm instead of an optimizer: newton, damped_newton, cg, bfgs or lbfgs.")
@click.option("--hp", multiple=True, help="Optimizer (or method) hyperparameter key=value (repeatable).")
@click.option("--numerical", is_flag=True, help="Use central differences instead of the analytic gradient.")
@click.option("--param", "params", multiple=True, help="Problem parameter key=value, e.g. n=10 (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def minimize_cmd(problem, x0, lr, steps, gtol, line_search, optimizer, method, hp, numerical, params, as_json):
    """Run gradient descent (or --method newton, cg, bfgs, lbfgs, ...) on a test problem or a formula in x and y
    (e.g. "x**2/20 + y**2") and print the result."""
    from ..minimize import minimize

    p = _problem(problem, params)
    start = p.x0 if x0 is None else floats(x0, "--x0")
    if np.ndim(start) == 1 and start.shape[0] != p.dim:
        raise DescendError(f"--x0 must have {p.dim} numbers for {p.name}, got {start.shape[0]}")
    f = p.f if numerical else p
    if method is not None:
        from .. import optim

        if method.lower() not in optim.names():  # unknown names: the library's message lists both kinds
            how = f"{line_search or 'its default'} line search" if method.lower() != "newton" else "full steps"
            kwargs = dict(method=method, steps=steps, gtol=gtol, line_search=line_search, history=False, **parse_hp(hp))
            if optimizer != "gd":
                kwargs["optimizer"] = optimizer  # the library refuses the pair with its own message
            res = minimize(f, start, vectorized=True, **kwargs) if numerical else minimize(p, start, **kwargs)
            _print_result(res, p, how, as_json)
            return
        optimizer = method  # a first-order optimizer's name given as --method
    if line_search is not None:
        how = f"{line_search} line search"
        lr = 0.01 if lr is None else lr  # unused by plain gradient descent with a line search
    elif lr is None:
        lr, how = default_lr(p, start)
    else:
        how = f"lr={lr:g}"
    # history=False: the table shows no iterates, and keeping them costs 8 bytes per coordinate and step
    kwargs = dict(lr=lr, steps=steps, gtol=gtol, line_search=line_search, optimizer=optimizer, history=False,
                  **parse_hp(hp))
    res = minimize(f, start, vectorized=True, **kwargs) if numerical else minimize(p, start, **kwargs)
    _print_result(res, p, how, as_json)


def _print_result(res, p, how, as_json):
    if as_json:
        keys = ["x", "fun", "grad_norm", "nit", "nfev", "ngev", "status", "success", "message"]
        click.echo(json_text({k: getattr(res, k) for k in keys} | {"problem": p.name}))
        return
    if res.batched:
        rows = [(i, r.status, r.x, r.fun, r.grad_norm, r.nit) for i, r in enumerate(res.runs())]
        new_console().print(table(f"minimize {p.name}", ["run", "status", "x", "fun", "grad_norm", "nit"], rows))
        return
    new_console().print(table(f"minimize {p.name} with {res.optimizer}, {how}", ["what", "value"],
                            _result_rows(res)))


@cli.command("critical-point")
@click.argument("problem")
@click.option("--x0", help="Where to look, e.g. '0,0' (default: the problem's start).")
@click.option("--no-refine", is_flag=True, help="Classify x0 itself instead of the nearest critical point.")
@click.option("--gtol", type=float, default=1e-6, show_default=True, help="Gradient norm that counts as 0.")
@click.option("--param", "params", multiple=True, help="Problem parameter key=value, e.g. n=10 (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def critical_point_cmd(problem, x0, no_refine, gtol, params, as_json):
    """The second-derivative test: Newton steps to the nearest critical point, then its kind from the Hessian."""
    from .. import fmt, problems
    from ..critical import critical_point

    p = problems.get(problem, **parse_hp(params))
    start = p.x0 if x0 is None else floats(x0, "--x0")
    if np.ndim(start) != 1 or start.shape[0] != p.dim:
        raise DescendError(f"--x0 must have {p.dim} numbers for {p.name}, got {np.size(start)}")
    c = critical_point(p, start, gtol=gtol, refine=not no_refine)
    fields = [("kind", c.kind), ("x", c.x), ("fun", c.fun), ("grad_norm", c.grad_norm),
              ("eigenvalues", c.eigenvalues), ("condition_number", c.condition_number)]
    if as_json:
        click.echo(json_text(dict(fields) | {"problem": p.name}))
        return
    near = ", ".join(f"{v:g}" for v in np.asarray(start, dtype=float))
    new_console().print(table(f"critical point of {p.name} near ({near})",
                            ["what", "value"], [(k, fmt.cell(v, fmt.kind_of(k))) for k, v in fields]))


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
@click.option("--steps", type=int, default=200, show_default=True, help="Updates per optimizer.")
@click.option("--starts", type=int, default=None, help="Number of random starts (default: the problem's start).")
@click.option("--tol", type=float, default=1e-6, show_default=True, help="Gap to the minimum that counts as reached.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Seed of the random starts (an integer >= 0).")
@click.option("--param", "params", multiple=True, help="Problem parameter key=value (repeatable).")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False), default=None,
              help="Write the paths on the contour to this PNG.")
@click.option("--gif", "gif_path", type=click.Path(dir_okay=False), default=None,
              help="Write an animation of the race to this GIF.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def compare_cmd(problem, optimizers, lr_text, steps, starts, tol, seed, params, plot_path, gif_path, as_json):
    """Race optimizers on a test problem and print a table."""
    from .. import problems
    from ..race import compare

    p = problems.get(problem, **parse_hp(params))
    for path in (plot_path, gif_path):
        if path is not None:
            refuse_overwrite(path)
    cmp = compare(p, optimizers, lr=_parse_lr_option(lr_text), steps=steps, starts=starts, tol=tol, seed=seed)
    if plot_path or gif_path:
        from .. import plot

        results = list(cmp.results.values())
        if plot_path:
            import matplotlib.pyplot as plt

            fig = plot.trajectories(p, results).figure
            try:
                plot.save(fig, plot_path, dpi=100)
            finally:
                plt.close(fig)
        if gif_path:
            plot.animate(p, results, gif_path)
    if as_json:
        click.echo(json_text(cmp.rows))
        return
    new_console().print(table(f"compare on {p.name}: {steps} steps, tol {tol:g}", list(cmp.columns), cmp.table()))
    for path in (plot_path, gif_path):
        if path:
            click.echo(f"wrote {path}")


@cli.command("optimizers")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def optimizers_cmd(as_json):
    """List the optimizers, grouped (torch.optim, modern, book), with the reference each
    is checked against and their hyperparameters and defaults."""
    from .. import optim

    rows = optim.catalog()
    if as_json:
        click.echo(json_text([dict(group=r["group"], name=r["name"], cls=r["cls"].__name__, reference=r["reference"],
                                   hyperparameters=r["defaults"]) for r in rows]))
        return
    table_rows = [(r["group"], r["name"], r["cls"].__name__, r["reference"],
                   ", ".join(f"{k}={v!r}" for k, v in r["defaults"].items())) for r in rows]
    new_console().print(table("Optimizers (descend.optim; the book's: descend.optim.book)",
                            ["group", "name", "class", "checked against", "hyperparameters (defaults)"], table_rows))


@cli.command("demo")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Folder for the report page (default: ./descend-demo).")
@click.option("--no-page", is_flag=True, help="Only print the tables; draw no pictures.")
@click.option("--lang", type=click.Choice(list(LANGS)), default=None,
              help="Language of the tour: en or ja (default: ja when the locale is Japanese, else en).")
def demo_cmd(out, no_page, lang):
    """The seeds' tour as tables, and as one offline page with every picture (DIR/index.html)."""
    from rich.markup import escape

    from .. import i18n, jit, tour

    lang = i18n.check_lang(lang)
    if not no_page:
        try:
            from .. import report
        except ImportError as exc:  # pragma: no cover - matplotlib missing
            raise DescendError(f"the demo page needs matplotlib ({exc}); install descend[demo]") from None
        report.check_out(out)  # a folder the page may not be written to is refused before the tour runs
    console = new_console()
    with jit.prefer_numpy():  # small runs: compiling their loops on a fresh cache costs more than they take
        sections = tour.sections(lang=lang)
    for number, section in enumerate(sections, 1):
        console.print(f"\n[bold]{number}. {escape(section.title)}[/bold]")
        console.print(escape(section.text))
        for t in section.tables:
            console.print(table(escape(t.title), t.columns, t.rows, t.kinds, lang))
    if no_page:
        return
    with jit.prefer_numpy():
        path = report.build(out, sections=sections)
    click.echo("\n" + i18n.t("cli.demo.page", lang, path=path))


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (anything but loopback is reachable from other machines: a warning says so).")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True, help="Port (0: any free one).")
@click.option("--no-browser", is_flag=True, help="Print the address only; do not open a browser.")
def serve_cmd(host, port, no_browser):
    """The live explorer in the browser: landscapes, learning rates, derivatives, a training playground."""
    try:
        from ..serve import server
    except ImportError as exc:
        raise DescendError(f"descend serve needs the serve extra ({exc.name} is not installed): "
                           f"pip install 'descend[serve]'") from None
    server.main(host, port, open_browser=not no_browser)


for _command in (train_cmd, sweep_cmd, lr_find_cmd, benchmark_cmd, report_cmd):
    cli.add_command(_command)


def _one_line(exc: BaseException) -> str:
    """The message of a refusal or an OS / SQLite error, on one line."""
    if isinstance(exc, OSError):  # one that no writer turned into a DescendError: the path and the cause
        cause = exc.strerror or str(exc) or type(exc).__name__
        text = f"{exc.filename}: {cause}" if exc.filename is not None else cause
    elif isinstance(exc, sqlite3.Error):
        text = f"SQLite: {exc}"
    else:
        text = str(exc)
    return " ".join(text.split())


def main(argv=None):
    """Entry point: the one place where errors become one line on stderr and exit code 2.

    A :class:`DescendError` (bad input, a refused file), an ``OSError`` (a folder that
    cannot be written, a full disk) and an SQLite error print one line; every command
    relies on this wrapper rather than catching them itself.
    """
    try:
        rv = cli.main(args=argv, prog_name="descend", standalone_mode=False)
    except _NO_ARGS_IS_HELP as exc:  # click >= 8.2: a group called with no arguments shows its help
        click.echo(exc.ctx.get_help() if exc.ctx else str(exc))
        return 0
    except click.ClickException as exc:
        click.echo(f"descend: error: {exc.format_message()}", err=True)
        return EXIT_USAGE
    except (DescendError, OSError, sqlite3.Error) as exc:
        click.echo(f"descend: error: {_one_line(exc)}", err=True)
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

