"""Draw descend's house from its source: import circles, borrowed private names, long functions, long modules.

    python3 scripts/architecture.py            # the report (exit 1 where a rule is broken)
    python3 scripts/architecture.py --graph    # every import edge, module -> module

Rules (issue 21; ``tests/test_architecture.py`` enforces them):

- no import circle between modules of the library, counting imports inside functions too, except an
  import inside a function whose line (or the line above) carries a comment with ``lazy:`` saying why;
- no ``from descend.x import _private`` across modules (a package's ``__init__`` re-exporting its own
  submodules is the package itself);
- no function longer than 80 lines of code (blank lines, comments and the docstring not counted),
  outside generated templates (a module that says ``generated template`` in its docstring);
- no module longer than 600 lines unless its docstring says why (a line ``Long because: ...``).

Only the standard library: it reads the files, it imports nothing of descend.
"""

from __future__ import annotations

import argparse
import ast
import io
import sys
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "src"
PACKAGE = "descend"
MAX_FUNCTION_LINES = 80
MAX_MODULE_LINES = 600


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted((ROOT / PACKAGE).rglob("*.py"))}


def _resolve(current: str, is_package: bool, level: int, target: str | None) -> str:
    if level == 0:
        return target or ""
    base = current.split(".")
    if not is_package:
        base = base[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join(base + ([target] if target else []))


def _known(name: str, mods: dict[str, Path]) -> str | None:
    """The longest prefix of a dotted name that is a module of the library."""
    parts = name.split(".")
    for k in range(len(parts), 0, -1):
        candidate = ".".join(parts[:k])
        if candidate in mods:
            return candidate
    return None


def _lazy_marked(lines: list[str], lineno: int) -> bool:
    """A ``# lazy: why`` comment on the import's line or the line above it."""
    for i in (lineno - 1, lineno - 2):
        if 0 <= i < len(lines) and "lazy:" in lines[i]:
            return True
    return False


def edges(mods: dict[str, Path]):
    """(importer, imported, lineno, in_function, lazy_marked, names) for every import of a library module."""
    out = []
    for name, path in mods.items():
        text = path.read_text()
        lines = text.splitlines()
        tree = ast.parse(text)
        is_package = path.name == "__init__.py"
        in_function: set[int] = set()
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for inner in ast.walk(node):
                    if isinstance(inner, (ast.Import, ast.ImportFrom)):
                        in_function.add(id(inner))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    target = _known(alias.name, mods)
                    if target and target != name:
                        out.append((name, target, node.lineno, id(node) in in_function,
                                    _lazy_marked(lines, node.lineno), []))
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(name, is_package, node.level, node.module)
                if not base.startswith(PACKAGE):
                    continue
                for alias in node.names:
                    sub = _known(f"{base}.{alias.name}", mods)
                    target = sub if sub and sub == f"{base}.{alias.name}" else _known(base, mods)
                    if target and target != name:
                        names = [] if sub == f"{base}.{alias.name}" else [alias.name]
                        out.append((name, target, node.lineno, id(node) in in_function,
                                    _lazy_marked(lines, node.lineno), names))
    return out


def _parent_package(mod: str) -> str:
    return mod.rsplit(".", 1)[0] if "." in mod else mod


def circles(mods, all_edges):
    """Strongly connected components of the import graph; only imports marked ``# lazy: why`` are left out.

    A package's ``__init__`` importing its submodules counts: a submodule that takes a name from its own
    package's ``__init__`` (instead of from the sibling that defines it) closes a circle.
    """
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for src, dst, _, _, lazy, _ in all_edges:
        if not lazy:
            graph[src].add(dst)
    index, low, on_stack, stack, result = {}, {}, set(), [], []
    counter = [0]

    def strongconnect(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                result.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in graph:
        if v not in index:
            strongconnect(v)
    return sorted(result)


def borrowed_private_names(mods, all_edges):
    """``from descend.x import _name`` where the importer is not x itself nor x's own package."""
    out = []
    for src, dst, lineno, _, _, names in all_edges:
        for n in names:
            if n.startswith("_") and not n.startswith("__"):
                if src == _parent_package(dst) and mods[src].name == "__init__.py":
                    continue  # a package's __init__ re-exporting from its own submodule
                out.append((src, dst, n, lineno))
    return out


def _code_lines(path: Path) -> set[int]:
    """Line numbers that hold code: not blank, not only a comment (docstrings removed separately)."""
    lines = set()
    with open(path, "rb") as fh:
        for tok in tokenize.tokenize(fh.readline):
            if tok.type in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
                            tokenize.ENCODING, tokenize.ENDMARKER):
                continue
            for ln in range(tok.start[0], tok.end[0] + 1):
                lines.add(ln)
    return lines


def _docstring_lines(tree) -> set[int]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = getattr(node, "body", [])
            if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) \
                    and isinstance(body[0].value.value, str):
                out.update(range(body[0].lineno, body[0].end_lineno + 1))
    return out


def long_functions(mods, limit=MAX_FUNCTION_LINES):
    out = []
    for name, path in mods.items():
        text = path.read_text()
        tree = ast.parse(text)
        doc = ast.get_docstring(tree) or ""
        if "generated template" in doc.lower():
            continue
        code = _code_lines(path) - _docstring_lines(tree)
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                span = set(range(node.lineno, node.end_lineno + 1))
                # nested functions count towards their own length and their parent's
                n = len(span & code)
                if n > limit:
                    out.append((name, node.name, node.lineno, n))
    return sorted(out, key=lambda t: -t[3])


def long_modules(mods, limit=MAX_MODULE_LINES):
    out = []
    for name, path in mods.items():
        text = path.read_text()
        n = text.count("\n") + (0 if text.endswith("\n") else 1)
        if n <= limit:
            continue
        doc = ast.get_docstring(ast.parse(text)) or ""
        if "long because:" in doc.lower():
            continue
        out.append((name, n))
    return sorted(out, key=lambda t: -t[1])


def report(mods=None) -> dict:
    mods = mods or modules()
    all_edges = edges(mods)
    return {
        "circles": circles(mods, all_edges),
        "private": borrowed_private_names(mods, all_edges),
        "functions": long_functions(mods),
        "modules": long_modules(mods),
        "edges": all_edges,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--graph", action="store_true", help="print every import edge")
    args = parser.parse_args(argv)
    r = report()
    if args.graph:
        for src, dst, lineno, in_fn, lazy, names in sorted(r["edges"]):
            where = "function" if in_fn else "top"
            print(f"{src} -> {dst}  ({where}{', lazy' if lazy else ''}, line {lineno}) {' '.join(names)}")
        return 0
    out = io.StringIO()
    print(f"import circles: {len(r['circles'])}", file=out)
    for c in r["circles"]:
        print("  " + " <-> ".join(c), file=out)
    print(f"private names borrowed across modules: {len(r['private'])}", file=out)
    for src, dst, n, ln in r["private"]:
        print(f"  {src}:{ln} takes {dst}.{n}", file=out)
    print(f"functions over {MAX_FUNCTION_LINES} lines of code: {len(r['functions'])}", file=out)
    for mod, fn, ln, n in r["functions"]:
        print(f"  {mod}:{ln} {fn} ({n})", file=out)
    print(f"modules over {MAX_MODULE_LINES} lines without a reason: {len(r['modules'])}", file=out)
    for mod, n in r["modules"]:
        print(f"  {mod} ({n})", file=out)
    print(out.getvalue(), end="")
    broken = r["circles"] or r["private"] or r["functions"] or r["modules"]
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
