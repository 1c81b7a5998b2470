"""The ``descend`` command: parses, calls the library, prints.

Modules: :mod:`.commands` (the click group ``cli``, :func:`main` with its one-line error
wrapper, problems / minimize / critical-point / compare / optimizers / demo / serve),
:mod:`.train` (train), :mod:`.sweeps` (sweep, lr-find, benchmark, report) and
:mod:`.common` (the tables, consoles and option parsers they share).
``descend.cli:main`` is the installed entry point; ``python -m descend.cli`` runs the same.
"""

from .commands import EXIT_USAGE, cli, default_lr, main

__all__ = ["cli", "main", "EXIT_USAGE", "default_lr"]
