"""The demo page: every section with its pictures and tables, offline, under a minute; the tour without matplotlib."""

import html.parser
import os
import subprocess
import sys

import numpy as np
import pytest

from descend import DescendError, report, tour
from _demo_page import built
from helpers import requires

needs_plot = requires("matplotlib", "PIL", extra="plot")  # the pictures; the rest runs without them


class _Page(html.parser.HTMLParser):
    """The page's tags of interest."""

    def __init__(self):
        super().__init__()
        self.images, self.links, self.sections, self.tables, self.scripts, self.styles_links = [], [], [], 0, 0, 0
        self.h2, self.sources = [], []
        self._in_h2 = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img":
            self.images.append(a)
        elif tag == "source":
            self.sources.append(a)
        elif tag == "a":
            self.links.append(a.get("href", ""))
        elif tag == "section":
            self.sections.append(a.get("id"))
        elif tag == "table":
            self.tables += 1
        elif tag == "script":
            self.scripts += 1
        elif tag == "link":
            self.styles_links += 1
        elif tag == "h2":
            self._in_h2 = True
            self.h2.append("")

    def handle_endtag(self, tag):
        if tag == "h2":
            self._in_h2 = False

    def handle_data(self, data):
        if self._in_h2:
            self.h2[-1] += data


def parse(path):
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


@needs_plot
def test_build_returns_index_html():
    index, _ = built()  # the time it takes (under a minute): bench/limits.py (page)
    assert index.name == "index.html" and index.is_file()


@needs_plot
def test_the_page_has_every_section_with_its_pictures_and_tables():
    index, _ = built()
    page = parse(index)
    keys = [k for k, _ in tour.SECTIONS]
    assert page.sections == [f"s{i}-{k}" for i, k in enumerate(keys, 1)]
    assert len(page.h2) == len(keys)
    for title in ("softmax", "Conditioning", "Numerical differentiation", "gradient field", "learning rate",
                  "Line search", "optimizer race", "mini-batch", "random starts", "Beyond the gradient"):
        assert any(title.lower() in h.lower() for h in page.h2), title
    # every section has at least one picture and one table
    text = index.read_text(encoding="utf-8")
    for i, key in enumerate(keys, 1):
        body = text.split(f'id="s{i}-{key}"')[1].split("</section>")[0]
        assert "<img " in body and "<table>" in body, key
    assert page.tables >= 9
    # the seeds' numbers are on the page, computed when it was built
    for number in ("493", "1.0000001666666813", "6.000000000012662", "1.4142135623730951"):
        assert number in text
    assert "multi-start gradient descent" in text  # seed 002's "SGD", named for what it is


@needs_plot
def test_the_page_works_offline():
    index, _ = built()
    page = parse(index)
    assert page.scripts == 0 and page.styles_links == 0
    text = index.read_text(encoding="utf-8")
    # nothing from the network; the one address is the local explorer's (descend serve, this machine), as text
    local = text.replace(f"<code>{report.EXPLORER_URL}?token=…</code>", "")
    assert "http://" not in local and "https://" not in local
    for link in page.links:
        assert link.startswith("#")  # the table of contents
    assert len(page.images) >= 9
    assert len(page.sources) >= 8  # the narrow pictures (panels stacked), beside the wide ones
    for source in page.sources:
        assert source["media"] == f"(max-width: {report.NARROW_SCREEN}px)" and (index.parent / source["srcset"]).is_file()
    for img in page.images:
        src = img["src"]
        assert not src.startswith(("http:", "https:", "//", "/")), src
        path = index.parent / src
        assert path.is_file(), src
        from PIL import Image

        with Image.open(path) as im:
            assert im.format in ("PNG", "GIF")
            px = np.asarray(im.convert("RGB"), dtype=float)
        assert px.std() > 10, f"{src} looks blank"
        assert img.get("alt"), "every picture has alt text"


