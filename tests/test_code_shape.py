"""The library stays readable: functions a reader can hold, classes of one idea, public
signatures that say their types (issue 34's bars), measured on the source itself."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "srgan_tf"
MAX_FUNCTION_LINES, MAX_CLASS_LINES, MIN_TYPED_SHARE = 80, 200, 0.9


def _modules():
    return [(p, ast.parse(p.read_text())) for p in sorted(PACKAGE.rglob("*.py"))]


def _public_functions(tree, module_public):
    """`(name, node, is_method)` of the public functions and methods (with `__init__` and
    `__call__`) of public classes."""

    def walk(body, public, in_class):
        for node in body:
            if isinstance(node, ast.ClassDef):
                yield from walk(node.body, public and not node.name.startswith("_"), True)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                special = in_class and node.name in ("__init__", "__call__")
                if public and (special or not node.name.startswith("_")):
                    yield node.name, node, in_class

    yield from walk(tree.body, module_public, False)


def fully_typed(node: ast.FunctionDef, is_method: bool) -> bool:
    args = node.args.posonlyargs + node.args.args + node.args.kwonlyargs
    if is_method and args and args[0].arg in ("self", "cls"):
        args = args[1:]
    args += [a for a in (node.args.vararg, node.args.kwarg) if a]
    returns = node.returns is not None or node.name == "__init__"
    return returns and all(a.annotation is not None for a in args)


def test_the_typed_share_counts_what_it_should():
    tree = ast.parse(
        "def a(x: int) -> int: ...\n"
        "def b(x) -> int: ...\n"
        "def _c(x): ...\n"
        "class K:\n"
        "    def __init__(self, v: int): ...\n"
        "    def m(self, *args): ...\n"
    )
    found = {name: fully_typed(node, m) for name, node, m in _public_functions(tree, True)}
    assert found == {"a": True, "b": False, "__init__": True, "m": False}


def test_public_functions_are_typed():
    typed, untyped = 0, []
    for path, tree in _modules():
        public = not path.name.startswith("_") or path.name == "__init__.py"
        for name, node, is_method in _public_functions(tree, public):
            if fully_typed(node, is_method):
                typed += 1
            else:
                untyped.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno} {name}")
    share = typed / (typed + len(untyped))
    assert share >= MIN_TYPED_SHARE, f"{share:.0%} typed; untyped: {untyped}"


@pytest.mark.parametrize("kind, limit", [(ast.FunctionDef, MAX_FUNCTION_LINES),
                                         (ast.ClassDef, MAX_CLASS_LINES)])  # fmt: skip
def test_no_long_functions_or_classes(kind, limit):
    long = [
        f"{path.relative_to(PACKAGE.parent)}:{node.lineno} {node.name} "
        f"({node.end_lineno - node.lineno + 1} lines)"
        for path, tree in _modules()
        for node in ast.walk(tree)
        if isinstance(node, kind) and node.end_lineno - node.lineno + 1 > limit
    ]
    assert not long, f"over {limit} lines: {long}"
