"""``descend train``: a small network on a data set, one or several batch sizes side by side."""

from __future__ import annotations

import click
import numpy as np

from ..errors import DescendError, unknown_name
from .common import batch_sizes, json_text, new_console, table


def _train_data(name, seed):
    from .. import datasets

    if name not in datasets.names():
        raise DescendError(unknown_name("data set", name, datasets.names()))
    d = datasets.digits(seed=seed) if name == "digits" else datasets.get(name, seed=seed).split(seed=seed)
    regression = name == "linear"
    y_train = d.y_train.reshape(-1, 1) if regression else d.y_train
    y_test = d.y_test.reshape(-1, 1) if regression else d.y_test
    outputs = 1 if regression else int(max(d.y_train.max(), d.y_test.max())) + 1
    return d.X_train, y_train, d.X_test, y_test, outputs, ("mse" if regression else "cross_entropy")


def _hidden(text):
    if text.strip() == "":
        return []
    try:
        sizes = [int(v) for v in text.split(",")]
    except ValueError:
        raise DescendError(f"--hidden must be layer widths separated by commas, e.g. 100,100; got {text!r}") from None
    if any(v < 1 for v in sizes):
        raise DescendError(f"--hidden widths must be >= 1, got {text!r}")
    return sizes


def _sharpness_meter(X, y, loss, every, optimizer, seed):
    """A :class:`descend.training.callbacks.Sharpness` on (up to 2,000 of) the training samples, or None."""
    if every is None:
        return None
    from ..training.callbacks import Sharpness

    return Sharpness(X, y, loss, every=every, optimizer=optimizer, batch=None if len(X) <= 2000 else 2000, seed=seed)


def _print_sharpness(console, meter, batch_label):
    """The measured epochs: the sharpness against 2/lr (Adam: the preconditioned one against its threshold)."""
    from .. import i18n

    lang = i18n.get_lang()
    rec = meter.records
    keys = ["epoch", "loss", "sharpness"] + (["preconditioned_sharpness"] if meter.adam else []) + ["threshold"]
    heads = [i18n.t(f"cli.train.sharpness.{k}", lang) for k in keys]
    rows = [tuple(rec[k][i] for k in keys) for i in range(len(rec["epoch"]))]
    console.print(table(i18n.t("cli.train.sharpness.title", lang, batch=batch_label), heads, rows))
    if rows:
        last = rows[-1]
        ratio = (last[3] if meter.adam else last[2]) / last[-1]
        console.print(i18n.t("cli.train.sharpness.adam_ratio" if meter.adam else "cli.train.sharpness.ratio", lang,
                             epoch=last[0], ratio=f"{ratio:.3g}"))


@click.command("train")
@click.argument("dataset")
@click.option("--hidden", default="100", show_default=True, help="Hidden layer widths, e.g. 100,100.")
@click.option("--activation", default="relu", show_default=True, help="relu, leaky_relu, sigmoid or tanh.")
@click.option("--optimizer", default="adam", show_default=True, help="Optimizer name (see `descend optimizers`).")
@click.option("--lr", type=float, default=None, help="Learning rate (default: the optimizer's).")
@click.option("--batch-size", "batch_size", default="32", show_default=True,
              help="Batch size, 'full' for batch gradient descent; several (1,10,full) train side by side.")
