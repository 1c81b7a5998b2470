"""What every notebook widget shares: the page's requests answered in the kernel, traits checked
as the explorer checks its requests, and one friendly line for what the page got wrong.

A widget is an :class:`anywidget.AnyWidget` whose front end asks for numbers with the explorer's
own request bodies (``{"path": "run", "body": {...}}`` over the widget's comm instead of HTTP,
no server and no token); :func:`answer` hands each body to the explorer's endpoint function
(:mod:`descend.serve.api`), so the numbers are the explorer's.  A refusal comes back as the
endpoint's one line; nothing a page sends can raise in the kernel.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
from pathlib import Path

import anywidget
import traitlets

from .. import jit
from ..errors import DescendError
from ..serve.api import (
    derivatives,
    export,
    landscape,
    learning_rate,
    listings,
    playground,
)
from ..serve.checks import BadRequest
from ..serve.json_out import dumps

__all__ = ["Panel", "WidgetError", "answer", "reply", "checked", "static_pictures", "front_end", "ROUTES", "STATIC"]

log = logging.getLogger("descend.widgets")

#: The widget's front end (widget.js) and its styles.
STATIC = Path(__file__).with_name("static")

#: The training sessions of every widget in this kernel (the explorer's bounded store).
SESSIONS = playground.Sessions()

#: The explorer's endpoints by path, as serve.app routes them (``POST /api/<path>``).
ROUTES = {
    "problems": lambda body: listings.problems_listing(),
    "optimizers": lambda body: listings.optimizers_listing(),
    "datasets": lambda body: playground.datasets_listing(),
    "surface": landscape.surface,
    "run": landscape.run,
    "lr": learning_rate.lr_curves,
    "derivatives": derivatives.derivatives,
    "train/start": functools.partial(playground.start, SESSIONS),
    "train/step": functools.partial(playground.step, SESSIONS),
    "train/stop": functools.partial(playground.stop, SESSIONS),
    "export": export.export,
}


#: The explorer's modules a widget runs (serve/static): its panels and what they import.
MODULES = ("api.js", "plotting.js", "i18n.js", "state.js", "controls.js", "catalog.js", "race.js", "internals.js",
           "landscape.js", "lrpanel.js", "derivatives.js", "curvature.js", "playground.js")


@functools.lru_cache(maxsize=1)
def front_end() -> dict:
    """The explorer's own front end, sent once per page: its ES modules (``modules``), each panel's
    section of its index.html (``sections``), its style.css and its vendored plotly.js; the wheel's
    own files, nothing from a CDN."""
    import re

    from ..serve.app import STATIC as PAGE

    page = (PAGE / "index.html").read_text(encoding="utf-8")
    sections = {}
    for m in re.finditer(r'<section [^>]*data-panel="(\w+)"[^>]*>.*?</section>', page, re.DOTALL):
        sections[m.group(1)] = m.group(0)
    return {"modules": {name: (PAGE / name).read_text(encoding="utf-8") for name in MODULES},
            "sections": sections,
            "css": (PAGE / "style.css").read_text(encoding="utf-8"),
            "plotly": (PAGE / "vendor" / "plotly-cartesian.min.js").read_text(encoding="utf-8")}


@functools.lru_cache(maxsize=1)
def plotly_bytes() -> bytes:
    """The vendored plotly.js bundle's bytes (what :func:`front_end`'s ``plotly`` holds, as sent)."""
    return front_end()["plotly"].encode("utf-8")


class WidgetError(DescendError, traitlets.TraitError):
    """A trait set to something the explorer would refuse: the explorer's one-line message.

    A :class:`~descend.errors.DescendError` for the caller, and a ``TraitError`` so that traitlets
    rolls back every trait of a refused update from the page."""


def checked(fn, body):
    """``fn(body)`` with the explorer's refusal raised as :class:`WidgetError` (the same line)."""
    try:
        return fn(body)
    except WidgetError:
        raise
    except (BadRequest, DescendError) as exc:
        error = WidgetError(str(exc))
        error.extra = dict(getattr(exc, "extra", None) or {})  # a refused formula's line in each language
        raise error from None