@needs_plot
def test_the_page_says_how_to_start_the_explorer_without_a_link_that_is_refused():
    """``descend serve`` opens the tokenised address itself; a bare link to the explorer would answer 403."""
    index, _ = built()
    page = parse(index)
    assert not [link for link in page.links if "127.0.0.1" in link or "localhost" in link]
    assert report.EXPLORER_URL.startswith("http://127.0.0.1:")  # this machine only
    text = index.read_text(encoding="utf-8")
    assert "<code>descend serve</code>" in text and "descend[serve]" in text
    for lang in ("en", "ja"):
        paragraph = report._explorer_html(lang)
        assert "<code>descend serve</code>" in paragraph and "<a " not in paragraph
        assert f"<code>{report.EXPLORER_URL}?token=…</code>" in paragraph


@needs_plot
def test_the_race_is_animated():
    index, _ = built()
    from PIL import Image

    gifs = sorted(index.parent.glob("*.gif"))
    assert len(gifs) == 1
    with Image.open(gifs[0]) as im:
        assert im.n_frames > 10


@needs_plot
def test_embed_makes_one_self_contained_file(tmp_path):
    index = report.build(tmp_path / "page", embed=True, sections=["softmax", "gradient_field"])
    text = index.read_text(encoding="utf-8")
    assert text.count('src="data:image/png;base64,') == 2
    assert sorted(p.name for p in index.parent.iterdir()) == [".descend-manifest.json", "index.html"]


@needs_plot
def test_build_takes_sections_already_computed(tmp_path):
    secs = tour.sections(["gradient_field"])
    index = report.build(tmp_path, sections=secs)
    page = parse(index)
    assert page.sections == ["s1-gradient_field"]
    assert "6.000000000012662" in index.read_text(encoding="utf-8")


@needs_plot
def test_build_makes_the_folder_and_rebuilds_over_its_own_files(tmp_path):
    out = tmp_path / "a" / "b"
    first = report.build(out, sections=["softmax"], gif=False)
    assert first == out / "index.html"
    again = report.build(out, sections=["softmax"], gif=False)
    assert again == first and sorted(p.name for p in out.iterdir()) == [".descend-manifest.json", "01-softmax-1-narrow.png",
                                                                         "01-softmax-1.png", "index.html"]


@needs_plot
def test_build_defaults_to_descend_demo_in_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    index = report.build(sections=["softmax"])
    assert index.resolve() == (tmp_path / report.DEFAULT_DIR / "index.html").resolve()
    assert index.is_file()


@pytest.mark.parametrize("kwargs, fragment", [
    (dict(out_dir=5), "out_dir must be a folder path"),
    (dict(dpi=3), "dpi must be an integer >= 20"),
    pytest.param(dict(sections=["nope"]), "unknown tour section 'nope'", marks=needs_plot),
    pytest.param(dict(sections=["softmax", tour.Section("k", "t", "x")]), "all keys or all tour.Section objects",
                 marks=needs_plot),
])
def test_build_errors(tmp_path, kwargs, fragment):
    kwargs.setdefault("out_dir", tmp_path)
    with pytest.raises(DescendError) as exc:
        report.build(**kwargs)
    assert fragment in str(exc.value)


def test_build_refuses_a_file_as_folder(tmp_path):
    f = tmp_path / "file.txt"
    f.write_text("x")
    with pytest.raises(DescendError, match="out_dir must be a folder, but"):
        report.build(f)


def test_the_tour_runs_without_matplotlib():
    """The plain-text `descend demo` needs the tables only: matplotlib is imported by a picture when drawn."""
    code = """
import sys
sys.modules["matplotlib"] = None  # importing it now raises ImportError
from descend import tour
sections = tour.sections()
print(len(sections), sum(len(s.tables) for s in sections), sum(len(s.pictures) for s in sections))
try:
    sections[0].pictures[0].draw()
except ImportError as exc:
    print("ImportError:", exc)
"""
    src = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")
    env = dict(os.environ, PYTHONPATH=src + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    n_sections, n_tables, n_pictures = map(int, lines[0].split())
    assert n_sections == len(tour.SECTIONS) and n_tables >= 10 and n_pictures >= 10
    assert lines[1].startswith("ImportError:") and "pip install 'descend[demo]'" in lines[1]
