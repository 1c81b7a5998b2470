"""Write the example notebooks in examples/, one per chapter the seeds follow, in English and Japanese.

    python scripts/make_notebooks.py            # (re)write examples/*.ipynb and execute them (outputs saved)
    python scripts/make_notebooks.py --check    # exit 1 if a notebook's cells differ from what this script writes
    python scripts/make_notebooks.py dlfs_curvature.ipynb dlfs_curvature_ja.ipynb   # only these

Chapters: *Deep Learning from Scratch* (ゼロから作るDeep Learning) ch. 4 (numerical
differentiation and gradients), ch. 5 (backpropagation, checked by numerical gradients),
ch. 6 (the optimizers: the book's figure, then a fair comparison), and Goodfellow et al.,
*Deep Learning*, 4.1 to 4.5 (overflow and underflow, conditioning, gradient descent and
line search, least squares), and beyond them the curvature of a network (the edge of stability and
loss landscapes, :mod:`descend.curvature`).  Each notebook opens with the seed and chapter it
accompanies; prose sits between the cells; each has small exercises: a cell tagged
``exercise`` (its ``metadata.solution`` holds an answer) followed by a hidden cell tagged
``check`` that says whether the answer is right.  The Japanese notebook (``*_ja.ipynb``)
has the same code, its markdown in Japanese and ``LANG = "ja"`` for the pictures' labels.

The notebooks are saved executed, with their outputs, so a reader on GitHub sees the
results; tests/test_notebooks.py runs them again and checks the saved outputs are fresh.
Where the text invites play, a cell shows one of the explorer's panels as a live widget
(:mod:`descend.widgets`); it is saved with a static picture of the same numbers (its live view
needs a kernel and is left out of the saved output).
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = pathlib.Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

SETUP = """import numpy as np
import descend
from descend import plot, problems
LANG = {lang!r}   # the language of the pictures' labels and of the exercises' checks ("en" or "ja")


def say(en, ja):
    print(ja if LANG == "ja" else en)"""

PLOTS = """import matplotlib
from descend.i18n.plots import japanese_font, translate_figure

if LANG == "ja":  # a CJK font from PyPI (matplotlib-fontja, the demo extra), after the default one
    matplotlib.rcParams["font.family"] = [matplotlib.rcParams["font.sans-serif"][0], japanese_font()]


def show(ax):
    \"\"\"descend.plot's own labels (start, end, step ...) in LANG.\"\"\"
    translate_figure(getattr(ax, "figure", ax), LANG)"""

#: What a widget cell's prose says about what it needs.
TRY_EN = 'It needs the notebook extra (`pip install "descend[notebook]"`); a copy saved with its outputs shows a picture.'
TRY_JA = ('notebook extra が必要です (`pip install "descend[notebook]"`)。出力ごと保存されたノートブックには図が残ります。')

# A cell is ("md", english, japanese), ("code", source), ("exercise", source, solution) or ("check", source).

DLFS4 = [
    ("md", """# Numerical differentiation and the gradient (Deep Learning from Scratch, ch. 4)

This notebook accompanies chapter 4 of *Deep Learning from Scratch* and the study notes of seeds 001
and 004: the derivative by central differences, why the step h cannot be as small as we like,
partial derivatives, the gradient, and gradient descent on `f(x) = x0^2 + x1^2`.""",
     """# 数値微分と勾配 (ゼロから作るDeep Learning 第 4 章)

このノートブックは『ゼロから作るDeep Learning』第 4 章と学習ノート 001、004 に対応しています。
中心差分による微分、刻み幅 h をいくらでも小さくはできない理由、偏微分、勾配、そして
`f(x) = x0^2 + x1^2` での勾配降下法を順に見ていきます。"""),
    ("code", SETUP),
    ("md", """## The central difference