def reply(message) -> tuple[dict, list]:
    """The reply to one page request ``{"id", "path", "body"}``: ``({"id", "json": true}, [answer])``
    with the endpoint's answer as JSON bytes in one binary buffer (nan/inf as null, as the explorer
    sends them; no second JSON pass in the kernel's messaging), or ``({"id", "error"}, [])`` with one
    line.  Never raises: a page event must not give the kernel a traceback."""
    rid = message.get("id") if isinstance(message, dict) else None
    try:
        path = message.get("path") if isinstance(message, dict) else None
        if path not in ROUTES:
            raise BadRequest(f"path: must be one of {', '.join(ROUTES)}, got {path!r:.40}")
        return {"id": rid, "json": True}, [dumps(ROUTES[path](message.get("body", {})))]
    except (BadRequest, DescendError) as exc:
        line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        extra = getattr(exc, "extra", None)  # the endpoint's other fields (formula_error: the line in each language)
        return {"id": rid, "error": line, **({"body": {"error": line, **extra}} if extra else {})}, []
    except Exception as exc:  # noqa: BLE001 - the page gets one line, the log keeps the rest
        log.warning("widget request failed: %s", exc, exc_info=True)
        return {"id": rid, "error": f"descend could not answer this request ({type(exc).__name__}); "
                                    f"see the kernel's log"}, []


def answer(message) -> dict:
    """:func:`reply` decoded: ``{"id", "data"}`` (the answer as plain JSON values) or ``{"id", "error"}``."""
    content, buffers = reply(message)
    if buffers:
        return {"id": content["id"], "data": json.loads(buffers[0])}
    return content


#: Whether this kernel has answered a page's runs yet (:func:`numpy_first`).
FIRST_RUNS = {"answered": False}


@contextlib.contextmanager
def numpy_first(message):
    """Inside: the first runs a page asks for in this kernel (``run``, ``lr``) go on the NumPy path
    alone, the same numbers (:func:`descend.jit.prefer_numpy`, for this thread); ``after()`` then
    has descend.jit.ready's thread load their compiled loops.  Queued at once, that thread would
    load them while the first answer is computed, and numba holds the GIL while it loads or
    compiles a loop: on a busy machine the first answer waited seconds for it."""
    path = message.get("path")
    if FIRST_RUNS["answered"] or path not in ("run", "lr"):
        yield lambda: None
        return
    FIRST_RUNS["answered"] = True
    with jit.prefer_numpy():
        yield lambda: reply({"path": path, "body": {**(message.get("body") or {}), "steps": 1}})  # queues the loops


#: Whether a displayed widget also carries a static picture (``image/png``, drawn by descend.plot)
#: for viewers without a kernel (GitHub, nbviewer); off by default: drawing it delays the widget.
PICTURES = {"on": False}


def static_pictures(on: bool = True) -> None:
    """Give every widget displayed from now on a static picture beside its live view (a notebook
    saved with its outputs then shows the figure where no kernel runs)."""
    PICTURES["on"] = bool(on)


def png(draw, lang: str = "en") -> str | None:
    """``draw(ax)`` on a fresh matplotlib Figure (no pyplot, no display) as base64 PNG, descend.plot's
    labels in ``lang`` with a font that has its glyphs; None without matplotlib."""
    import base64
    import io

    try:
        from matplotlib.figure import Figure
    except ImportError:
        return None
    from ..i18n.plots import plot_context, translate_figure

    with plot_context(lang):
        fig = Figure(figsize=(6.4, 4.8))  # no constrained layout: it cost half of a picture's time on log axes
        draw(fig.add_subplot())
        translate_figure(fig, lang)
        out = io.BytesIO()
        fig.savefig(out, format="png", dpi=80, bbox_inches="tight")
    return base64.b64encode(out.getvalue()).decode("ascii")


