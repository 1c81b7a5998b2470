"""The one message catalogue: every key in both languages, with the same fields; the language from the locale."""

import re

import pytest

from descend import DescendError, i18n

KEYS = sorted(i18n.CATALOGUE)
_KANA_KANJI = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def test_every_key_has_english_and_japanese():
    for key in KEYS:
        entry = i18n.CATALOGUE[key]
        assert set(entry) == set(i18n.LANGS), key
        assert all(isinstance(entry[lang], str) and entry[lang].strip() for lang in i18n.LANGS), key


@pytest.mark.parametrize("key", KEYS)
def test_both_languages_ask_for_the_same_fields(key):
    for lang in i18n.LANGS[1:]:
        assert i18n.fields(key, "en") == i18n.fields(key, lang), lang


def test_a_new_language_follows_the_recipe(tmp_path, monkeypatch):
    """CONTRIBUTING.md's recipe: the template names every key, its module merges into the catalogue, and
    the language is then chosen by the locale and by t() like English and Japanese."""
    import copy
    import importlib.util

    from descend.i18n import catalogue, template

    path = tmp_path / "lang_xx.py"
    path.write_text(template.template("xx", "Xish"), encoding="utf-8")
    spec = importlib.util.spec_from_file_location("lang_xx", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert set(module.MESSAGES) == set(KEYS) and module.NAME == "Xish"
    merged = copy.deepcopy(i18n.CATALOGUE)
    monkeypatch.setattr(catalogue, "CATALOGUE", merged)
    monkeypatch.setattr(catalogue, "NAMES", dict(catalogue.NAMES))
    monkeypatch.setattr(i18n, "CATALOGUE", merged)
    monkeypatch.setattr(i18n, "LANGS", i18n.LANGS + ("xx",))
    catalogue.add_language("xx", module.NAME, {k: v.upper() if "{" not in v else v for k, v in module.MESSAGES.items()})
    assert all(set(entry) == set(i18n.LANGS) for entry in merged.values())
    assert i18n.t("status.converged", "xx") == "CONVERGED" and catalogue.NAMES["xx"] == "Xish"
    assert i18n.detect_lang({"LANG": "xx_YY.UTF-8"}) == "xx" and i18n.detect_lang({"LANG": "ja_JP"}) == "ja"
    with pytest.raises(ValueError, match="new language code"):
        template.template("ja", "again")


def test_japanese_prose_is_written_in_japanese():
    # formulas (*.rule) and a few symbols are the same in both; prose must not be English left untranslated
    prose = [k for k in KEYS if not k.endswith(".rule") and len(i18n.CATALOGUE[k]["en"]) > 25]
    assert len(prose) > 50
    for key in prose:
        assert _KANA_KANJI.search(i18n.CATALOGUE[key]["ja"]), key


def test_glossary_terms_are_used():
    ja = " ".join(e["ja"] for e in i18n.CATALOGUE.values())
    for term in ("学習率", "勾配降下法", "確率的勾配降下法", "ミニバッチ", "数値微分", "中心差分", "条件数", "直線探索",
                 "許容誤差", "発散", "収束", "エポック", "刻み幅", "丸め誤差", "打ち切り誤差", "局所解", "大域的最小値"):
        assert term in ja, term


@pytest.mark.parametrize("env, lang", [
    ({"LANG": "ja_JP.UTF-8"}, "ja"), ({"LC_ALL": "ja_JP.eucJP", "LANG": "en_US.UTF-8"}, "ja"),
    ({"LANG": "en_GB.UTF-8"}, "en"), ({}, "en"), ({"LANGUAGE": "ja:en", "LANG": "C.UTF-8"}, "ja"),
    ({"LC_ALL": "C", "LANG": "ja_JP.UTF-8"}, "ja"), ({"LC_MESSAGES": "en_US", "LANG": "ja_JP"}, "en"),
])
def test_the_language_follows_the_locale(env, lang):
    assert i18n.detect_lang(env) == lang


def test_t_fills_fields_and_set_lang_overrides_the_locale(monkeypatch):
    monkeypatch.setenv("LANG", "ja_JP.UTF-8")
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(var, raising=False)
    assert i18n.get_lang() == "ja"
    try:
        i18n.set_lang("en")
        assert i18n.t("unit.of", count=3, total=10) == "3 of 10"
    finally:
        i18n.set_lang(None)
    assert i18n.t("unit.of", count=3, total=10) == "10 中 3"


def test_errors_name_what_is_allowed():
    with pytest.raises(DescendError, match="unknown language 'jp'; valid: en, ja"):
        i18n.t("status.converged", "jp")
    with pytest.raises(DescendError, match="no message 'nope' in the catalogue"):
        i18n.t("nope", "en")


def test_no_japanese_label_mixes_kana_into_mathtext():
    # matplotlib draws the plain text of a "$...$" string in the mathtext font, which has no kana:
    # such a label would show boxes, so Japanese labels write their maths in Unicode
    for key in KEYS:
        ja = i18n.CATALOGUE[key]["ja"]
        assert not ("$" in ja and _KANA_KANJI.search(ja)), key


def test_japanese_pictures_draw_every_glyph(caplog):
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    from descend import tour

    with caplog.at_level("WARNING"):
        for section in tour.sections(["line_search", "gradient_field"], lang="ja"):
            fig = section.pictures[0].draw()
            fig.canvas.draw()
            plt.close(fig)
    assert not [r for r in caplog.records if "glyph" in r.getMessage()]