The book's `numerical_diff` uses `(f(x + h) - f(x - h)) / 2h` with `h = 1e-4`. `descend.derivative`
computes the same with an explicit `h`, so the seed's printed digits come out exactly:""",
     """## 中心差分

本の `numerical_diff` は `h = 1e-4` で `(f(x + h) - f(x - h)) / 2h` を計算します。`descend.derivative` に
同じ `h` を渡すと、学習ノートに印刷された桁がそのまま再現されます:"""),
    ("code", """def function_1(x):
    return 0.01 * x ** 2 + 0.1 * x

[descend.derivative(function_1, x, h=1e-4) for x in (5.0, 10.0)]   # exact: 0.2 and 0.3"""),
    ("md", """The last digits are not 0.2 and 0.3: that is **rounding error**. Too small an h makes it worse:
in float32, 1e-50 is simply 0, and in float64 the difference `f(x + h) - f(x)` cancels to nothing.""",
     """最後の桁は 0.2 と 0.3 になりません。これが**丸め誤差**です。h を小さくしすぎるともっと悪くなります。
float32 では 1e-50 はただの 0 で、float64 でも `f(x + h) - f(x)` が桁落ちして 0 になります。"""),
    ("code", """np.float32(1e-50), (function_1(5.0 + 1e-50) - function_1(5.0)) / 1e-50"""),
    ("md", """## Error against h

A smaller h cuts the **truncation error** (h for the forward difference, h^2 for the central one)
until rounding, about eps/h, takes over. `descend.diff_error` measures both branches for each
method; the circles mark the best h:""",
     """## 刻み幅 h と誤差

h を小さくすると**打ち切り誤差** (前方差分では h、中心差分では h^2 に比例) は減りますが、やがて約 eps/h の
丸め誤差が上回ります。`descend.diff_error` は方法ごとに両方を測ります。丸が最良の h です:"""),
    ("code", """err = descend.diff_error(np.exp, 0.0, 1.0)
{m: float(err.best_h[m]) for m in ("forward", "central")}"""),
    ("code", PLOTS),
    ("code", """show(plot.diff_error(err))"""),
    ("md", f"""**Play with it.** With a running kernel, the cell below is the explorer's derivatives panel, computed
by descend in this kernel: type another function, move the point x, and watch where each method's
error is lowest. {TRY_EN}""",
     f"""**動かしてみましょう.** カーネルが動いていれば、次のセルは explorer の微分パネルです (計算はこのカーネルの
descend)。別の関数を入力し、点 x を動かして、各手法の誤差が最も小さくなる場所を見ましょう。{TRY_JA}"""),
    ("code", """from descend.widgets import Derivatives, static_pictures

static_pictures(True)   # the saved notebook keeps a picture of each widget for readers without a kernel
Derivatives("exp(x)", x=0.0, lang=LANG)"""),
    ("md", """**Exercise 1.** Which step h is best for the *central* difference of `exp` at 0?
Put a number in `answer` (look at the picture, or at `err`).""",
     """**練習 1.** x = 0 での `exp` の*中心差分*に最もよい刻み幅 h はいくつでしょう?
`answer` に数を入れてください (図か `err` を見ましょう)。"""),
    ("exercise", """answer = None   # your answer, e.g. 1e-3""", """answer = float(err.best_h["central"])"""),
    ("check", """_best = float(descend.diff_error(np.exp, 0.0, 1.0).best_h["central"])
if answer is None:
    say("not answered yet: the best h sits where the two branches of the central curve meet",
        "まだ答えがありません: 最良の h は中心差分の曲線の 2 本の枝が交わるところです")
elif _best / 10 <= answer <= _best * 10:
    say(f"correct: about {_best:.1e} (eps ** (1/3): the truncation h^2 and the rounding eps/h balance)",
        f"正解: 約 {_best:.1e} (eps ** (1/3): 打ち切り誤差 h^2 と丸め誤差 eps/h がつり合う)")
else:
    say("not quite: look where the central curve is lowest", "惜しい: 中心差分の曲線が最も低いところを見ましょう")"""),
    ("md", """## Partial derivatives and the gradient

The gradient gathers the partial derivatives into one vector. For `x0^2 + x1^2` it is `2x`:""",
     """## 偏微分と勾配

勾配は偏微分を 1 つのベクトルにまとめたものです。`x0^2 + x1^2` の勾配は `2x` です:"""),
    ("code", """def function_2(x):
    return np.sum(x ** 2)

[descend.gradient(function_2, np.array(p), h=1e-4) for p in ([3.0, 4.0], [0.0, 2.0], [3.0, 0.0])]"""),
    ("code", """show(plot.gradient_field(function_2, ((-2, 2), (-2, 2)), density=15, contours=False))"""),
    ("md", """## The gradient method

`x <- x - lr * grad f(x)`. The book runs 100 steps from (-3, 4) with lr 0.1, and shows that lr 10
diverges and lr 1e-10 barely moves:""",
     """## 勾配法

`x ← x - η ∇f(x)`。本では (-3, 4) から学習率 0.1 で 100 ステップ進め、学習率 10 では発散し、
1e-10 ではほとんど動かないことを示しています:"""),
    ("code", """sphere = problems.get("sphere")
runs = {lr: descend.minimize(sphere, np.array([-3.0, 4.0]), lr=lr, steps=100) for lr in (0.1, 10.0, 1e-10)}
{lr: (r.status, r.x) for lr, r in runs.items()}"""),
    ("md", """**Exercise 2.** One step with lr 0.1 multiplies x by a fixed factor on this f (the gradient is 2x).
What is it? Put it in `answer`.""",
     """**練習 2.** この f では (勾配は 2x)、学習率 0.1 の 1 ステップで x は決まった倍率で縮みます。
その倍率はいくつでしょう? `answer` に入れてください。"""),
    ("exercise", """answer = None   # your answer""", """answer = 1 - 2 * 0.1"""),
    ("check", """_h = runs[0.1].history
_factor = float(_h.x[1][0] / _h.x[0][0])
if answer is None:
    say("not answered yet: write x - 0.1 * 2x as a multiple of x", "まだ答えがありません: x - 0.1 * 2x を x の何倍かで書きましょう")
elif abs(answer - _factor) < 1e-9:
    say(f"correct: x by {_factor:.4g} per step, and f by its square {_factor ** 2:.4g}",
        f"正解: 1 ステップで x は {_factor:.4g} 倍、f はその 2 乗の {_factor ** 2:.4g} 倍")
else:
    say("not quite: x - lr * 2x = (1 - 2 lr) x", "惜しい: x - η 2x = (1 - 2η) x です")"""),
]

