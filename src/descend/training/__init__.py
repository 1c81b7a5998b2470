"""descend.training: epochs of mini-batches, online updates, callbacks and checkpoints that resume exactly.

See :mod:`descend.training.loop` for the whole story (statuses, checkpoints, stopping).
"""

from .loop import (MESSAGES, STATUSES, Callback, EarlyStopping, History, accuracy, evaluate, load_checkpoint,
                   partial_fit, train, train_online)

__all__ = ["train", "partial_fit", "train_online", "evaluate", "History", "Callback", "EarlyStopping",
           "MESSAGES", "STATUSES", "accuracy", "load_checkpoint"]
