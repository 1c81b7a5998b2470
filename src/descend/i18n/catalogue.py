"""The message catalogue: every key with its English and its Japanese.

Keys are dotted: ``status.*`` (how a run ended), ``col.*`` (table headers), ``unit.*``,
``cli.*``, ``page.*`` (the demo page's frame) and ``tour.<section>.*`` (the tour's text,
table titles and columns, picture captions and plot labels), ``explorer.*`` (the live
explorer's page, in :mod:`descend.i18n.explorer`).  ``{fields}`` are filled
by :func:`descend.i18n.t`; both languages of a key ask for the same fields
(tests/test_i18n.py checks it).
"""

from __future__ import annotations


def _m(en: str, ja: str) -> dict:
    return {"en": en, "ja": ja}


#: how a run ended, as words (descend.minimize's and descend.train's statuses)
_STATUS = {
    "status.converged": _m("converged", "収束"),
    "status.max_steps": _m("reached the step limit", "ステップ数の上限"),
    "status.diverged": _m("diverged", "発散"),
    "status.stopped": _m("stopped", "停止"),
    "status.completed": _m("completed", "完了"),
    "status.stopped_early": _m("stopped early", "早期終了"),
    "status.stopped_by_callback": _m("stopped by the callback", "コールバックで停止"),
    "status.interrupted": _m("interrupted", "中断"),
    "status.running": _m("running", "実行中"),
    "status.count": _m("{count} {word}", "{word} {count}"),
    "status.all": _m("all {word}", "{word} (全件)"),
    "status.sep": _m(", ", "、"),
    "word.yes": _m("yes", "はい"),
    "word.no": _m("no", "いいえ"),
    "word.all": _m("all", "全件"),
    "word.global": _m("global", "大域的"),
    "word.local": _m("local", "局所的"),
}

#: table headers: a column's name in the code -> words (with the unit where there is one)
_COLUMNS = {
    "col.optimizer": _m("optimizer", "最適化手法"),
    "col.lr": _m("lr", "学習率"),
    "col.final_f": _m("final f", "最終的な f"),
    "col.distance": _m("distance to the minimum", "最小点までの距離"),
    "col.steps_to_tol": _m("steps to tol", "許容誤差までのステップ数"),
    "col.reached": _m("reached tol", "許容誤差に到達"),
    "col.status": _m("status", "状態"),
    "col.runs": _m("runs", "実行数"),
    "col.converged": _m("converged (gtol)", "収束 (gtol)"),
    "col.diverged": _m("diverged", "発散"),
    "col.reached_tol": _m("reached tol", "許容誤差に到達"),
    "col.final_loss_median": _m("final loss (median)", "最終損失 (中央値)"),
    "col.best_loss_min": _m("best loss", "最良の損失"),
    "col.steps_to_tol_median": _m("steps to tol (median)", "許容誤差までのステップ数 (中央値)"),
    "col.wall_time_median": _m("time per run (median)", "1 回あたりの時間 (中央値)"),
    "col.final_val_loss_median": _m("final validation loss (median)", "最終検証損失 (中央値)"),
    "col.batch_size": _m("batch size", "バッチサイズ"),
    "col.seed": _m("seed", "シード"),
    "col.problem": _m("problem", "問題"),
    "col.what": _m("what", "項目"),
    "col.value": _m("value", "値"),
    "col.x": _m("x", "x"),
    "col.fun": _m("f(x)", "f(x)"),
    "col.grad_norm": _m("|grad f|", "|勾配|"),
    "col.nit": _m("steps", "ステップ数"),
    "col.nfev": _m("f evaluations", "f の評価回数"),
    "col.ngev": _m("gradient evaluations", "勾配の評価回数"),
    "col.message": _m("message", "メッセージ"),
    "col.run": _m("run", "実行"),
    "col.step": _m("step", "ステップ"),
    "col.f": _m("f", "f"),
    "col.epoch": _m("epoch", "エポック"),
    "col.loss": _m("loss", "損失"),
    "col.val_loss": _m("validation loss", "検証損失"),
    "col.accuracy": _m("accuracy", "正解率"),
    "col.val_accuracy": _m("validation accuracy", "検証正解率"),
    "col.seconds": _m("seconds", "秒"),
}