DLFS5 = [
    ("md", """# Backpropagation, checked by numerical gradients (Deep Learning from Scratch, ch. 5)

This notebook accompanies chapter 5 of *Deep Learning from Scratch*: layers that keep their forward
and backward passes side by side, and the **gradient check** that compares backpropagation with
the numerical gradient of chapter 4 (seed 002 studies the same network).""",
     """# 誤差逆伝播法と数値微分による勾配確認 (ゼロから作るDeep Learning 第 5 章)

このノートブックは『ゼロから作るDeep Learning』第 5 章に対応しています。順伝播と逆伝播を並べて持つレイヤと、
誤差逆伝播法の結果を第 4 章の数値微分と比べる**勾配確認**を見ていきます (学習ノート 002 も同じネットワークを扱います)。"""),
    ("code", SETUP),
    ("md", """## One layer, forward and backward

The sigmoid layer remembers its output y and passes `dout * y * (1 - y)` back. At 0 the slope is 1/4,
and the numerical derivative agrees:""",
     """## 1 つのレイヤの順伝播と逆伝播

Sigmoid レイヤは出力 y を覚えておき、`dout * y * (1 - y)` を逆に流します。x = 0 での傾きは 1/4 で、
数値微分も同じ値になります:"""),
    ("code", """from descend import nn

s = nn.Sigmoid()
y = s.forward(np.array([0.0, 2.0]))
y, s.backward(np.ones(2)), descend.derivative(descend.sigmoid, 0.0)"""),
    ("md", """## A two-layer network and the gradient check

`nn.check_gradients` perturbs every weight and bias, compares the numerical gradient with the one
backpropagation gives, and reports the largest relative error (about 1e-10 here: backprop is right):""",
     """## 2 層ネットワークと勾配確認

`nn.check_gradients` はすべての重みとバイアスを少しずつ動かして数値勾配を求め、誤差逆伝播法の勾配と比べて、
最大の相対誤差を報告します (ここでは約 1e-10 で、逆伝播は正しく計算されています):"""),
    ("code", """from descend import datasets

digits = datasets.digits()
model = nn.mlp([64, 20, 10], activation="sigmoid", rng=0, dtype=np.float64)
report = nn.check_gradients(model, "cross_entropy", digits.X_train[:3].astype(np.float64), digits.y_train[:3])
{name: (r.passed, f"{r.max_rel_error:.0e}") for name, r in report.items()}"""),
    ("md", """A wrong backward pass is caught at once. `descend.check_grad` compares any gradient with central
differences; here the chain rule through tanh is forgotten in the second one:""",
     """逆伝播が間違っていればすぐに見つかります。`descend.check_grad` は任意の勾配を中心差分と比べます。
2 つ目の勾配では tanh を通る連鎖律を忘れています:"""),
    ("code", """f = lambda w: np.sum(np.tanh(w) ** 2)
right = lambda w: 2 * np.tanh(w) * (1 - np.tanh(w) ** 2)
wrong = lambda w: 2 * np.tanh(w)          # forgot d tanh / dw = 1 - tanh^2
w = np.array([0.3, -1.2, 2.0])
[(c.passed, f"{c.max_rel_error:.0e}") for c in (descend.check_grad(f, right, w), descend.check_grad(f, wrong, w))]"""),
    ("md", """## Training on the digits

With a correct gradient, mini-batch SGD learns the 8x8 digits in a few epochs:""",
     """## 手書き数字での学習

勾配が正しければ、ミニバッチの SGD で 8x8 の手書き数字を数エポックで学習できます:"""),
    ("code", """hist = descend.train(model, digits.X_train, digits.y_train, loss="cross_entropy", optimizer="sgd", lr=0.5,
                     batch_size=100, epochs=3, seed=0, validation=(digits.X_test, digits.y_test),
                     metrics=["accuracy"], progress=False)
[f"{a:.1%}" for a in hist.epochs["val_accuracy"]]"""),
    ("code", PLOTS),
    ("code", """show(plot.loss_curves([hist], labels=["SGD, lr 0.5"], per="both", log=True))"""),
    ("md", f"""**Play with it.** A small network on a 2-D data set, trained by `descend.train`'s layers in this
kernel: change its `config` (hidden widths, activation, optimizer, lr), run the cell again, and read
the numbers in `net.results`. {TRY_EN}""",
     f"""**動かしてみましょう.** 2 次元のデータで小さなネットワークを学習させます (このカーネルの descend の層)。
`config` (隠れ層の幅、活性化関数、最適化手法、学習率) を変えてセルを再実行し、`net.results` で数値を読みましょう。{TRY_JA}"""),
    ("code", """from descend.widgets import Training, static_pictures

static_pictures(True)   # the saved notebook keeps a picture of each widget for readers without a kernel
net = Training({"dataset": "moons", "n": 200, "hidden": [8], "activation": "tanh", "optimizer": "adam", "lr": 0.05},
               epochs=20, lang=LANG)
net"""),
    ("md", """**Exercise.** What is the derivative of the sigmoid at x = 0? Put it in `answer`
(use the backward pass above, or `y * (1 - y)`).""",
     """**練習.** x = 0 でのシグモイド関数の微分はいくつでしょう? `answer` に入れてください
(上の逆伝播か `y * (1 - y)` を使いましょう)。"""),
    ("exercise", """answer = None   # your answer""", """answer = 0.5 * (1 - 0.5)"""),
    ("check", """_d = float(descend.derivative(descend.sigmoid, 0.0))
if answer is None:
    say("not answered yet: the sigmoid's output at 0 is 0.5", "まだ答えがありません: x = 0 でのシグモイド関数の出力は 0.5 です")
elif abs(answer - _d) < 1e-6:
    say(f"correct: y (1 - y) = 0.25 at y = 0.5; the central difference gives {_d:.12f}",
        f"正解: y = 0.5 で y (1 - y) = 0.25。中心差分では {_d:.12f}")
else:
    say("not quite: y (1 - y) with y = sigmoid(0) = 0.5", "惜しい: y = sigmoid(0) = 0.5 として y (1 - y) です")"""),
]