@click.option("--epochs", type=int, default=10, show_default=True, help="Passes over the training data.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the weights and the batch order.")
@click.option("--checkpoint", type=click.Path(dir_okay=False), default=None, help="Save a checkpoint every epoch.")
@click.option("--resume", is_flag=True, help="Continue from --checkpoint.")
@click.option("--sharpness", "sharpness_every", type=int, default=None,
              help="Measure the sharpness (the Hessian's largest eigenvalue) every K epochs, against 2/lr.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def train_cmd(dataset, hidden, activation, optimizer, lr, batch_size, epochs, seed, checkpoint, resume, sharpness_every,
              as_json):
    """Train a small network on a data set and print the epochs and the test metrics."""
    from .. import nn, optim
    from ..errors import check_nonnegative_int
    from .. import i18n
    from ..training import evaluate, train
    from ..training.progress import EpochLines

    sizes = batch_sizes(batch_size)
    widths = _hidden(hidden)
    epochs = check_nonnegative_int("--epochs", epochs)
    if resume and checkpoint is None:
        raise DescendError("--resume needs --checkpoint PATH")
    if checkpoint is not None and len(sizes) > 1:
        raise DescendError("--checkpoint works with one --batch-size at a time")
    if sharpness_every is not None and sharpness_every < 1:
        raise DescendError(f"--sharpness must be an integer >= 1 (measure every K epochs), got {sharpness_every}")
    X, y, Xt, yt, outputs, loss = _train_data(dataset, seed)
    metrics = () if loss == "mse" else ("accuracy",)
    runs = []
    for bs in sizes:
        model = nn.mlp([X.shape[1], *widths, outputs], activation=activation, rng=seed)
        opt = optim.get(optimizer) if lr is None else optim.get(optimizer, lr=lr)
        meter = _sharpness_meter(X, y, loss, sharpness_every, opt, seed)
        hist = train(model, X, y, loss=loss, optimizer=opt, batch_size=bs, epochs=epochs, seed=seed,
                     validation=(Xt, yt), metrics=metrics, checkpoint=checkpoint, resume=resume,
                     # a line per epoch on stderr once the run takes over 2 s (stdout stays the table or JSON)
                     callbacks=[EpochLines(epochs, i18n.get_lang())] + ([] if meter is None else [meter])
                     if epochs >= 1 else None, progress=False)
        test = evaluate(model, Xt, yt, loss=loss, metrics=metrics)
        runs.append((bs, hist, test, meter))
    meters = [m for *_, m in runs]
    runs = [r[:3] for r in runs]
    if as_json:
        click.echo(json_text([dict(batch_size=bs, status=h.status, message=h.message, updates=h.step,
                                   epochs=h.epochs, test=t, **({} if m is None else {"sharpness": m.records}))
                              for (bs, h, t), m in zip(runs, meters)]))
    else:
        console = new_console()
        label = lambda bs: "full" if bs is None else str(bs)  # noqa: E731
        if len(runs) == 1:
            bs, h, t = runs[0]
            keys = [k for k in h.epochs if k not in ("time", "samples_per_s")]
            rows = [tuple(h.epochs[k][i] for k in keys) for i in range(len(h.epochs.get("epoch", [])))]
            console.print(table(f"train {dataset}: batch size {label(bs)}, {optimizer}", keys, rows))
        else:
            rows = []
            for bs, h, t in runs:
                last = np.asarray(h.loss[-max(1, len(h.loss) // max(1, h.epoch)):])
                rows.append((label(bs), h.step, h.loss[0] if h.loss else float("nan"),
                             h.epochs["loss"][-1] if h.epochs.get("loss") else float("nan"),
                             float(np.std(last)) if last.size else float("nan"), h.status))
            console.print(table(f"train {dataset}: batch sizes side by side, {epochs} epochs, {optimizer}",
                                 ["batch size", "updates", "first loss", "last epoch loss",
                                  "loss spread in last epoch", "status"], rows))
        for bs, h, t in runs:
            from .. import fmt

            console.print(f"batch size {label(bs)}: {h.message}; test "
                          + ", ".join(f"{fmt.header(k)} {fmt.cell(v, fmt.kind_of(k) or 'value')}" for k, v in t.items()))
        for (bs, _, _), m in zip(runs, meters):
            if m is not None:
                _print_sharpness(console, m, label(bs))
    if any(h.status == "interrupted" for _, h, _ in runs):
        raise SystemExit(130)
    if any(h.status == "diverged" for _, h, _ in runs):
        return 1
    return 0