_UNITS = {
    "unit.s": _m("{value} s", "{value} 秒"),
    "unit.ms": _m("{value} ms", "{value} ミリ秒"),
    "unit.us": _m("{value} µs", "{value} マイクロ秒"),
    "unit.percent": _m("{value} %", "{value} %"),
    "unit.of": _m("{count} of {total}", "{total} 中 {count}"),
}

#: the command line's sentences
_CLI = {
    "cli.sweep.skipped_all": _m(
        "all {count} runs were already in the store {store}: nothing ran, the table shows the stored runs",
        "{count} 回の実行はすべてストア {store} に保存済みです。新たな実行はなく、表は保存済みの結果です"),
    "cli.sweep.skipped_some": _m("{skipped} of {count} runs were already in the store {store} and were skipped",
                                 "{count} 回のうち {skipped} 回はストア {store} に保存済みのため省きました"),
    "cli.sweep.tol_note": _m(
        "reached tol: runs whose loss came within tol = {tol} of the known minimum",
        "許容誤差に到達: 損失が既知の最小値から tol = {tol} 以内に入った実行の数"),
    "cli.demo.page": _m("The tour as a page: {path}", "ツアーのページ: {path}"),
    "cli.progress.epoch": _m("epoch {epoch}/{epochs}: loss {loss}", "エポック {epoch}/{epochs}: 損失 {loss}"),
    "cli.progress.accuracy": _m("accuracy {value}", "正解率 {value}"),
    "cli.progress.val_accuracy": _m("validation accuracy {value}", "検証正解率 {value}"),
    "cli.progress.sweep": _m("{done}/{total} runs, {seconds}", "{done}/{total} 回の実行、{seconds}"),
}

#: the demo page's frame (the sections' own text is under tour.*)
_PAGE = {
    "page.title": _m("descend: the tour", "descend: ツアー"),
    "page.h1": _m("descend: gradient descent, from the study notes", "descend: 学習ノートから学ぶ勾配降下法"),
    "page.lead": _m(
        "Every number and picture on this page was computed by descend {version} when the page was built. "
        "The sections follow the seeds: stable numerics, numerical differentiation, gradient descent, line "
        "search, the optimizer zoo, training with mini-batches and many random starts; then, beyond the "
        "gradient, Newton's method, saddle points and constraints (Goodfellow ch. 4).",
        "このページの数値と図はすべて、ページを作るときに descend {version} が計算したものです。"
        "節の順序は学習ノートに沿っています: 安定した数値計算、数値微分、勾配降下法、直線探索、"
        "さまざまな最適化手法、ミニバッチ学習、多数のランダムな初期値。最後に勾配の先へ: ニュートン法、鞍点、"
        "制約付き最適化 (Goodfellow 4 章)。"),
    "page.explorer": _m(
        "To play with all of this live, run {command} in a terminal (it needs pip install 'descend[serve]'): "
        "it opens the explorer in your browser at the address it prints, {url}, whose token lets only you in. "
        "Move the learning rate, click or drag a start, type your own f(x, y), train a small network; every "
        "number still comes from descend.",
        "これらをその場で試すには、ターミナルで {command} を実行します (pip install 'descend[serve]' が必要)。"
        "表示されるアドレス {url} でブラウザにエクスプローラが開きます (トークンにより本人だけが使えます)。"
        "学習率を動かし、初期値をクリックやドラッグで選び、自分の関数 f(x, y) を入力し、小さなネットワークを"
        "学習させられます。数値はすべて descend が計算します。"),
    "page.computed_in": _m("section computed and drawn in {seconds}", "この節の計算と描画: {seconds}"),
    "page.footer": _m(
        "Built in {seconds} with Python {python}, NumPy {numpy} and matplotlib {matplotlib}. "
        "Regenerate with <code>descend demo --out DIR</code>.",
        "作成時間 {seconds}。Python {python}、NumPy {numpy}、matplotlib {matplotlib} を使用。"
        "<code>descend demo --out DIR</code> で作り直せます。"),
    "page.update_rule": _m("Update rule", "更新式"),
    "page.stacked": _m("(On this narrow screen the panels are stacked: left is on top, right at the bottom.)",
                       "(この狭い画面では図を縦に並べています: 左の図が上、右の図が下です。)"),
    "page.scroll_table": _m("The table is wider than the screen: scroll it sideways →",
                            "表は画面より横に長いので、横にスクロールしてください →"),
    "page.scroll_figure": _m("The figure is wider than the screen, to keep its text readable: scroll it sideways →",
                             "図の文字を読める大きさに保つため、図は画面より横に長くなっています。横にスクロールしてください →"),
    "page.other_lang": _m("日本語", "English"),
}