DLFS6 = [
    ("md", """# The optimizers (Deep Learning from Scratch, ch. 6)

This notebook accompanies chapter 6 of *Deep Learning from Scratch* and seed 003: SGD, Momentum,
AdaGrad, RMSProp and Adam on the book's `f(x, y) = x^2/20 + y^2` from (-7, 2) with the book's
learning rates (the book's figure 6-8), then a **fair** comparison, each optimizer with its own
tuned lr and many starts.""",
     """# 最適化手法 (ゼロから作るDeep Learning 第 6 章)

このノートブックは『ゼロから作るDeep Learning』第 6 章と学習ノート 003 に対応しています。本の
`f(x, y) = x^2/20 + y^2` で、(-7, 2) から本の学習率を使って SGD、Momentum、AdaGrad、RMSProp、Adam を比べ
(本の図 6-8)、次に手法ごとに学習率を調整し、多数の初期値で**公平な**比較をします。"""),
    ("code", SETUP),
    ("code", PLOTS),
    ("md", """## The book's race

30 steps each; SGD zigzags across the valley, Momentum overshoots along it, AdaGrad slows the steep
coordinate at once, Adam does a bit of both:""",
     """## 本の比較

各 30 ステップ。SGD は谷を横切ってジグザグに進み、Momentum は谷に沿って行き過ぎ、AdaGrad は急な座標をすぐに
遅くし、Adam はその両方を少しずつ行います:"""),
    ("code", """race = descend.compare("elongated_bowl", ["sgd", "momentum", "adagrad", "rmsprop", "adam"], steps=30)
race"""),
    ("md", """The book's figure 6-8, one panel per optimizer (the same lrs: SGD 0.95, Momentum 0.1, AdaGrad 1.5,
Adam 0.3):""", """本の図 6-8 を、手法ごとに 1 枚ずつ再現します (学習率も同じ: SGD 0.95、Momentum 0.1、AdaGrad 1.5、
Adam 0.3):"""),
    ("code", """import matplotlib.pyplot as plt

fig, axes = plt.subplots(2, 2, figsize=(9, 7))
for ax, name in zip(axes.flat, ["sgd", "momentum", "adagrad", "adam"]):
    plot.trajectories(race.problem, race.results[name], ax=ax, legend=False, title=name.upper() if name == "sgd"
                      else {"momentum": "Momentum", "adagrad": "AdaGrad", "adam": "Adam"}[name])
fig.tight_layout()
show(fig)"""),
    ("md", f"""**Play with it.** The same race, live: click the landscape for a new start (or drag the circle),
move each optimizer's learning rate, replay the steps; `race_view.results` gives the runs on screen
as descend `Result`s. {TRY_EN}""",
     f"""**動かしてみましょう.** 同じ競争をライブで: 図をクリックすると新しい出発点になり (円はドラッグできます)、
各手法の学習率を動かし、ステップを再生できます。`race_view.results` で画面上の実行結果を descend の `Result`
として読めます。{TRY_JA}"""),
    ("code", """from descend.widgets import Landscape, static_pictures

static_pictures(True)   # the saved notebook keeps a picture of each widget for readers without a kernel
race_view = Landscape("elongated_bowl", steps=30, lang=LANG,
                      optimizers=[{"optimizer": "sgd", "lr": 0.95}, {"optimizer": "momentum", "lr": 0.1},
                                  {"optimizer": "adagrad", "lr": 1.5}, {"optimizer": "adam", "lr": 0.3}])
race_view"""),
    ("md", """## What goes on inside AdaGrad

AdaGrad divides each coordinate's step by the root of its running sum of squared gradients;
the sum grows fastest on the steep coordinate:""",
     """## AdaGrad の内部

AdaGrad は座標ごとのステップを勾配の 2 乗の累積和の平方根で割ります。急な座標ほど和が速く増えます:"""),
    ("code", """trace = plot.record("elongated_bowl", "adagrad", steps=30, lr=1.5)
trace.state["sum"][-1]"""),
    ("md", """## A fair comparison

The book's lrs were picked by hand for one start. `descend.benchmark_optimizers` tunes each
optimizer's lr on the same budget of gradient evaluations and counts how often each reaches the
minimum from 10 random starts:""",
     """## 公平な比較

本の学習率は 1 つの初期値に合わせて手で選ばれています。`descend.benchmark_optimizers` は同じ勾配評価回数の
予算で手法ごとに学習率を調整し、10 個のランダムな初期値のうち何回最小点に到達したかを数えます:"""),
    ("code", """bench = descend.benchmark_optimizers(["elongated_bowl"], ["sgd", "momentum", "adagrad", "adam"], budget=200,
                                     starts=10, seeds=[0], lrs=list(np.logspace(-3, 0.5, 8)))
[(r["optimizer"], float(r["lr"]), f"{r['success_rate']:.0%}") for r in bench.summary_rows]"""),
    ("md", """**Exercise.** Which optimizer ends closest to the minimum in the book's race above?
Put its name in `answer` (look at `race`).""",
     """**練習.** 上の本の比較で、最小点に最も近づいた手法はどれでしょう? `answer` に名前を入れてください
(`race` を見ましょう)。"""),
    ("exercise", """answer = None   # your answer, e.g. "sgd\"""",
     """answer = min(race, key=lambda row: row["distance"])["optimizer"]"""),
    ("check", """_best = min(race, key=lambda row: row["distance"])["optimizer"]
if answer is None:
    say("not answered yet: the column 'distance' of race says how far each one ended",
        "まだ答えがありません: race の distance の列が、それぞれの終点と最小点の距離です")
elif answer == _best:
    say(f"correct: {_best}", f"正解: {_best}")
else:
    say("not quite: sort race by its distance to the minimum", "惜しい: race を最小点までの距離で並べましょう")"""),
]

