"""What a training run did (:class:`History`) and how it ended: the statuses and the one table of messages."""

from __future__ import annotations

import os

import numpy as np

#: every status a History can end with
STATUSES = ("running", "completed", "stopped_early", "stopped_by_callback", "diverged", "interrupted")

#: the one table of messages
MESSAGES = {
    "completed": "completed {epochs} epoch(s), {steps} update(s)",
    "stream_ended": "the stream ended after {steps} update(s)",
    "max_steps": "reached max_steps={steps}",
    "stopped_early": "stopped early after epoch {epoch}: {monitor} did not improve for {patience} epoch(s); "
                     "best {monitor}={best:.6g} at epoch {best_epoch}{restored}",
    "stopped_by_callback": "stopped by callback {name} after epoch {epoch}",
    "diverged": "loss became {value} at epoch {epoch}, step {step}: training stopped before that update; "
                "the parameters are those of step {last}{ckpt}. Try a smaller learning rate",
    "diverged_params": "a parameter became non-finite by the end of epoch {epoch} (step {step}): training "
                       "stopped{ckpt}. Try a smaller learning rate",
    "interrupted": "interrupted at epoch {epoch}, step {step}{ckpt}",
}


def message(key: str, **kw) -> str:
    return MESSAGES[key].format(**kw)


def checkpoint_note(path, saved: bool) -> str:
    if path is None:
        return ""
    if saved:
        return f"; checkpoint saved to {os.fspath(path)!r} (continue with resume=True)"
    if os.path.exists(path):
        return f"; the last good checkpoint {os.fspath(path)!r} is untouched"
    return "; no checkpoint had been written yet"


class History:
    """What a training run did.

    Attributes
    ----------
    loss : list of float
        The batch loss at every update (before the update was applied).
    lr : list of float
        The learning rate used by every update.
    epochs : dict of str -> list of float
        Per epoch: ``"epoch"`` (1, 2, ...), ``"loss"`` (mean training loss over the
        epoch's batches, weighted by batch size), each training metric, ``"val_loss"``
        and ``"val_<metric>"`` when validating, ``"lr"`` (after the epoch),
        ``"time"`` (wall seconds) and ``"samples_per_s"``.
    status, message : str
        How the run ended (see :data:`STATUSES`, :data:`MESSAGES`).
    epoch, step : int
        Epochs completed and updates applied.
    best_epoch : int or None
        The best epoch seen by EarlyStopping, if any.
    wall_time : float
        Seconds spent training (summed over resumed sessions).

    ``history["val_loss"]`` returns ``epochs["val_loss"]`` as an array.
    """

    #: keys whose values are wall-clock measurements (the only ones a seed does not reproduce)
    TIMING_KEYS = ("time", "samples_per_s")

    def __init__(self):
        self.loss: list[float] = []
        self.lr: list[float] = []
        self.epochs: dict[str, list[float]] = {}
        self.status = "running"
        self.message = ""
        self.epoch = 0
        self.step = 0
        self.best_epoch: int | None = None
        self.wall_time = 0.0

    @property
    def success(self) -> bool:
        """True unless the run diverged or was interrupted."""
        return self.status in ("completed", "stopped_early", "stopped_by_callback")

    def __getitem__(self, key: str) -> np.ndarray:
        if key not in self.epochs:
            raise KeyError(f"no per-epoch record {key!r}; recorded: {', '.join(self.epochs)}")
        return np.asarray(self.epochs[key])

    def _append_epoch(self, logs: dict) -> None:
        for key, value in logs.items():
            self.epochs.setdefault(key, []).append(value)

    def _meta(self) -> dict:
        return {"epochs": self.epochs, "status": self.status, "message": self.message, "epoch": self.epoch,
                "step": self.step, "best_epoch": self.best_epoch, "wall_time": self.wall_time}

    @classmethod
    def _from_meta(cls, meta: dict, loss: np.ndarray, lr: np.ndarray) -> "History":
        h = cls()
        h.loss = [float(v) for v in loss]
        h.lr = [float(v) for v in lr]
        h.epochs = {str(k): [int(v) if k == "epoch" else float(v) for v in vals]
                    for k, vals in meta["epochs"].items()}
        h.status, h.message = str(meta["status"]), str(meta["message"])
        h.epoch, h.step = int(meta["epoch"]), int(meta["step"])
        h.best_epoch = None if meta["best_epoch"] is None else int(meta["best_epoch"])
        h.wall_time = float(meta["wall_time"])
        return h

    def __repr__(self):
        parts = [f"status={self.status!r}", f"epochs={self.epoch}", f"steps={self.step}"]
        for key in self.epochs:
            if key not in ("epoch", "lr") + self.TIMING_KEYS and self.epochs[key]:
                parts.append(f"{key}={self.epochs[key][-1]:.6g}")
        return f"History({', '.join(parts)})"