#: the labels descend.plot writes itself: the English is the exact label (``{fields}`` match any
#: text), translated in pictures by :func:`descend.i18n.plots.translate_figure`
_PLOT = {
    "plot.start": _m("start", "初期値"),
    "plot.end": _m("end", "終点"),
    "plot.minimizer": _m("known minimizer", "既知の最小点"),
    "plot.step": _m("step", "ステップ"),
    "plot.update": _m("update", "更新回数"),
    "plot.epoch": _m("epoch", "エポック"),
    "plot.loss": _m("loss", "損失"),
    "plot.step_h": _m("step h", "刻み幅 h"),
    "plot.relative_error": _m("relative error", "相対誤差"),
    "plot.absolute_error": _m("absolute error", "絶対誤差"),
    "plot.final_f": _m("final f", "最終的な f"),
    "plot.final_gap": _m("final f - f*", "最終的な f - f*"),
    "plot.at_minimum": _m("exactly at the minimum", "ちょうど最小値"),
    "plot.diverged": _m("diverged (last finite value)", "発散 (最後の有限値)"),
    "plot.at_start": _m("at the start x0", "初期値 x0 での値"),
    "plot.learning_rate": _m("learning rate", "学習率"),
    "plot.lr_sweep_title": _m("final loss against the learning rate", "学習率と最終的な損失"),
    "plot.effective_lr": _m("effective step size |update| / |grad| per coordinate",
                            "座標ごとの実効ステップ幅 |更新量| / |勾配|"),
    "plot.neg_grad": _m("-grad f", "-勾配"),
    "plot.neg_grad_directions": _m("-grad f (directions)", "-勾配 (向き)"),
    "plot.smoothed": _m("{label} (mean of {n})", "{label} ({n} 回の平均)"),
    "plot.epoch_mean": _m("{label} (epoch mean)", "{label} (エポック平均)"),
    "plot.order": _m("{method} (order {p})", "{method} ({p} 次)"),
    "plot.tangent": _m("tangent at x={x} (slope {slope})", "x={x} での接線 (傾き {slope})"),
    "plot.trace_title": _m("{optimizer} on {problem}, {steps} steps", "{problem} での {optimizer}、{steps} ステップ"),
    "plot.run_label": _m("{optimizer}, lr={lr}", "{optimizer}、学習率={lr}"),
    "plot.state": _m("{name}: {what}", "{name}: {what}"),
    "plot.state.momentum_buffer": _m("momentum buffer b (velocity V = -lr * b)", "モーメンタムのバッファ b (速度 V = -学習率 × b)"),
    "plot.state.sum": _m("AdaGrad's running sum of squared gradients", "AdaGrad の勾配の 2 乗の累積和"),
    "plot.state.square_avg": _m("running average of squared gradients", "勾配の 2 乗の移動平均"),
    "plot.state.acc_delta": _m("Adadelta's running average of squared updates", "Adadelta の更新量の 2 乗の移動平均"),
    "plot.state.grad_avg": _m("running average of gradients (centered)", "勾配の移動平均 (中心化)"),
    "plot.state.exp_avg": _m("first moment m (average gradient)", "1 次モーメント m (勾配の平均)"),
    "plot.state.exp_avg_sq": _m("second moment v (average squared gradient)", "2 次モーメント v (勾配の 2 乗の平均)"),
    "plot.state.max_exp_avg_sq": _m("max of v so far (AMSGrad)", "これまでの v の最大値 (AMSGrad)"),
    "plot.state.exp_inf": _m("exponentially weighted infinity norm u", "指数加重した無限大ノルム u"),
    "plot.method.central": _m("central", "中心差分"),
    "plot.method.forward": _m("forward", "前方差分"),
    "plot.method.backward": _m("backward", "後方差分"),
    "plot.method.five-point": _m("five-point", "5 点公式"),
    "plot.method.complex": _m("complex", "複素ステップ"),
    "plot.method.richardson": _m("richardson", "リチャードソン補外"),
    "plot.exact_line_search": _m("exact line search", "厳密な直線探索"),
    "plot.lr_label": _m("lr {lr}", "学習率 {lr}"),
    "plot.distance_to_minimizer": _m("distance to x*", "x* までの距離"),
    "plot.step_plus_one": _m("step + 1", "ステップ + 1"),
    # descend lr-find --plot and descend report --out (descend.sweeps)
    "plot.lr_find.smoothed": _m("smoothed", "平滑化"),
    "plot.lr_find.suggested": _m("suggested {lr}", "推奨値 {lr}"),
    "plot.lr_find.past_bound": _m("past 2/L: a fixed lr diverges", "2/L より先: 固定の学習率では発散"),
    "plot.lr_find.gd_diverges": _m("GD diverges {lr}", "GD が発散 {lr}"),
    "plot.lr_find.title": _m("lr range test ({optimizer})", "学習率レンジテスト ({optimizer})"),
    "plot.sweep.final_loss": _m("final loss (median; band: min..max)", "最終的な損失 (中央値、帯: 最小..最大)"),
    "plot.sweep.final_loss_title": _m("final loss against lr (diverged runs left out)",
                                      "学習率と最終的な損失 (発散した実行は除く)"),
    "plot.sweep.curve_loss": _m("loss (median over seeds and starts)", "損失 (シードと初期値にわたる中央値)"),
    "plot.sweep.curves_title": _m("each optimizer at its best lr", "最良の学習率での各最適化手法"),
}