GOODFELLOW4 = [
    ("md", """# Numerical computation (Goodfellow, Bengio and Courville, Deep Learning, 4.1 to 4.5)

This notebook accompanies chapter 4 of *Deep Learning* (Goodfellow et al.) and seed 001's notes
on it: overflow and underflow (4.1), poor conditioning (4.2), gradient-based optimization and line
search (4.3), and linear least squares (4.5).""",
     """# 数値計算 (Goodfellow ほか『深層学習』4.1 から 4.5)

このノートブックは『深層学習』(Goodfellow ほか) 第 4 章と、それを読んだ学習ノート 001 に対応しています。
オーバーフローとアンダーフロー (4.1)、悪条件 (4.2)、勾配に基づく最適化と直線探索 (4.3)、
線形最小二乗法 (4.5) を見ていきます。"""),
    ("code", SETUP),
    ("md", """## 4.1 Overflow and underflow

`exp(1000)` overflows to inf and `exp(-1000)` underflows to 0, so the naive softmax gives nan;
subtracting `max(x)` first changes nothing mathematically and fixes it:""",
     """## 4.1 オーバーフローとアンダーフロー

`exp(1000)` は inf にオーバーフローし、`exp(-1000)` は 0 にアンダーフローするので、素朴なソフトマックス関数は
nan になります。先に `max(x)` を引いても数学的には何も変わらず、これで解決します:"""),
    ("code", """x = np.full(5, 1000.0)
with np.errstate(all="ignore"):          # the naive formula overflows: inf / inf
    naive = np.exp(x) / np.exp(x).sum()
naive, descend.softmax(x), descend.softmax(-x)"""),
    ("md", """## 4.2 Poor conditioning

The condition number is the ratio of the largest to the smallest singular value. On a quadratic
with condition number kappa, gradient descent needs about kappa times more steps:""",
     """## 4.2 悪条件

条件数は最大特異値と最小特異値の比です。条件数 kappa の 2 次関数では、勾配降下法に約 kappa 倍のステップが
必要になります:"""),
    ("code", """descend.condition_number(np.array([[1, 0, -1], [0, 1, 0], [1, 0, 1]]))"""),
    ("code", """steps = {k: descend.minimize(problems.get("ill_conditioned", kappa=k), lr=1 / k, steps=5000, gtol=1e-6).nit
         for k in (1.0, 10.0, 100.0)}
steps"""),
    ("md", f"""**Play with it.** The lr on the elongated bowl: the final f after 100 steps against lr, and the
bound 2/L set by the largest curvature L. Past it gradient descent diverges; well below it, it crawls
along the flat direction. Change the grid of lrs or add an optimizer. {TRY_EN}""",
     f"""**動かしてみましょう.** 細長いお椀での学習率: 100 ステップ後の f を学習率に対して描き、最大の曲率 L が決める
上限 2/L を示します。それを超えると勾配降下法は発散し、ずっと下では平らな方向にゆっくりとしか進みません。
学習率の範囲を変えたり、手法を加えたりしてみましょう。{TRY_JA}"""),
    ("code", """from descend.widgets import LearningRate, static_pictures

static_pictures(True)   # the saved notebook keeps a picture of each widget for readers without a kernel
LearningRate("elongated_bowl", optimizers=["gd", "momentum"], steps=100, lang=LANG,
             lrs={"min": 1e-3, "max": 3.0, "points": 25})"""),
    ("md", """## 4.3 Gradient descent and line search

With a fixed lr, the seed's least-squares problem stops after 493 steps at the tolerance 0.01;
an exact line search picks each step along -grad and needs one:""",
     """## 4.3 勾配降下法と直線探索

学習率を固定すると、学習ノートの最小二乗法は許容誤差 0.01 で 493 ステップ後に停止します。厳密な直線探索は
-勾配の向きに沿って毎回のステップ幅を選び、1 ステップで済みます:"""),
    ("code", """ls = problems.get("least_squares")
gd = descend.minimize(ls, lr=0.01, steps=10_000, gtol=0.01)
exact = descend.minimize(ls, steps=100, gtol=0.01, line_search="exact")
gd.nit, gd.history.x[-2], exact.nit"""),
    ("code", PLOTS),
    ("code", """show(plot.trajectories(ls, [gd, exact], labels=["lr 0.01", "exact line search"], title="|Ax - b|^2 / 2"))"""),
    ("md", """## 4.5 Linear least squares

`f(x) = |Ax - b|^2 / 2` has the gradient `A^T (Ax - b)`; its minimizer solves the normal equations.
Gradient descent gets there too, only more slowly:""",
     """## 4.5 線形最小二乗法

`f(x) = |Ax - b|^2 / 2` の勾配は `A^T (Ax - b)` で、最小点は正規方程式の解です。勾配降下法でも、
時間はかかりますが同じ点に着きます:"""),
    ("code", """rng = np.random.default_rng(0)
A, b = rng.normal(size=(20, 3)), rng.normal(size=20)
f = lambda x: 0.5 * np.sum((A @ x - b) ** 2, axis=-1)
grad = lambda x: (A @ x - b) @ A
x_gd = descend.minimize(f, np.zeros(3), grad=grad, lr=0.02, steps=2000).x
np.allclose(x_gd, np.linalg.lstsq(A, b, rcond=None)[0], atol=1e-8)"""),
    ("md", """**Exercise.** What is the condition number of `diag(1, 10, 100)`? Put it in `answer`.""",
     """**練習.** `diag(1, 10, 100)` の条件数はいくつでしょう? `answer` に入れてください。"""),
    ("exercise", """answer = None   # your answer""", """answer = 100 / 1"""),
    ("check", """_k = float(descend.condition_number(np.diag([1, 10, 100])))
if answer is None:
    say("not answered yet: the largest singular value over the smallest", "まだ答えがありません: 最大特異値 ÷ 最小特異値です")
elif abs(answer - _k) <= 1e-9 * _k:
    say(f"correct: {_k:g}", f"正解: {_k:g}")
else:
    say("not quite: for a diagonal matrix the singular values are the |entries|", "惜しい: 対角行列の特異値は対角成分の絶対値です")"""),
]

