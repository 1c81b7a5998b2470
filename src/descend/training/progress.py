"""The progress bar (rich, on a terminal only) and Ctrl-C turned into a flag checked between updates."""

from __future__ import annotations

import signal
import sys
import threading


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
