"""The tour's strings (:mod:`descend.tour`): part of the one catalogue, :data:`descend.i18n.CATALOGUE`.

Terms follow the Japanese of the books the seeds study (see the package docstring);
method names (SGD, Momentum, AdaGrad, RMSProp, Adam, Adadelta) stay in Latin letters,
as the books write them.  ``{fields}`` hold numbers the tour computes.  English plot titles may use matplotlib
mathtext (``$...$``); Japanese ones write the maths in Unicode (κ, ∇, ‖, ², ₀) instead,
because a mathtext string draws its plain text in the mathtext font, which has no kana.
"""

from __future__ import annotations


def _m(en: str, ja: str) -> dict:
    return {"en": en, "ja": ja}


TOUR = {
    # ------------------------------------------------------------------ 1 softmax
    "tour.softmax.title": _m("Overflow, underflow and the stable softmax",
                             "オーバーフロー、アンダーフローと安定したソフトマックス関数"),
    "tour.softmax.text": _m(
        "exp(1000) overflows to inf (inf/inf = nan) and exp(-1000) underflows to 0 (0/0 = nan). "
        "Subtracting max(x) first leaves the answer unchanged and makes every exponent <= 0.",
        "exp(1000) は inf にオーバーフローし (inf/inf = nan)、exp(-1000) は 0 にアンダーフローします (0/0 = nan)。"
        "先に max(x) を引いても答えは変わらず、指数はすべて 0 以下になります。"),
    "tour.softmax.table.equal": _m("softmax of five equal entries c (seed 001)",
                                   "5 つの等しい要素 c のソフトマックス (学習ノート 001)"),
    "tour.softmax.col.input": _m("input", "入力"),
    "tour.softmax.col.naive": _m("naive exp(x)/sum", "素朴な exp(x)/sum"),
    "tour.softmax.table.limits": _m("where float64 runs out", "float64 の限界"),
    "tour.softmax.limit.max": _m("largest float64", "float64 の最大値"),
    "tour.softmax.limit.overflow": _m("x where exp(x) overflows: log(max)", "exp(x) がオーバーフローする x: log(max)"),
    "tour.softmax.limit.tiny": _m("smallest positive float64 (subnormal), 2^-1074",
                                  "float64 の最小の正の数 (非正規化数), 2^-1074"),
    "tour.softmax.limit.underflow": _m("x below which exp(x) rounds to 0: log(2^-1075)",
                                       "これより小さいと exp(x) が 0 に丸められる x: log(2^-1075)"),
    "tour.softmax.table.lse": _m("log(exp(c) + exp(c)): naive against descend.logsumexp (exact: c + log 2)",
                                 "log(exp(c) + exp(c)): 素朴な計算と descend.logsumexp (厳密解: c + log 2)"),
    "tour.softmax.col.naive_lse": _m("naive log(sum(exp))", "素朴な log(sum(exp))"),
    "tour.softmax.plot.exp": _m("np.exp(x) in float64", "float64 での np.exp(x)"),
    "tour.softmax.plot.overflow": _m("overflow: inf", "オーバーフロー: inf"),
    "tour.softmax.plot.underflow": _m("underflow: 0", "アンダーフロー: 0"),
    "tour.softmax.plot.exp_title": _m("exp(x) leaves float64 beyond {hi} and below {lo}",
                                      "exp(x) は {hi} より上と {lo} より下で float64 の範囲を外れる"),
    "tour.softmax.plot.stable": _m("descend.softmax (x - max(x) first)", "descend.softmax (先に x - max(x))"),
    "tour.softmax.plot.naive": _m("naive exp(x) / sum exp(x)", "素朴な exp(x) / sum exp(x)"),
    "tour.softmax.plot.ylabel": _m("largest entry of softmax(c + [1, 2, 3, 4, 5])",
                                   "softmax(c + [1, 2, 3, 4, 5]) の最大要素"),
    "tour.softmax.plot.nan_title": _m("the naive formula gives nan once exp overflows or underflows",
                                      "素朴な式は exp がオーバーフローかアンダーフローすると nan になる"),
    "tour.softmax.caption": _m(
        "Left: exp(x) in float64, with the regions where it overflows to inf and underflows to 0. "
        "Right: the largest entry of softmax(c + [1..5]) as c moves; the stable formula gives the "
        "same {value} everywhere; the naive one turns to nan once exp(c + 5) overflows or every exp(c + k) "
        "underflows, and just before that, among subnormal numbers, it drifts to 1.",
        "左: float64 での exp(x)。inf へのオーバーフローと 0 へのアンダーフローが起きる範囲を色で示します。"
        "右: c を動かしたときの softmax(c + [1..5]) の最大要素。安定な式はどこでも同じ {value} ですが、"
        "素朴な式は exp(c + 5) がオーバーフローするか、すべての exp(c + k) がアンダーフローすると nan になり、"
        "その直前の非正規化数の範囲では 1 へずれていきます。"),
    # ------------------------------------------------------------------ 2 conditioning
    "tour.conditioning.title": _m("Conditioning", "条件数と悪条件"),
    "tour.conditioning.text": _m(
        "The condition number is the ratio of the largest to the smallest singular value. "
        "For a quadratic it is how much more the steepest direction curves than the flattest: the lr must "
        "suit the steepest one, so the flat one crawls, and plain gradient descent needs about kappa times "
        "more steps.",
        "条件数は最大特異値と最小特異値の比で、これが大きい問題を悪条件 (条件が悪い) といいます。2 次関数では、最も急な方向が最も平らな方向の何倍曲がっているかを表します。"
        "学習率は最も急な方向に合わせなければならないので、平らな方向はほとんど進まず、"
        "素朴な勾配降下法では約 kappa 倍のステップ数が必要になります。"),
    "tour.conditioning.table.numbers": _m("condition numbers (seed 001)", "条件数 (学習ノート 001)"),
    "tour.conditioning.col.matrix": _m("matrix", "行列"),
    "tour.conditioning.col.kappa": _m("condition number", "条件数"),
    "tour.conditioning.table.runs": _m(
        "gradient descent on a quadratic with condition number kappa (lr = 1/L = 1/kappa, the eigenvalues "
        "running from 1 to kappa; gtol 1e-6)",
        "条件数 kappa の 2 次関数での勾配降下法 (学習率 = 1/L = 1/kappa、固有値は 1 から kappa; gtol 1e-6)"),
    "tour.conditioning.col.final_f": _m("final f", "最終的な f"),
    "tour.conditioning.plot.lr1": _m("lr = 1/L = 0.1", "学習率 = 1/L = 0.1"),
    "tour.conditioning.plot.lr19": _m("lr = 1.9/L = 0.19", "学習率 = 1.9/L = 0.19"),
    "tour.conditioning.plot.zig_title": _m(r"$\kappa = 10$: a larger lr zigzags across the valley",
                                           "κ = 10: 学習率が大きいと谷を横切ってジグザグに進む"),
    "tour.conditioning.plot.curve": _m("kappa = {kappa}, lr = {lr}", "kappa = {kappa}, 学習率 = {lr}"),
    "tour.conditioning.plot.curves_title": _m("f against step: about kappa times more steps",
                                              "ステップごとの f: 約 kappa 倍のステップが必要"),
    "tour.conditioning.caption": _m(
        "Left: gradient descent on f = (x0^2 + 10 x1^2)/2 from (10, 1), drawn to scale; with lr close to the "
        "stability limit 2/L (L = 10, the largest curvature) the steep coordinate overshoots at every step. "
        "Right: the loss against the step for condition numbers 1, 10 and 100.",
        "左: f = (x0^2 + 10 x1^2)/2 を (10, 1) から勾配降下法で最小化 (縦横の縮尺は同じ)。"
        "学習率が安定限界 2/L (L = 10 は最大の曲率) に近いと、急な座標は毎ステップ行き過ぎます。"
        "右: 条件数 1、10、100 でのステップごとの損失。"),
    # ------------------------------------------------------------------ 3 differentiation
    "tour.differentiation.title": _m("Numerical differentiation", "数値微分"),
    "tour.differentiation.text": _m(
        "f'(x) ≈ (f(x+h) − f(x−h)) / 2h. A smaller h cuts the truncation error (h for forward, h^2 for "
        "central) until round-off, about eps/h, takes over: each method has a best h. The complex step "
        "Im f(x+ih)/h subtracts nothing, so it has no round-off branch.",
        "f'(x) ≈ (f(x+h) - f(x-h)) / 2h。刻み幅 h を小さくすると打ち切り誤差 (前方差分では h、中心差分では h^2 に比例) "
        "は減りますが、やがて約 eps/h の丸め誤差が上回ります。どの方法にも最良の h があります。"
        "複素ステップ Im f(x+ih)/h は引き算をしない (桁落ちがない) ので、丸め誤差の枝がありません。"),
    "tour.differentiation.table.estimates": _m("derivative of e^x at 0 (exact: 1; seed 004)",
                                               "x = 0 での e^x の微分 (厳密解: 1; 学習ノート 004)"),
    "tour.differentiation.col.method": _m("method", "方法"),
    "tour.differentiation.col.h": _m("h", "刻み幅 h"),
    "tour.differentiation.col.estimate": _m("estimate", "推定値"),
    "tour.differentiation.method.central": _m("central", "中心差分"),
    "tour.differentiation.method.forward": _m("forward", "前方差分"),
    "tour.differentiation.method.backward": _m("backward", "後方差分"),
    "tour.differentiation.method.five-point": _m("five-point", "5 点公式"),
    "tour.differentiation.method.complex": _m("complex step", "複素ステップ"),
    "tour.differentiation.method.richardson": _m("Richardson", "リチャードソン補外"),
    "tour.differentiation.method.auto": _m("{method} (h chosen by descend)", "{method} (h は descend が選択)"),
    "tour.differentiation.chosen_h": _m("chosen: {h}", "自動: {h}"),
    "tour.differentiation.table.best": _m("best step for each method (error against h)",
                                          "方法ごとの最良の刻み幅 (h に対する誤差)"),
    "tour.differentiation.col.best_h": _m("best h", "最良の h"),
    "tour.differentiation.col.error": _m("error there", "そこでの誤差"),
    "tour.differentiation.plot.f": _m("f(x) = 0.01 x^2 + 0.1 x", "f(x) = 0.01 x^2 + 0.1 x"),
    "tour.differentiation.plot.tangent_title": _m("seed 001: a function and its tangent at x = 5",
                                                  "学習ノート 001: 関数と x = 5 での接線"),
    "tour.differentiation.plot.error_title": _m("error of the derivative of $e^x$ at 0 against $h$",
                                                "x = 0 での eˣ の微分の誤差と刻み幅 h"),
    "tour.differentiation.caption": _m(
        "Left: seed 001's f(x) = 0.01x^2 + 0.1x with its tangent at 5 (slope 0.2). Right: the error of "
        "each finite-difference method against h on log-log axes; dotted lines have the theoretical "
        "slopes (the order p on the right, -1 on the left), circles mark the best h.",
        "左: 学習ノート 001 の f(x) = 0.01x^2 + 0.1x と x = 5 での接線 (傾き 0.2)。右: 各差分法の誤差と刻み幅 h "
        "(両対数)。点線は理論上の傾き (右側は次数 p、左側は -1)、丸は最良の h です。"),
    # ------------------------------------------------------------------ 4 gradient field
    "tour.gradient_field.title": _m("The gradient field", "勾配ベクトル場"),
    "tour.gradient_field.text": _m(
        "The gradient collects the partial derivatives into one vector; minus the gradient points where f "
        "falls fastest. On a bowl every arrow points at the minimum; on a surface with several valleys the "
        "arrows lead to the nearest one, which need not be the lowest.",
        "勾配は偏微分を 1 つのベクトルにまとめたものです。勾配にマイナスをつけた向きが、f が最も速く減る向きです。"
        "お椀形の関数ではすべての矢印が最小点を指しますが、谷がいくつもある関数では矢印は最も近い谷へ向かい、"
        "それが最も低い谷とは限りません。"),
    "tour.gradient_field.table.gradient": _m("numerical gradient of f(x) = x0^2 + x1^2 (h = 1e-4; seed 001)",
                                             "f(x) = x0^2 + x1^2 の数値勾配 (h = 1e-4; 学習ノート 001)"),
    "tour.gradient_field.col.point": _m("point", "点"),
    "tour.gradient_field.col.central": _m("central differences", "中心差分"),
    "tour.gradient_field.col.exact": _m("exact 2x", "厳密解 2x"),
    "tour.gradient_field.table.partials": _m(
        "partial derivatives at (3, 4), h = 1e-4: the constant term changes the last digits",
        "(3, 4) での偏微分、h = 1e-4: 定数項によって最後の桁が変わる"),
    "tour.gradient_field.col.what": _m("what", "項目"),
    "tour.gradient_field.col.partial": _m("estimate (exact: 6 and 8)", "推定値 (厳密解: 6 と 8)"),
    "tour.gradient_field.partial.seed": _m("{what} (seed 001)", "{what} (学習ノート 001)"),
    "tour.gradient_field.plot.quiver_title": _m(r"seed 001: $-\nabla f$ of $x_0^2 + x_1^2$ (central differences, h = 1e-4)",
                                                "学習ノート 001: x₀² + x₁² の −∇f (中心差分, h = 1e-4)"),
    "tour.gradient_field.plot.himmelblau_title": _m("Himmelblau: each arrow points downhill, to its own valley",
                                                    "Himmelblau 関数: 矢印はそれぞれ近くの谷へ下る"),
    "tour.gradient_field.caption": _m(
        "Left: seed 001's quiver plot of -grad f for f = x0^2 + x1^2. Right: the directions of -grad f "
        "on Himmelblau's function with its four minima (stars).",
        "左: 学習ノート 001 の f = x0^2 + x1^2 の -勾配の矢印。右: Himmelblau 関数での -勾配の向きと 4 つの最小点 (星)。"),
    # ------------------------------------------------------------------ 5 gradient descent
    "tour.gradient_descent.title": _m("Gradient descent and the learning rate", "勾配降下法と学習率"),
    "tour.gradient_descent.text": _m(
        "x ← x − η ∇f(x), η the learning rate (lr). On f = x0² + x1² the gradient is 2x, so one step multiplies x by "
        "1 - 2 lr and f by its square: with lr 0.1 x shrinks by {x1} per step and f by {f1}; with 0.01 x by "
        "{x2} and f by {f2} (too slow); with 1.0 the factor is {x3}: each step jumps to the mirror point -x "
        "and never gets closer. Past lr = 1 = 2/L (L = 2, the curvature of x^2) every step overshoots "
        "further and the run diverges.",
        "x ← x - η ∇f(x)。f = x0^2 + x1^2 では勾配は 2x なので、1 ステップで x は 1 - 2η 倍、f はその 2 乗倍になります。"
        "学習率 0.1 では x は 1 ステップごとに {x1} 倍、f は {f1} 倍。0.01 では x は {x2} 倍、f は {f2} 倍 (遅すぎる)。"
        "1.0 では倍率は {x3} で、毎ステップ反対側の点 -x へ跳ぶだけで近づきません。"
        "学習率が 1 = 2/L (L = 2 は x^2 の曲率) を超えると、毎ステップさらに行き過ぎて発散します。"),
    "tour.gradient_descent.verdict.right": _m("right", "ちょうどよい"),
    "tour.gradient_descent.verdict.too small": _m("too small", "小さすぎる"),
    "tour.gradient_descent.verdict.too large": _m("too large", "大きすぎる"),
    "tour.gradient_descent.table.sphere": _m("f(x) = x0^2 + x1^2 from (-3, 4), 20 steps (seed 001)",
                                             "f(x) = x0^2 + x1^2、初期値 (-3, 4)、20 ステップ (学習ノート 001)"),
    "tour.gradient_descent.col.verdict": _m("verdict", "評価"),
    "tour.gradient_descent.table.parabola": _m("f(x) = x^2 + 1 from -3 (seed 002): too small, too large",
                                               "f(x) = x^2 + 1、初期値 -3 (学習ノート 002): 小さすぎる学習率と大きすぎる学習率"),
    "tour.gradient_descent.plot.run_title": _m("lr = {lr}: {verdict}", "学習率 = {lr}: {verdict}"),
    "tour.gradient_descent.plot.sweep_title": _m("$f(x) = x^2 + 1$, 100 steps from -3",
                                                 "f(x) = x² + 1、初期値 -3 から 100 ステップ"),
    "tour.gradient_descent.caption": _m(
        "The three runs of seed 001 from (-3, 4), 20 steps each, and the final f - f* of seed 002's "
        "f(x) = x^2 + 1 after 100 steps for 31 learning rates from 1e-9 to 10 (one batched run): "
        "too small barely moves, too large diverges (red crosses).",
        "学習ノート 001 の (-3, 4) からの 3 つの実行 (各 20 ステップ) と、学習ノート 002 の f(x) = x^2 + 1 を "
        "1e-9 から 10 までの 31 通りの学習率で 100 ステップ実行したあとの f - f* (1 回のバッチ実行)。"
        "小さすぎるとほとんど動かず、大きすぎると発散します (赤い×)。"),
    # ------------------------------------------------------------------ 6 line search
    "tour.line_search.title": _m("Line search and the tolerance stop", "直線探索と許容誤差による停止"),
    "tour.line_search.text": _m(
        "f(x) = |Ax - b|^2 / 2 with A = I and b = (1, 1) from (2, 2): stop when |grad| <= 0.01. "
        "The seed counts {nit} iterations and ends at {x}; a line search picks each step along -grad "
        "and gets there in far fewer. With A = I the exact step lands on the minimum at once; on an "
        "ill-conditioned quadratic even the exact step zigzags, each step at right angles to the last.",
        "f(x) = |Ax - b|^2 / 2 (A = I, b = (1, 1))、初期値 (2, 2): |勾配| <= 0.01 で停止します。"
        "学習ノートでは {nit} 回の反復で {x} に到達します。直線探索は -勾配の向きに沿って毎回のステップ幅を選び、"
        "はるかに少ない回数で到達します。A = I なら厳密な直線探索は 1 回で最小点に着きますが、"
        "条件数の大きい 2 次関数では厳密な直線探索でもジグザグになり、各ステップは直前のステップと直交します。"),
    "tour.line_search.method.gd": _m("gradient descent, lr 0.01", "勾配降下法、学習率 0.01"),
    "tour.line_search.method.backtracking": _m("line search: backtracking", "直線探索: バックトラッキング"),
    "tour.line_search.method.exact": _m("line search: exact", "直線探索: 厳密"),
    "tour.line_search.method.zigzag": _m("exact line search on kappa = 10", "kappa = 10 での厳密な直線探索"),
    "tour.line_search.table": _m("least squares, tolerance 0.01 (seed 001)", "最小二乗法、許容誤差 0.01 (学習ノート 001)"),
    "tour.line_search.col.last_x": _m("last x before the stop", "停止直前の x"),
    "tour.line_search.col.final_x": _m("final x", "最終的な x"),
    "tour.line_search.plot.bowl_title": _m(r"$\|Ax - b\|^2 / 2$ from (2, 2)", "‖Ax − b‖² / 2、初期値 (2, 2)"),
    "tour.line_search.plot.tolerance": _m("tolerance 0.01", "許容誤差 0.01"),
    "tour.line_search.plot.stop_title": _m(r"the run stops when $\|\nabla f\| \leq 0.01$", "‖∇f‖ ≤ 0.01 で停止"),
    "tour.line_search.plot.exact": _m("exact line search", "厳密な直線探索"),
    "tour.line_search.plot.zig_title": _m(r"exact line search zigzags when $\kappa = 10$",
                                          "κ = 10 では厳密な直線探索もジグザグになる"),
    "tour.line_search.caption": _m(
        "Left: the three runs on the least-squares bowl. Middle: the gradient norm against the step "
        "and the tolerance. Right: exact line search on a quadratic with condition number 10, drawn to scale.",
        "左: 最小二乗法のお椀での 3 つの実行。中: ステップごとの勾配のノルムと許容誤差。"
        "右: 条件数 10 の 2 次関数での厳密な直線探索 (縦横の縮尺は同じ)。"),
    # ------------------------------------------------------------------ 7 optimizer race
    "tour.optimizer_race.title": _m("The optimizer race", "最適化手法の比較"),
    "tour.optimizer_race.text": _m(
        "The same start, the same number of steps, six update rules. Momentum keeps a running sum of "
        "gradients, so it gains speed along the valley and overshoots across it; AdaGrad divides each "
        "coordinate's step by the root of its summed squared gradients, so the steep coordinate slows down "
        "at once; RMSProp uses a running average instead of a sum, so it never stops; Adam combines momentum "
        "with RMSProp's scaling and corrects both for starting at zero; Adadelta needs no lr but starts with "
        "tiny steps. On the bowl the lrs are the book's (Deep Learning from Scratch, ch. 6); on Rosenbrock "
        "they were picked so that no run diverges.",
        "同じ初期値、同じステップ数で 6 つの更新則を比べます。Momentum は勾配の移動和 (勢い) を持つので、"
        "谷に沿って加速し、谷を横切る向きには行き過ぎます。AdaGrad は座標ごとのステップを勾配の 2 乗和の平方根で割るので、"
        "急な座標はすぐに遅くなります。RMSProp は和の代わりに移動平均 (減衰率つき) を使うので、止まってしまいません。"
        "Adam は Momentum と RMSProp のスケーリングを組み合わせ、どちらも 0 から始めることの偏りを補正します。"
        "Adadelta は学習率が要りませんが、最初のステップはごく小さくなります。お椀での学習率は本 "
        "(ゼロから作るDeep Learning 第 6 章) のもの、Rosenbrock 関数ではどの実行も発散しないように選びました。"),
    "tour.optimizer_race.table.bowl": _m("x^2/20 + y^2 from (-7, 2), 30 steps (book's lrs)",
                                         "x^2/20 + y^2、初期値 (-7, 2)、30 ステップ (本の学習率)"),
    "tour.optimizer_race.table.rosenbrock": _m("Rosenbrock from (-1.2, 1), 1000 steps, tol 1e-4 on f",
                                               "Rosenbrock 関数、初期値 (-1.2, 1)、1000 ステップ、f の許容誤差 1e-4"),
    "tour.optimizer_race.plot.bowl_title": _m("$f = x^2/20 + y^2$, 30 steps from (-7, 2)",
                                              "f = x²/20 + y²、初期値 (-7, 2) から 30 ステップ"),
    "tour.optimizer_race.plot.rosenbrock_title": _m("Rosenbrock, 1000 steps from (-1.2, 1)",
                                                    "Rosenbrock 関数、初期値 (-1.2, 1) から 1000 ステップ"),
    "tour.optimizer_race.plot.gif_title": _m("the race on x^2/20 + y^2", "x^2/20 + y^2 での比較"),
    "tour.optimizer_race.caption.race": _m("The six optimizers on the elongated bowl and in Rosenbrock's banana valley.",
                                           "細長いお椀と Rosenbrock 関数のバナナ形の谷での 6 つの最適化手法。"),
    "tour.optimizer_race.caption.gif": _m("The race as an animation.", "比較のアニメーション。"),
    "tour.optimizer_race.caption.momentum": _m(
        "Inside Momentum: the momentum buffer b (the velocity divided by -lr) and the effective step "
        "size, which stays at lr times the accumulated gradient.",
        "Momentum の内部: モーメンタムのバッファ b (速度を -学習率で割ったもの) と実効ステップ幅 "
        "(学習率 × 蓄積された勾配のまま)。"),
    "tour.optimizer_race.caption.adagrad": _m(
        "Inside AdaGrad: the running sum of squared gradients grows fastest on the steep coordinate "
        "x1, so its effective step size falls fastest.",
        "AdaGrad の内部: 勾配の 2 乗和は急な座標 x1 で最も速く増えるので、その実効ステップ幅が最も速く小さくなります。"),
    "tour.optimizer_race.caption.adam": _m(
        "Inside Adam: the first moment m, the second moment v and the effective step size "
        "lr * m_hat / (sqrt(v_hat) + eps) / g.",
        "Adam の内部: 1 次モーメント m、2 次モーメント v と実効ステップ幅 学習率 × m_hat / (sqrt(v_hat) + eps) / g。"),
    # ------------------------------------------------------------------ 8 training
    "tour.training.title": _m("Batch, stochastic and mini-batch gradient descent",
                              "バッチ学習、確率的勾配降下法、ミニバッチ勾配降下法"),
    "tour.training.text": _m(
        "Seed 003 trains a 2-10-1 ReLU network on y = 3 x0 + 2 x1. Batch gradient descent makes one update "
        "per pass over the data; stochastic gradient descent one per sample (noisy, but 500 times as many); "
        "mini-batch gradient descent one per 10 samples, averaging out most of the noise while still making "
        "many updates. Here every epoch visits every sample once, in a fresh random order.",
        "学習ノート 003 は y = 3 x0 + 2 x1 を 2-10-1 の ReLU ネットワークで学習します。バッチ学習 (最急降下法) は"
        "データ全体を 1 周するごとに 1 回更新し、確率的勾配降下法 (SGD) は 1 サンプルごとに 1 回更新し (ノイズが多いが回数は 500 倍)、"
        "ミニバッチ勾配降下法は 10 サンプルごとに 1 回更新して、ノイズの大半を平均で消しながら多くの更新を行います。"
        "ここでは各エポックで、すべてのサンプルを新しいランダムな順序で 1 回ずつ使います。"),
    "tour.training.method.batch": _m("batch (all 500 samples)", "バッチ (500 サンプルすべて)"),
    "tour.training.method.stochastic": _m("stochastic (1 sample)", "確率的 (1 サンプル)"),
    "tour.training.method.minibatch": _m("mini-batch (10 samples)", "ミニバッチ (10 サンプル)"),
    "tour.training.table": _m("5 epochs of plain SGD, lr 0.05, MSE loss", "素朴な SGD で 5 エポック、学習率 0.05、2 乗誤差"),
    "tour.training.col.updates_per_epoch": _m("updates per epoch", "1 エポックの更新回数"),
    "tour.training.col.updates": _m("updates", "更新回数"),
    "tour.training.col.last_epoch_loss": _m("last epoch's mean loss", "最後のエポックの平均損失"),
    "tour.training.col.final_loss": _m("loss on all data at the end", "最後の全データでの損失"),
    "tour.training.col.time": _m("time", "時間"),
    "tour.training.plot.epoch_title": _m("mean loss of each epoch: same data, same lr",
                                         "エポックごとの平均損失: 同じデータ、同じ学習率"),
    "tour.training.plot.update_title": _m("seed 003: the loss of every update (faded), mean of 10",
                                          "学習ノート 003: 更新ごとの損失 (薄色) と 10 回の平均"),
    "tour.training.caption": _m(
        "Left: the epoch loss of the three methods. Right: seed 003's comparison, the loss of every "
        "update (faded) and its running mean over 10 updates, on the same epoch axis: stochastic updates are "
        "noisy, mini-batch ones smoother, and batch training makes one update per epoch.",
        "左: 3 つの方法のエポックごとの損失。右: 学習ノート 003 の比較。更新ごとの損失 (薄色) と 10 回の移動平均を"
        "同じエポックの軸に描きます。確率的な更新はノイズが多く、ミニバッチはなめらかで、バッチ学習は 1 エポックに 1 回だけ更新します。"),
    # ------------------------------------------------------------------ 9 multistart
    "tour.multistart.title": _m("Many random starts on a surface with several valleys",
                                "谷がいくつもある関数での多数のランダムな初期値"),
    "tour.multistart.text": _m(
        "Gradient descent ends in the valley it starts in. Dropping many balls at random places and keeping "
        "the best end point finds the lowest valley more reliably: one call to minimize with X0 of shape "
        "(40, 2) runs all 40 starts as one array. Himmelblau's four minima are all global (f = 0); the "
        "six-hump camel has two global and four local minima, and some starts stop in a local one. "
        "Seed 002 calls this 'stochastic gradient descent (SGD)'; it is multi-start gradient descent: the "
        "randomness is in the starts, not in the gradient. SGD proper estimates each gradient from a random "
        "sample of the data (section 8).",
        "勾配降下法は出発した谷で止まります。多くのボールをランダムな場所に落として最良の終点を残すと、"
        "最も低い谷をより確実に見つけられます。形が (40, 2) の X0 で minimize を 1 回呼ぶと、40 個の初期値を 1 つの配列として同時に実行します。"
        "Himmelblau 関数の 4 つの最小点はすべて大域的最小値 (f = 0) ですが、six-hump camel 関数には大域的最小値が 2 つ、"
        "局所解が 4 つあり、局所解で止まる初期値もあります。学習ノート 002 はこれを「確率的勾配降下法 (SGD)」と呼んでいますが、"
        "これは多点スタートの勾配降下法 (multi-start gradient descent) で、ランダムなのは初期値であって勾配ではありません。"
        "本来の SGD は、データからランダムに選んだサンプルで勾配を推定します (第 8 節)。"),
    "tour.multistart.table": _m("{name}: where 40 random starts ended (gd, lr {lr}, gtol 1e-6)",
                                "{name}: 40 個のランダムな初期値の行き先 (勾配降下法、学習率 {lr}、gtol 1e-6)"),
    "tour.multistart.col.minimizer": _m("minimizer reached", "到達した最小点"),
    "tour.multistart.col.f": _m("f there", "そこでの f"),
    "tour.multistart.col.kind": _m("global or local", "大域的か局所的か"),
    "tour.multistart.col.starts": _m("starts", "初期値の数"),
    "tour.multistart.plot.label": _m("gradient descent", "勾配降下法"),
    "tour.multistart.plot.title": _m("{name}: 40 starts, one batched run", "{name}: 40 個の初期値、1 回のバッチ実行"),
    "tour.multistart.caption": _m(
        "40 random starts on Himmelblau's function and on the six-hump camel; stars mark the known "
        "global minima.",
        "Himmelblau 関数と six-hump camel 関数での 40 個のランダムな初期値。星は既知の大域的最小値です。"),
    # ------------------------------------------------------------------ 10 second_order
    "tour.second_order.title": _m("Beyond the gradient: Newton's method, saddle points and constraints",
                                  "勾配の先へ: ニュートン法、鞍点、制約付き最適化"),
    "tour.second_order.text": _m(
        "Newton's method divides the gradient by the curvature, x <- x - H^-1 grad f(x) with H the Hessian. "
        "On a quadratic such as the elongated bowl it lands on the minimizer in {bowl_newton} step, where "
        "gradient descent with the step 1/L needs {bowl_gd}; on Rosenbrock it needs {rosen_newton} steps, "
        "while gradient descent (lr 0.001) is still {rosen_gd_dist} away after {rosen_gd}. "
        "But Newton's method looks for a point where the gradient is zero, of any kind (Goodfellow 4.3): on "
        "x^2 - y^2 it jumps from (1.5, 0.05) to the saddle (0, 0) in {saddle_newton} step and stays there, "
        "while gradient descent slides off the saddle (|y| = {saddle_gd_y} after {saddle_gd} steps). "
        "The second-derivative test tells the kinds apart by the eigenvalues of the Hessian: all positive, a "
        "minimum; all negative, a maximum; both signs, a saddle. The six-hump camel has {n_points} critical "
        "points in its window: {n_min} minima, {n_saddle} saddles and {n_max} maxima. "
        "Under the constraint x'x <= 1 (Goodfellow 4.5), projected gradient descent takes a step and, where the step "
        "leaves the ball, pulls the point back onto it: started on the edge at (-1, 0), the path slides along the edge for {slide} steps "
        "to {x}, where -grad f points straight out of the ball; there the KKT conditions hold "
        "with the Lagrange multiplier lambda = {lam} > 0. Least squares solved by gradient descent, by one "
        "Newton step and by the pseudo-inverse gives the same x to {agree}; under the constraint, the book's "
        "Lagrange-multiplier update and projected gradient descent agree to {agree_c}.",
        "ニュートン法は勾配を曲率で割ります: x <- x - H^-1 ∇f(x) (H はヘッセ行列)。細長いお椀のような 2 次関数では "
        "{bowl_newton} ステップで最小点に着きますが、ステップ幅 1/L の勾配降下法は {bowl_gd} ステップかかります。"
        "Rosenbrock 関数ではニュートン法が {rosen_newton} ステップ、勾配降下法 (学習率 0.001) は {rosen_gd} ステップ後も"
        "最小点から {rosen_gd_dist} 離れたままです。"
        "ただしニュートン法が探すのは勾配が 0 になる点で、その種類は問いません (Goodfellow 4.3 節): x^2 - y^2 では "
        "(1.5, 0.05) から {saddle_newton} ステップで鞍点 (0, 0) に跳び、そこにとどまります。勾配降下法は鞍点から"
        "滑り落ちていきます ({saddle_gd} ステップ後に |y| = {saddle_gd_y})。"
        "二階微分判定は、ヘッセ行列の固有値で臨界点の種類を見分けます: すべて正なら極小、すべて負なら極大、"
        "正と負が混じれば鞍点です。six-hump camel 関数には描画範囲内に {n_points} 個の臨界点があります: "
        "極小 {n_min} 個、鞍点 {n_saddle} 個、極大 {n_max} 個。"
        "制約 x'x <= 1 のもとでは (Goodfellow 4.5 節)、射影勾配法は 1 ステップ進み、球の外に出たら点を球の上に引き戻します。"
        "球の縁の (-1, 0) から出た経路は、{slide} ステップのあいだ縁に沿って滑り、{x} に着きます。"
        "そこでは -∇f が球の真外を向き、ラグランジュ乗数 λ = {lam} > 0 で KKT条件が成り立ちます。"
        "最小二乗法を勾配降下法、ニュートン法の 1 ステップ、擬似逆行列の 3 通りで解くと、x は {agree} の精度で一致します。"
        "制約付きでは、本にあるラグランジュ乗数の更新と射影勾配法が {agree_c} の精度で一致します。"),
    "tour.second_order.method.newton": _m("Newton's method", "ニュートン法"),
    "tour.second_order.method.gd": _m("gradient descent", "勾配降下法"),
    "tour.second_order.method.gd_lr": _m("gradient descent, lr {lr}", "勾配降下法、学習率 {lr}"),
    "tour.second_order.kind.minimum": _m("minimum", "極小"),
    "tour.second_order.kind.maximum": _m("maximum", "極大"),
    "tour.second_order.kind.saddle": _m("saddle", "鞍点"),
    "tour.second_order.kind.inconclusive": _m("inconclusive", "判定できない"),
    "tour.second_order.kind.not_critical": _m("not critical (gradient not 0)", "臨界点ではない (勾配が 0 でない)"),
    "tour.second_order.ls.gradient_descent": _m("gradient descent, step 1/L", "勾配降下法、ステップ幅 1/L"),
    "tour.second_order.ls.newton": _m("Newton's method, one step", "ニュートン法、1 ステップ"),
    "tour.second_order.ls.pinv": _m("pseudo-inverse A^+ b (reference)", "擬似逆行列 A^+ b (基準)"),
    "tour.second_order.ls.constrained": _m("x'x <= 1: Lagrange-multiplier update (reference)",
                                           "x'x <= 1: ラグランジュ乗数の更新 (基準)"),
    "tour.second_order.ls.projected": _m("x'x <= 1: projected gradient descent", "x'x <= 1: 射影勾配法"),
    "tour.second_order.table.race": _m("Newton against gradient descent from the same start (gtol 1e-6)",
                                       "同じ初期値からのニュートン法と勾配降下法 (gtol 1e-6)"),
    "tour.second_order.table.saddle": _m("on x^2 - y^2 from (1.5, 0.05): where each method ends",
                                         "x^2 - y^2 で (1.5, 0.05) から: 各手法の行き着く先"),
    "tour.second_order.table.camel": _m("the second-derivative test at the {n} critical points of the six-hump camel",
                                        "six-hump camel 関数の {n} 個の臨界点での二階微分判定"),
    "tour.second_order.table.least_squares": _m(
        "least squares |Ax - b|^2 / 2 with A = diag(1, 2), b = (4.5, 4.5): three ways, and under x'x <= 1",
        "最小二乗法 |Ax - b|^2 / 2 (A = diag(1, 2)、b = (4.5, 4.5)): 3 通りの解き方と x'x <= 1 のもとでの解"),
    "tour.second_order.col.end": _m("end point", "終点"),
    "tour.second_order.col.test": _m("second-derivative test there", "そこでの二階微分判定"),
    "tour.second_order.col.point": _m("critical point", "臨界点"),
    "tour.second_order.col.eigenvalues": _m("eigenvalues of the Hessian", "ヘッセ行列の固有値"),
    "tour.second_order.col.kind": _m("kind", "種類"),
    "tour.second_order.col.differs": _m("largest difference from the reference", "基準との差の最大値"),
    "tour.second_order.plot.paths_title": _m("{name}: Newton against gradient descent",
                                             "{name}: ニュートン法と勾配降下法"),
    "tour.second_order.plot.convergence_title": _m("distance to the minimizer per step",
                                                   "ステップごとの最小点までの距離"),
    "tour.second_order.plot.saddle_title": _m("x² - y²: Newton jumps to the saddle, gradient descent escapes",
                                              "x² - y²: ニュートン法は鞍点へ跳び、勾配降下法は逃れる"),
    "tour.second_order.plot.camel_title": _m("six-hump camel: {n} critical points by the second-derivative test",
                                             "six-hump camel: 二階微分判定による {n} 個の臨界点"),
    "tour.second_order.plot.projected": _m("projected gradient descent", "射影勾配法"),
    "tour.second_order.plot.ball_title": _m("x'x ≤ 1: the path slides along the ball", "x'x ≤ 1: 経路は球の縁に沿って滑る"),
    "tour.second_order.plot.lambda": _m("Lagrange multiplier λ (the book's update)", "ラグランジュ乗数 λ (本の更新式)"),
    "tour.second_order.plot.kkt_lambda": _m("λ from the KKT conditions at the projected end point",
                                            "射影勾配法の終点での KKT条件の λ"),
    "tour.second_order.plot.lambda_title": _m("the multiplier rises until x'x = 1", "x'x = 1 になるまで乗数が増える"),
    "tour.second_order.caption.newton": _m(
        "Newton's method (one step on the bowl, a few on Rosenbrock) against gradient descent from the same "
        "start; right: the distance to the minimizer per step, on log-log axes.",
        "同じ初期値からのニュートン法 (お椀では 1 ステップ、Rosenbrock 関数でも数ステップ) と勾配降下法。"
        "右: ステップごとの最小点までの距離 (両対数)。"),
    "tour.second_order.caption.saddle": _m(
        "Left: on x^2 - y^2 Newton's method goes straight to the saddle, where the gradient is zero; gradient "
        "descent slides off along y. Right: the critical points of the six-hump camel, each marked by the "
        "second-derivative test's verdict.",
        "左: x^2 - y^2 でニュートン法は勾配が 0 の鞍点へまっすぐ向かい、勾配降下法は y の方向へ滑り落ちます。"
        "右: six-hump camel 関数の臨界点と、それぞれの二階微分判定の結果。"),
    "tour.second_order.caption.constrained": _m(
        "Left: projected gradient descent on |Ax - b|^2 / 2 under x'x <= 1; the star is the unconstrained "
        "minimizer outside the ball. Right: the book's Lagrange-multiplier update rises to lambda = {lam}, the "
        "multiplier the KKT conditions give at the projected path's end.",
        "左: x'x <= 1 のもとでの |Ax - b|^2 / 2 の射影勾配法。星は球の外にある制約なしの最小点です。"
        "右: 本にあるラグランジュ乗数の更新は λ = {lam} まで増えます。射影勾配法の終点で KKT条件から求めた乗数と同じ値です。"),
    # ------------------------------------------------------------------ curvature: edge of stability, landscapes
    "tour.curvature.title": _m("The curvature of a network: the edge of stability and the loss landscape",
                               "ネットワークの曲率: 安定性の限界 (Edge of Stability) と損失地形"),
    "tour.curvature.text": _m(
        "On a quadratic, gradient descent with learning rate lr diverges along any direction that curves more "
        "than 2/lr. On a network (a tanh MLP trained on {n} digits with the MSE loss by full-batch gradient "
        "descent for {steps} steps) the sharpness, the Hessian's largest eigenvalue, starts at {s0} and rises "
        "(progressive sharpening) until it reaches 2/lr: at step {r1} for lr = {lr1} (2/lr = {t1}) and at step "
        "{r2} for lr = {lr2} (2/lr = {t2}). There it stops rising and hovers: over the last quarter of each run "
        "its median is {st1} and {st2} times 2/lr (the edge of stability). The loss keeps falling, but not "
        "monotonically: it went up on {up1} and {up2} steps. Along the straight line from the initial to the "
        "trained weights the loss rises {rises} times between the two ends; the run's two principal directions "
        "hold {explained}% of its movement.",
        "2 次関数では、学習率 lr の勾配降下法は曲率が 2/lr を超える方向で発散します。ネットワーク (手書き数字 {n} 枚に "
        "tanh の MLP を、MSE の損失関数で {steps} ステップのバッチ勾配降下法で学習) では、シャープネス "
        "(ヘッセ行列の最大固有値) は {s0} から始まって 2/lr に達するまで増えていきます (漸進的シャープ化, "
        "progressive sharpening): lr = {lr1} (2/lr = {t1}) ではステップ {r1}、lr = {lr2} (2/lr = {t2}) ではステップ "
        "{r2} で達します。そこで増加は止まり、その付近にとどまります: 各学習の最後の 4 分の 1 での中央値は 2/lr の "
        "{st1} 倍と {st2} 倍です (安定性の限界, Edge of Stability)。損失は下がり続けますが単調ではなく、{up1} "
        "ステップと {up2} ステップで上がりました。初期の重みから学習後の重みへの直線上では、損失は両端の間で {rises} "
        "回上がります。学習の軌跡の 2 つの主成分方向は、その動きの {explained}% を占めます。"),
    "tour.curvature.table.edge": _m("full-batch gradient descent on the digits: the sharpness against 2/lr",
                                    "手書き数字でのバッチ勾配降下法: シャープネスと 2/lr"),
    "tour.curvature.col.sharpness_first": _m("first sharpness", "最初のシャープネス"),
    "tour.curvature.col.sharpening": _m("largest / first sharpness", "最大 / 最初のシャープネス"),
    "tour.curvature.col.reached": _m("step reaching 0.95 x 2/lr", "0.95 x 2/lr に達したステップ"),
    "tour.curvature.col.settled": _m("median of the last quarter / (2/lr)", "最後の 4 分の 1 の中央値 / (2/lr)"),
    "tour.curvature.col.loss_increases": _m("steps the loss went up", "損失が上がったステップ数"),
    "tour.curvature.col.loss_first": _m("first loss", "最初の損失"),
    "tour.curvature.col.loss_last": _m("last loss", "最後の損失"),
    "tour.curvature.table.landscape": _m("the loss landscape of the run", "学習の損失地形"),
    "tour.curvature.row.line": _m("loss at a = {a} on the line from the initial to the trained weights",
                                  "初期の重みから学習後の重みへの直線上の a = {a} での損失"),
    "tour.curvature.row.random_center": _m("loss at the centre of the random plane (the trained weights)",
                                           "ランダムな平面の中心 (学習後の重み) での損失"),
    "tour.curvature.row.explained": _m("share of the run's movement in its two principal directions",
                                       "学習の軌跡の動きのうち 2 つの主成分方向が占める割合"),
    "tour.curvature.plot.sharpness": _m("sharpness, lr = {lr}", "シャープネス, lr = {lr}"),
    "tour.curvature.plot.threshold": _m("2/lr = {value}", "2/lr = {value}"),
    "tour.curvature.plot.sharpness_axis": _m("largest Hessian eigenvalue", "ヘッセ行列の最大固有値"),
    "tour.curvature.plot.edge_title": _m("the sharpness rises to 2/lr and stays there",
                                         "シャープネスは 2/lr まで増えてそこにとどまる"),
    "tour.curvature.plot.loss_title": _m("the loss falls, not monotonically", "損失は単調ではなく下がる"),
    "tour.curvature.plot.alpha": _m("a: (1 - a) initial + a trained", "a: (1 - a) 初期 + a 学習後"),
    "tour.curvature.plot.line_title": _m("the line from the initial to the trained weights",
                                         "初期の重みから学習後の重みへの直線"),
    "tour.curvature.plot.path": _m("the run, projected", "射影した学習の軌跡"),
    "tour.curvature.plot.d1": _m("direction 1", "方向 1"),
    "tour.curvature.plot.d2": _m("direction 2", "方向 2"),
    "tour.curvature.plot.random_title": _m("random filter-normalised directions",
                                           "フィルタ正規化したランダムな方向"),
    "tour.curvature.plot.pca_title": _m("the run's two principal directions ({pct}%)",
                                        "学習の軌跡の 2 つの主成分方向 ({pct}%)"),
    "tour.curvature.caption.edge": _m(
        "Left: the sharpness (largest Hessian eigenvalue, by Lanczos over Hessian-vector products) during "
        "full-batch gradient descent at lr = {lrs}, each against its 2/lr (dashed). Right: the loss at every "
        "step (log scale): it keeps falling while going up and down.",
        "左: lr = {lrs} のバッチ勾配降下法でのシャープネス (ヘッセ行列ベクトル積による Lanczos 法で求めたヘッセ行列の"
        "最大固有値) と、それぞれの 2/lr (破線)。右: 各ステップの損失 (対数目盛り): 上下しながら下がり続けます。"),
    "tour.curvature.caption.landscape": _m(
        "The same network trained for {steps} steps at lr = {lr}. Left: the loss on the line from the initial "
        "(a = 0) to the trained (a = 1) weights (Goodfellow, Vinyals and Saxe 2015). Middle: the loss on a plane "
        "through the trained weights (the star) along two random filter-normalised directions (Li et al. 2018); "
        "the run projected onto it barely moves, since random directions are almost orthogonal to it. Right: "
        "the plane of the run's two principal directions, with the run drawn on it.",
        "同じネットワークを lr = {lr} で {steps} ステップ学習。左: 初期の重み (a = 0) から学習後の重み (a = 1) への"
        "直線上の損失 (Goodfellow, Vinyals and Saxe 2015)。中: 学習後の重み (星) を通り、フィルタ正規化した 2 つの"
        "ランダムな方向に張られた平面上の損失 (Li et al. 2018)。ランダムな方向は軌跡とほぼ直交するので、射影した軌跡は"
        "ほとんど動きません。右: 学習の軌跡の 2 つの主成分方向の平面と、その上に描いた軌跡。"),
    # ------------------------------------------------------------------ descend train --sharpness (the CLI's
    # words for the tour's curvature: they belong beside cli.progress.* in catalogue.py's _CLI)
    "cli.train.sharpness.title": _m("sharpness during training, batch size {batch}",
                                    "学習中のシャープネス、バッチサイズ {batch}"),
    "cli.train.sharpness.epoch": _m("epoch", "エポック"),
    "cli.train.sharpness.loss": _m("loss", "損失"),
    "cli.train.sharpness.sharpness": _m("sharpness", "シャープネス"),
    "cli.train.sharpness.preconditioned_sharpness": _m("preconditioned sharpness", "前処理付きシャープネス"),
    "cli.train.sharpness.threshold": _m("stability threshold", "安定性のしきい値"),
    "cli.train.sharpness.ratio": _m("epoch {epoch}: the sharpness is {ratio} x 2/lr (about 1: the edge of stability)",
                                    "エポック {epoch}: シャープネスは 2/lr の {ratio} 倍 (約 1 なら安定性の限界)"),
    "cli.train.sharpness.adam_ratio": _m(
        "epoch {epoch}: the preconditioned sharpness is {ratio} x Adam's threshold (2 + 2 beta1) / ((1 - beta1) lr) "
        "(about 1: the edge of stability)",
        "エポック {epoch}: 前処理付きシャープネスは Adam のしきい値 (2 + 2 beta1) / ((1 - beta1) lr) の {ratio} 倍 "
        "(約 1 なら安定性の限界)"),
}
