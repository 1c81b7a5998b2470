"""Progress: the rich bar (on a terminal only), the plain progress line of a long run (epoch, loss,
accuracy; any stream, in the CLI's language) and Ctrl-C turned into a flag checked between updates."""

from __future__ import annotations

import signal
import sys
import threading
import time

from .callbacks import Callback

#: a run shows its progress line once it has taken this long (seconds): a quick run prints only its result
PROGRESS_AFTER = 2.0


def _progress_stream():
    return sys.stderr


class NoBar:
    def start_epoch(self, epoch, total):
        pass

    def update(self, done, loss, samples_per_s):
        pass

    def close(self):
        pass


class _RichBar:
    """A rich progress bar: epoch, batches, loss and samples/s."""

    def __init__(self, epochs: int, stream):
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.epochs = epochs
        self.progress = Progress(
            TextColumn("epoch {task.fields[epoch]}/{task.fields[epochs]}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("loss {task.fields[loss]:.4g}"), TextColumn("{task.fields[sps]:,.0f} samples/s"),
            TimeElapsedColumn(), console=Console(file=stream), transient=False)
        self.progress.start()
        self.task = None

    def start_epoch(self, epoch, total):
        if self.task is not None:
            self.progress.stop_task(self.task)
        self.task = self.progress.add_task("train", total=total, epoch=epoch, epochs=self.epochs,
                                           loss=float("nan"), sps=0.0)

    def update(self, done, loss, samples_per_s):
        self.progress.update(self.task, completed=done, loss=loss, sps=samples_per_s)

    def close(self):
        self.progress.stop()


def progress_bar(progress: bool, epochs: int):
    if not progress:
        return NoBar()
    stream = _progress_stream()
    isatty = getattr(stream, "isatty", None)
    if not (callable(isatty) and isatty()):
        return NoBar()  # silent when not writing to a terminal
    return _RichBar(epochs, stream)


class EpochLines(Callback):
    """A line per epoch on ``stream`` (default stderr) once the run has taken ``after`` seconds:
    ``epoch 3/10: loss 0.214, accuracy 93.1 %, test accuracy 92.4 %``, in ``lang``.

    Parameters
    ----------
    epochs : int >= 1
        The number of epochs the run will take (the ``/10`` of the line).
    lang : str, optional
        The language of the line (default :func:`descend.i18n.get_lang`).
    stream : file, optional
        Where the lines go (default ``sys.stderr``, read when a line is written).
    after : float >= 0, optional
        Seconds from the start of training before the first line (default :data:`PROGRESS_AFTER`):
        a short run stays quiet.
    """

    def __init__(self, epochs: int, lang: str | None = None, stream=None, after: float | None = None):
        from .. import i18n
        from ..errors import DescendError

        after = PROGRESS_AFTER if after is None else after
        if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
            raise DescendError(f"epochs must be an integer >= 1, got {epochs!r}")
        if isinstance(after, bool) or not isinstance(after, (int, float)) or not after >= 0:
            raise DescendError(f"after must be a number of seconds >= 0, got {after!r}")
        self.epochs, self.lang, self.stream, self.after = epochs, i18n.check_lang(lang), stream, float(after)
        self.t0 = time.perf_counter()

    def on_train_begin(self, log_keys, model):
        self.t0 = time.perf_counter()

    def line(self, epoch: int, logs: dict) -> str:
        """The progress line of one epoch."""
        from .. import fmt, i18n

        parts = [i18n.t("cli.progress.epoch", self.lang, epoch=epoch, epochs=self.epochs,
                        loss=f"{float(logs.get('loss', float('nan'))):.4g}")]
        for key in ("accuracy", "val_accuracy"):
            if key in logs:
                parts.append(i18n.t(f"cli.progress.{key}", self.lang, value=fmt.percent(logs[key], self.lang)))
        return ", ".join(parts)

    def on_epoch_end(self, epoch, logs, model):
        if time.perf_counter() - self.t0 >= self.after:
            stream = sys.stderr if self.stream is None else self.stream
            print(self.line(epoch, logs), file=stream, flush=True)

    def __repr__(self):
        return f"EpochLines(epochs={self.epochs}, lang={self.lang!r}, after={self.after})"


class Interrupt:
    """Turn the first Ctrl-C into a flag checked between updates; the second one raises."""

    def __init__(self):
        self.flag = False
        self._old = None

    def _handler(self, signum, frame):
        if self.flag:
            raise KeyboardInterrupt
        self.flag = True

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            try:
                self._old = signal.signal(signal.SIGINT, self._handler)
            except ValueError:  # pragma: no cover - embedded interpreters without signal support
                self._old = None
        return self

    def __exit__(self, *exc):
        if self._old is not None:
            signal.signal(signal.SIGINT, self._old)
        return False