DLFS_CURVATURE = [
    ("md", """# The curvature of a network: the edge of stability and loss landscapes

This notebook goes past chapter 6 of *Deep Learning from Scratch* (choosing the learning rate) with
Goodfellow et al., *Deep Learning*, 4.3: on a quadratic, gradient descent is stable only while the
learning rate is below 2/L, L the largest eigenvalue of the Hessian. On a network that eigenvalue, the
**sharpness**, changes as it trains. Full-batch gradient descent drives it up (progressive sharpening)
until it reaches 2/lr, then it hovers there while the loss keeps falling, not monotonically: the **edge
of stability** (Cohen et al., ICLR 2021). Then the **loss landscape** along the line from the initial to
the trained weights (Goodfellow, Vinyals and Saxe, ICLR 2015) and on the plane of the run (Li et al.,
NeurIPS 2018). Every number below is computed by `descend.curvature` when the notebook runs.""",
     """# ネットワークの曲率: 安定性の限界 (Edge of Stability) と損失地形

このノートブックは『ゼロから作るDeep Learning』第 6 章 (学習率の選び方) の先へ、『深層学習』(Goodfellow ほか)
4.3 とともに進みます。2 次関数では、勾配降下法が安定なのは学習率が 2/L (L はヘッセ行列の最大固有値) より小さい
ときだけです。ネットワークではこの固有値、**シャープネス**が学習とともに変わります。バッチ勾配降下法はシャープネスを
2/lr に達するまで押し上げ (漸進的シャープ化, progressive sharpening)、その後はそこにとどまり、損失は単調ではなく
下がり続けます: **安定性の限界** (Edge of Stability, Cohen ほか, ICLR 2021)。続いて、初期の重みから学習後の重みへの
直線上 (Goodfellow, Vinyals, Saxe, ICLR 2015) と学習の軌跡の平面上 (Li ほか, NeurIPS 2018) の**損失地形**を見ます。
以下の数値はすべて、ノートブックを実行したときに `descend.curvature` が計算したものです。"""),
    ("code", SETUP),
    ("md", """## The sharpness of a small network

`curvature.eigenvalues` finds the top eigenvalues of the loss's Hessian by Lanczos iterations over
Hessian-vector products (the R-operator of each layer: the Hessian itself is never formed). A tanh
network on 1,000 digits with the MSE loss against one-hot targets, at its initial weights:""",
     """## 小さなネットワークのシャープネス

`curvature.eigenvalues` は、ヘッセ行列ベクトル積 (各層の R 演算子。ヘッセ行列そのものは作りません) による
Lanczos 法で損失のヘッセ行列の大きい固有値を求めます。手書き数字 1,000 枚、one-hot の目標値への MSE の
損失関数で、tanh のネットワークの初期の重みでは:"""),
    ("code", """from descend import curvature, datasets, nn

data = datasets.digits(seed=0)
X = np.concatenate([data.X_train, data.X_test])[:1000]
Y = np.eye(10)[np.concatenate([data.y_train, data.y_test])[:1000]]   # one-hot targets for the MSE
loss = nn.MSELoss()
model = nn.mlp([64, 32, 10], activation="tanh", init=0.1, rng=0, dtype="float64")
top = curvature.eigenvalues(model, loss, X, Y, k=3, seed=0)
[f"{v:.3f}" for v in top.eigenvalues]"""),
    ("md", """## The edge of stability

`curvature.edge_of_stability` trains this network from these weights by full-batch gradient descent at
two learning rates, measuring the sharpness every 20 steps:""",
     """## 安定性の限界

`curvature.edge_of_stability` は、このネットワークをこの重みから 2 つの学習率のバッチ勾配降下法で学習し、
20 ステップごとにシャープネスを測ります:"""),
    ("code", """edge = curvature.edge_of_stability(lrs=(0.7, 0.9), steps=1000)
for run in edge.runs:
    s = run.summary()
    say(f"lr {s['lr']:g}: sharpness {s['sharpness_first']:.2f} -> reaches 2/lr = {s['threshold']:.3f} at step "
        f"{s['reached']}, then {s['settled']:.2f} x 2/lr; loss {s['loss_first']:.3f} -> {s['loss_last']:.3f} "
        f"with {s['loss_increases']} upward steps",
        f"lr {s['lr']:g}: シャープネス {s['sharpness_first']:.2f} -> ステップ {s['reached']} で 2/lr = "
        f"{s['threshold']:.3f} に達し、その後は 2/lr の {s['settled']:.2f} 倍; 損失 {s['loss_first']:.3f} -> "
        f"{s['loss_last']:.3f}、上がったステップ {s['loss_increases']} 回")"""),
    ("code", PLOTS),
    ("code", """import matplotlib.pyplot as plt

words = {"en": ("step", "sharpness", "loss", "the sharpness rises to 2/lr and stays", "the loss falls, not monotonically"),
         "ja": ("ステップ", "シャープネス", "損失", "シャープネスは 2/lr まで増えてとどまる", "損失は単調ではなく下がる")}[LANG]
fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4))
for k, run in enumerate(edge.runs):
    a.plot(run.steps, run.sharpness, color=f"C{k}", label=f"lr = {run.lr:g}")
    a.axhline(run.threshold, color=f"C{k}", linestyle="--", linewidth=1, label=f"2/lr = {run.threshold:.3g}")
    b.plot(run.loss, color=f"C{k}", linewidth=0.8, label=f"lr = {run.lr:g}")
a.set(xlabel=words[0], ylabel=words[1], title=words[3])
b.set(xlabel=words[0], ylabel=words[2], yscale="log", title=words[4])
a.legend(); b.legend();"""),
    ("md", """On a quadratic, a learning rate above 2/L diverges. Here the sharpness stops at 2/lr instead: each
time it goes past, the loss jumps up for a few steps and the sharpness falls back.""",
     """2 次関数なら、学習率が 2/L を超えると発散します。ここではシャープネスが 2/lr で止まります: 超えるたびに損失が
数ステップ跳ね上がり、シャープネスは元に戻ります。"""),
    ("md", """## Loss landscapes

Train the same network for 600 steps at lr 0.6, keeping the weights every 20 steps. The loss on the
line from the initial to the trained weights, and on the plane of the run's two principal directions
(`curvature.pca_directions`) with the run projected onto it:""",
     """## 損失地形

同じネットワークを lr 0.6 で 600 ステップ学習し、20 ステップごとに重みを保存します。初期の重みから学習後の重みへの
直線上の損失と、学習の軌跡の 2 つの主成分方向 (`curvature.pca_directions`) の平面上の損失と、その平面に射影した
軌跡を描きます:"""),
    ("code", """model = nn.mlp([64, 32, 10], activation="tanh", init=0.1, rng=0, dtype="float64")
trajectory = [{k: p.copy() for k, p in model.params.items()}]


def keep(epoch, logs):
    if epoch % 20 == 0:
        trajectory.append({k: p.copy() for k, p in model.params.items()})


hist = descend.train(model, X, Y, loss=loss, optimizer="sgd", lr=0.6, batch_size=None, epochs=600, seed=0,
                     callbacks=[keep], progress=False)
line = curvature.interpolate(model, loss, X, Y, trajectory[0], trajectory[-1])
d1, d2, explained = curvature.pca_directions(trajectory)
plane = curvature.surface(model, loss, X, Y, d1, d2, span=3.5, points=21, trajectory=trajectory)
say(f"{len(trajectory)} weight vectors; the two directions hold {explained.sum():.1%} of the run's movement",
    f"{len(trajectory)} 個の重み; 2 つの方向が軌跡の動きの {explained.sum():.1%} を占める")"""),
    ("code", """words = {"en": ("a: (1 - a) initial + a trained", "loss", "direction 1", "direction 2", "the run"),
         "ja": ("a: (1 - a) 初期 + a 学習後", "損失", "方向 1", "方向 2", "学習の軌跡")}[LANG]
fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4))
a.plot(line.alphas, line.loss, marker=".")
a.set(xlabel=words[0], ylabel=words[1], yscale="log")
cs = b.contourf(plane.a, plane.b, plane.loss, levels=20, cmap="viridis")
fig.colorbar(cs, ax=b, label=words[1])
b.plot(plane.path[:, 0], plane.path[:, 1], color="white", marker=".", label=words[4])
b.set(xlabel=words[2], ylabel=words[3])
b.legend();"""),
    ("md", """**Exercise.** At the initial weights the sharpness is `edge.runs[0].sharpness[0]`. What is the largest
learning rate for which gradient descent is still stable there (the quadratic model's answer)? Put it in
`answer`.""",
     """**練習.** 初期の重みでのシャープネスは `edge.runs[0].sharpness[0]` です。そこで勾配降下法が安定な最大の
学習率は (2 次関数のモデルでは) いくつでしょう? `answer` に入れてください。"""),
    ("exercise", """answer = None   # your answer""", """answer = 2 / edge.runs[0].sharpness[0]"""),
    ("check", """_lr = 2 / float(edge.runs[0].sharpness[0])
if answer is None:
    say("not answered yet: stable while lr < 2 / sharpness", "まだ答えがありません: lr < 2 / シャープネス なら安定です")
elif abs(answer - _lr) <= 1e-3 * _lr:
    say(f"correct: 2 / {2 / _lr:.3f} = {_lr:.3f}", f"正解: 2 / {2 / _lr:.3f} = {_lr:.3f}")
else:
    say("not quite: the edge is where lr times the sharpness is 2", "惜しい: lr とシャープネスの積が 2 になるところが限界です")"""),
]

