"""Training: epochs of mini-batches, online updates, callbacks and checkpoints that resume exactly.

:func:`train` runs gradient descent on a :class:`descend.nn.Sequential`::

    batch_size=None   full-batch gradient descent: one update per epoch, on every sample
    batch_size=1      stochastic gradient descent: one update per sample
    batch_size=k      mini-batch gradient descent: updates on k samples at a time

An epoch visits every sample exactly once, in the order of a permutation drawn
afresh each epoch from ``np.random.default_rng(seed)`` (no sampling with
replacement, unlike seed 003's ``np.random.choice``); the last, shorter batch is
kept unless ``drop_last=True``.  The gradient of a batch is the gradient of the
batch's mean loss, i.e. the average of the per-sample gradients (seed 003's
mini-batch code used one "representative" sample instead; see
:mod:`descend.datasets` for the list of what it got wrong).  The same seed gives
the same :class:`History` bit for bit (wall-clock times aside).

:func:`partial_fit` does one update from data as it arrives (online learning,
seed 003: "learning from data given each time it is obtained");
:func:`train_online` consumes a stream of ``(x, y)``.

Stopping
--------
Every way a run ends is a status on the History, with a message from one
table (:data:`MESSAGES`); none raises:

``completed``            all epochs ran
``stopped_early``        :class:`EarlyStopping` saw no improvement for ``patience`` epochs
``stopped_by_callback``  a callable in ``callbacks`` returned ``False`` (exactly False; None continues)
``diverged``             the loss (or a parameter) became non-finite; the update with the
                         non-finite loss is not applied, and no checkpoint is written
                         after it, so the last checkpoint on disk stays the last good one
``interrupted``          Ctrl-C (SIGINT): the step in progress finishes, a checkpoint is saved
                         (when ``checkpoint`` is given) and :func:`train` returns; a second
                         Ctrl-C raises KeyboardInterrupt at once

Checkpoints
-----------
``checkpoint="run.npz"`` writes, through :mod:`descend.files` (temporary file in
the same directory, flush + fsync, rename; never through a symbolic link; only
over a file descend wrote), at every epoch end and every
``checkpoint_every`` updates: the parameters, the optimizer state (its schedule
position included), the data-order generator's state and the current epoch's
permutation, the Dropout generators, epoch and step, the callbacks' state and the
History.  ``resume=True`` continues from it and ends with the parameters an
uninterrupted run would have, bit for bit.  An existing file is never replaced
unless ``resume=True`` or ``overwrite=True``.  Reading uses ``allow_pickle=False``
and checks every field; see :mod:`descend.nn.io`.

Layout
------
``loop`` (train, in named phases), ``online`` (partial_fit, train_online), ``update``
(the phases of one update that both share), ``checkpoint`` (save, load, restore),
``callbacks``, ``progress`` (the bar and Ctrl-C), ``metrics`` (accuracy, evaluate),
``arguments`` (the checks of what the functions are given), ``history`` (History, the
statuses and the messages); each imports only those after it.
"""

from .callbacks import Callback, EarlyStopping, Sharpness
from .checkpoint import load_checkpoint
from .history import MESSAGES, STATUSES, History
from .loop import train
from .metrics import accuracy, evaluate
from .online import partial_fit, train_online

__all__ = ["train", "partial_fit", "train_online", "evaluate", "History", "Callback", "EarlyStopping", "Sharpness",
           "MESSAGES", "STATUSES", "accuracy", "load_checkpoint"]