class Panel(anywidget.AnyWidget):
    """One explorer panel in a notebook cell: ``panel`` says which, ``lang`` its language (one of
    :data:`descend.i18n.LANGS`), ``error`` the last refusal of something the page set (empty when none)."""

    _esm = STATIC / "widget.js"
    _css = STATIC / "widget.css"

    panel = traitlets.Unicode("landscape").tag(sync=True)
    lang = traitlets.Unicode("en").tag(sync=True)
    error = traitlets.Unicode("").tag(sync=True)
    catalogue = traitlets.Dict().tag(sync=True)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if not self.catalogue:
            from .. import i18n
            from ..serve.api.page_text import page_messages

            self.catalogue = {lang: page_messages(lang) for lang in i18n.LANGS}  # the explorer's words, every language
        self.on_msg(self._on_page_message)

    @traitlets.validate("lang")
    def _check_lang(self, proposal):
        from .. import i18n

        if proposal["value"] not in i18n.LANGS:  # the catalogue's languages: one added by the recipe too
            raise WidgetError(f"lang: must be one of {', '.join(i18n.LANGS)}, got {proposal['value']!r:.40}")
        return proposal["value"]

    def _on_page_message(self, widget, content, buffers):
        if not isinstance(content, dict):
            return
        if content.get("asset") == "front-end":
            files = front_end()
            # plotly.js (1.5 MB) as one binary buffer: no JSON escaping of it here, no JSON parsing on the page
            self.send({"id": content.get("id"), "data": {k: v for k, v in files.items() if k != "plotly"}},
                      buffers=[plotly_bytes()])
        elif content.get("asset") == "font-ja":
            self._send_font(content.get("id"))
        elif "path" in content:
            with numpy_first(content) as after:
                reply_content, buffers = reply(content)
            self.send(reply_content, buffers=buffers)
            after()

    def _send_font(self, rid):
        """The explorer's Japanese font (IPAexGothic from matplotlib-fontja) as one binary buffer, so a
        machine without a Japanese font shows no boxes; offline.  Without it, one line says so."""
        from ..i18n.plots import font_file

        path = font_file()
        if path is None:
            self.send({"id": rid, "error": "no Japanese font is installed: pip install 'descend[demo]' "
                                           "(matplotlib-fontja)"})
        else:
            self.send({"id": rid, "data": {"name": "descend-ja"}}, buffers=[Path(path).read_bytes()])

    #: The traits a repr shows (each panel's state).
    REPR: tuple = ()

    def __repr__(self):
        # no memory address: a notebook saved with its outputs stays the same from run to run
        return f"{type(self).__name__}({', '.join(f'{k}={getattr(self, k)!r}' for k in self.REPR)})"

    def picture(self) -> str | None:
        """The panel's static picture as base64 PNG (None: this panel has none)."""
        return None

    def _repr_mimebundle_(self, **kwargs):
        bundle = super()._repr_mimebundle_(**kwargs)  # (data, metadata) from anywidget, data from ipywidgets
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        if PICTURES["on"] and isinstance(data, dict):
            picture = self.picture()
            if picture is not None:
                data["image/png"] = picture  # what a viewer without the widget's kernel shows
        return bundle

    def set_state(self, sync_data):
        """The page's changes: a refused one is undone (every trait of it) and named in ``error``."""
        try:
            super().set_state(sync_data)
        except traitlets.TraitError as exc:
            worded = (getattr(exc, "extra", None) or {}).get("formula_error") or {}
            self.error = worded.get(self.lang) or str(exc).splitlines()[0]  # a formula: the page's friendly line
            self.send_state(list(sync_data))  # the page draws the kernel's values again
        except Exception as exc:  # noqa: BLE001 - never a kernel traceback from a page event
            log.warning("widget update refused: %s", exc, exc_info=True)
            self.error = f"descend could not take this change ({type(exc).__name__}); see the kernel's log"
            self.send_state(list(sync_data))
        else:
            if self.error:
                self.error = ""