CHAPTERS = {
    "dlfs4_numerical_differentiation": DLFS4,
    "dlfs5_backprop": DLFS5,
    "dlfs6_optimizers": DLFS6,
    "goodfellow4_numerical_computation": GOODFELLOW4,
    "dlfs_curvature": DLFS_CURVATURE,
}

#: the notebooks this script writes: file name -> (chapter, language)
NOTEBOOKS = {f"{stem}{'' if lang == 'en' else '_' + lang}.ipynb": (stem, lang)
             for stem in CHAPTERS for lang in ("en", "ja")}


def build(name: str) -> nbformat.NotebookNode:
    """The notebook ``name`` without outputs."""
    stem, lang = NOTEBOOKS[name]
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.metadata["descend"] = {"chapter": stem, "lang": lang}
    for i, spec in enumerate(CHAPTERS[stem]):
        kind = spec[0]
        if kind == "md":
            cell = new_markdown_cell(spec[1] if lang == "en" else spec[2])
        elif kind == "code":
            cell = new_code_cell(SETUP.format(lang=lang) if spec[1] == SETUP else spec[1])
        elif kind == "exercise":
            cell = new_code_cell(spec[1])
            cell.metadata["tags"] = ["exercise"]
            cell.metadata["solution"] = spec[2]
        else:  # check: hidden in Jupyter, run after the exercise
            cell = new_code_cell(spec[1])
            cell.metadata["tags"] = ["check"]
            cell.metadata["jupyter"] = {"source_hidden": True}
        cell["id"] = f"{stem.replace('_', '-')}-{lang}-{i:02d}"  # stable ids: reproducible files
        nb.cells.append(cell)
    nbformat.validate(nb)
    return nb


