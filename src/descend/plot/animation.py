"""Runs racing on the contour, written as a GIF by Pillow (no ffmpeg)."""

from __future__ import annotations

import numbers
import os
import pathlib

import numpy as np

from .. import files
from ..errors import DescendError
from . import _base
from .landscape import trajectories


def animate(problem, results, path, *, frames: int = 60, fps: int = 12, dpi: int = 80, labels=None,
            figsize=(6.0, 4.5), title: str | None = None, legend=True, lang: str | None = None) -> pathlib.Path:
    """Write a GIF of the runs moving along their paths on the problem's contour.

    Frame k shows every run up to the same step, so faster optimizers visibly win the
    race. Runs that stopped early stay at their last point.

    Parameters
    ----------
    problem : Problem or str
        A 2-D problem.
    results : Result or sequence of Result
        Runs with ``history=True`` (a batched Result animates every row).
    path : str or PathLike
        Where to write the GIF (its folder must exist); written through :mod:`descend.files`
        (atomic; a link or a file descend did not write is refused).
    frames : int >= 2
        Frames in the GIF (steps are sampled evenly; never more frames than steps + 1).
    fps : int >= 1
        Frames per second.
    dpi : int >= 10
    labels : sequence of str, optional
        One per Result.
    figsize : (width, height) in inches
    title : str, optional
    legend : bool or str
        As for :func:`trajectories`.
    lang : str, optional
        Write descend's own labels ("start", "end", "step k" ...) in this language
        (``"ja"``), through :func:`descend.i18n.plots.translate_figure`, with a font that
        has its glyphs; default English.

    Returns
    -------
    pathlib.Path
        The GIF written.
    """
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - exercised only without pillow
        raise ImportError("descend.plot.animate needs pillow: pip install 'descend[demo]'") from None
    for name, value, lo in (("frames", frames, 2), ("fps", fps, 1), ("dpi", dpi, 10)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < lo:
            raise DescendError(f"{name} must be an integer >= {lo}, got {value!r}")
    try:
        out = pathlib.Path(os.fspath(path))
    except TypeError:
        raise DescendError(f"path must be a file path, got {type(path).__name__}") from None
    if out.suffix.lower() != ".gif":
        raise DescendError(f"path must end in .gif (the animation is written as a GIF), got {str(out)!r}")
    if not out.parent.is_dir():
        raise DescendError(f"the folder of path does not exist: {str(out.parent)!r}")
    files.check_writable(out)  # a link, someone else's file or a folder we cannot write: refuse before drawing
    if lang is not None:
        from ..i18n import check_lang

        lang = check_lang(lang)
    p = _base.as_problem_2d(problem)
    runs = _base.as_results(results)
    all_paths = [_base.paths(r, i) for i, r in enumerate(runs)]
    plt = _base.pyplot()
    fig = plt.figure(figsize=figsize, dpi=dpi)
    ax = fig.add_subplot()
    try:
        trajectories(p, runs, labels=labels, ax=ax, markers=False, title=title, legend=legend)
        path_lines = _base.tagged(ax, "path")
        end_markers = _base.tagged(ax, "end")
        steps = max(x.shape[0] for x in all_paths) - 1
        count = min(frames, steps + 1)
        at = np.unique(np.round(np.linspace(0, steps, count)).astype(int))
        counter = ax.text(0.02, 0.96, "step", transform=ax.transAxes, fontsize="small", va="top",
                          bbox=dict(boxstyle="round", facecolor="white", alpha=0.8))
        step_word = "step"
        if lang not in (None, "en"):
            from ..i18n.plots import translate_figure, translate_label

            translate_figure(fig, lang)  # the legend's start/end, the axes' names; the counter gets the font
            step_word = translate_label("step", lang)
        rows = [(x, j) for x in all_paths for j in range(x.shape[1])]

        def draw(frame):
            k = at[frame]
            for line, (x, j) in zip(path_lines, rows):
                upto = min(k, x.shape[0] - 1) + 1
                line.set_data(x[:upto, j, 0], x[:upto, j, 1])
            for marker, x in zip(end_markers, all_paths):
                idx = min(k, x.shape[0] - 1)
                marker.set_data(x[idx, :, 0], x[idx, :, 1])
            counter.set_text(f"{step_word} {k}")
            return path_lines + end_markers + [counter]

        # Blitting: the contour, axes and legend are drawn once; each frame redraws only the
        # moving artists over that background (a full redraw per frame, as matplotlib's
        # PillowWriter does, costs ~20x more, mostly in text).  Pillow writes the GIF.
        moving = path_lines + end_markers + [counter]
        for artist in moving:
            artist.set_animated(True)
        fig.canvas.draw()
        background = fig.canvas.copy_from_bbox(fig.bbox)
        frames_rgb = []
        for frame in range(len(at)):
            fig.canvas.restore_region(background)
            for artist in draw(frame):
                ax.draw_artist(artist)
            frames_rgb.append(Image.fromarray(np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()))
        # one palette for every frame, taken from the last (it shows every path): no flicker between frames
        palette = frames_rgb[-1].quantize(colors=255, method=Image.Quantize.FASTOCTREE)
        images = [im.quantize(palette=palette, dither=Image.Dither.NONE) for im in frames_rgb]
        files.write_with(out, lambda fh: images[0].save(fh, format="GIF", save_all=True, append_images=images[1:],
                                                        duration=int(round(1000 / fps)), loop=0, optimize=True))
    finally:
        plt.close(fig)
    return out


__all__ = ["animate"]