from .tour import TOUR  # noqa: E402  (the tour's strings, kept in their own file for length)
from .explorer import EXPLORER  # noqa: E402  (the explorer page's labels, explorer.*)

#: every key -> {"en": text, "ja": text, and one text per language of ADDED}
CATALOGUE: dict[str, dict[str, str]] = {}
for _part in (_STATUS, _COLUMNS, _UNITS, _CLI, _PAGE, _PLOT, TOUR, EXPLORER):
    _clash = set(_part) & set(CATALOGUE)
    if _clash:  # pragma: no cover - caught by tests/test_i18n.py at once
        raise RuntimeError(f"catalogue keys defined twice: {sorted(_clash)}")
    CATALOGUE.update(_part)

#: languages beyond English and Japanese, by code: each one's text is the module
#: ``descend.i18n.lang_<code>`` (``NAME``, its own name for the language switches, and ``MESSAGES``,
#: key -> text), started with ``python3 -m descend.i18n.template <code> <name>`` (CONTRIBUTING.md)
ADDED: tuple[str, ...] = ()
#: each language's own name, for the explorer's language switch
NAMES = {"en": "English", "ja": "日本語"}


def add_language(code: str, name: str, messages: dict) -> None:
    """Merge one language's texts into :data:`CATALOGUE` (every key must be there; checked by tests)."""
    NAMES[code] = name
    for key, text in messages.items():
        if key in CATALOGUE:
            CATALOGUE[key][code] = text


for _code in ADDED:  # pragma: no cover - none today; tests/test_i18n.py adds one to check the recipe
    _module = __import__(f"descend.i18n.lang_{_code}", fromlist=["MESSAGES"])
    add_language(_code, _module.NAME, _module.MESSAGES)