def sources(nb) -> list:
    """What the script owns in a notebook: each cell's type, source and metadata (outputs aside)."""
    return [(c.cell_type, c.source, dict(c.metadata)) for c in nb.cells]


def execute(nb, *, cwd: pathlib.Path, timeout: int = 120):
    """Run ``nb`` in a fresh kernel that imports this checkout's descend; returns it with its outputs."""
    from nbclient import NotebookClient

    env_path = str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")
    os.environ["PYTHONPATH"] = env_path
    os.environ.pop("MPLBACKEND", None)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                            store_widget_state=False, resources={"metadata": {"path": str(cwd)}})
    client.execute()
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        for out in cell.get("outputs", []):
            # a widget's view needs its kernel: the saved notebook keeps its static picture (static_pictures)
            # and text, which GitHub, nbviewer and JupyterLab before the cell runs again all show
            out.get("data", {}).pop(WIDGET_VIEW, None)
    return nb


#: The mime type of a live widget's view in a cell's output.
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="only compare the cells; exit 1 on a difference")
    ap.add_argument("--no-execute", action="store_true", help="write the notebooks without running them")
    ap.add_argument("--out", type=pathlib.Path, default=EXAMPLES, help="folder (default: examples/)")
    ap.add_argument("names", nargs="*", help="only these notebooks (file names; default: every one)")
    args = ap.parse_args(argv)
    unknown = [n for n in args.names if n not in NOTEBOOKS]
    if unknown:
        ap.error(f"unknown notebook {unknown[0]!r}; valid: {', '.join(NOTEBOOKS)}")
    args.out.mkdir(parents=True, exist_ok=True)
    stale = []
    for name in args.names or NOTEBOOKS:
        nb = build(name)
        path = args.out / name
        if args.check:
            if not path.exists() or sources(nbformat.read(path, as_version=4)) != sources(nb):
                stale.append(name)
            continue
        if not args.no_execute:
            import tempfile

            with tempfile.TemporaryDirectory() as tmp:
                nb = execute(nb, cwd=pathlib.Path(tmp))
        path.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")
    if stale:
        print("out of date (run python scripts/make_notebooks.py):", ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
