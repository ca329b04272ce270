"""Tests of the layout: dependencies point one way (chainrule -> nn -> engine), with no cycles."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("engine", "nn", "chainrule")


def _module_name(path):
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path):
    """Every module ``path`` imports, anywhere in it (top level, functions, doctests' ``>>> import``)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    text = path.read_text(encoding="utf-8")
    found = set()
    sources = [text] + [
        "\n".join(line.strip()[4:] for line in doc.splitlines() if line.strip().startswith(">>> "))
        for node in ast.walk(ast.parse(text))
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))
        and (doc := ast.get_docstring(node))
    ]
    for source in sources:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    module = ".".join(base + ([node.module] if node.module else []))
                    found.add(module)
                    found.update(f"{module}.{alias.name}" for alias in node.names)
                else:
                    found.add(node.module)
    return found


def _graph():
    files = [p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")]
    modules = {_module_name(p): p for p in files}
    return {name: {m for m in _imports(path) if m in modules and m != name} for name, path in modules.items()}


def test_dependencies_point_one_way():
    """No module of engine imports nn or chainrule, and none of nn imports chainrule (code and doctests)."""
    wrong = []
    for name, path in {
        _module_name(p): p for pkg in ("engine", "nn") for p in (ROOT / pkg).rglob("*.py")
    }.items():
        banned = ("nn", "chainrule") if name.startswith("engine") else ("chainrule",)
        for imported in _imports(path):
            if imported.split(".")[0] in banned:
                wrong.append(f"{name} imports {imported}")
    assert not wrong


def test_no_import_cycles():
    """The modules' imports form no cycle (a package importing its own submodules is not one)."""
    graph = _graph()
    edges = {
        a: {b for b in targets if not a.startswith(b + ".") and not (b.startswith(a + ".") and graph.get(b))}
        for a, targets in graph.items()
    }
    # a package's __init__ may import its own submodules: those edges are not judged
    edges = {a: {b for b in targets if not b.startswith(a + ".")} for a, targets in edges.items()}
    state, cycles = {}, []

    def visit(node, path):
        state[node] = 1
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append(path[path.index(nxt) :] + [nxt] if nxt in path else [node, nxt])
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    assert not cycles


def test_a_learner_reads_the_core_in_one_sitting():
    """The files a learner opens first stay short, and the chain rule is one commented line of backward.py."""
    for name, limit in (("engine/value.py", 240), ("engine/backward.py", 200), ("engine/modes.py", 110)):
        assert len((ROOT / name).read_text(encoding="utf-8").splitlines()) <= limit, name
    loop = (ROOT / "engine/backward.py").read_text(encoding="utf-8")
    assert (
        loop.count(
            "parent.grad += node.grad * local  # the chain rule: ∂L/∂parent += ∂L/∂node · ∂node/∂parent"
        )
        == 1
    )


def test_every_public_signature_has_type_hints():
    """Each public function and method of engine, nn and chainrule annotates its parameters and return."""
    missing = []
    for pkg in PACKAGES:
        for path in (ROOT / pkg).rglob("*.py"):
            if any(part.startswith("_") and part != "__init__.py" for part in path.relative_to(ROOT).parts):
                continue  # private modules
            for node in ast.parse(path.read_text(encoding="utf-8")).body:
                if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
                    functions = [node]
                elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                    public = lambda f: not f.name.startswith("_") or f.name == "__init__"
                    functions = [f for f in node.body if isinstance(f, ast.FunctionDef) and public(f)]
                else:
                    continue
                for f in functions:
                    args = [a for a in f.args.args + f.args.kwonlyargs if a.arg not in ("self", "cls")]
                    if (f.returns is None and f.name != "__init__") or any(
                        a.annotation is None for a in args
                    ):
                        missing.append(f"{path.relative_to(ROOT)}:{f.lineno} {f.name}")
    assert not missing


# The engine's layers, lowest first: each may import its own layer and the ones below it.
CORE = {
    "engine", "engine.ops", "engine.value", "engine.backward", "engine.modes", "engine.walks",
    "engine._nodes", "engine._copying", "engine._renamed", "engine.files", "engine.numbers",
}  # fmt: skip
VOCABULARY = {"engine.vocab", "engine.markup"}


def _layer(module):
    """0 core, 1 vocabulary, 2 record, 3 views and tools (None outside engine)."""
    if module in CORE:
        return 0
    if module in VOCABULARY:
        return 1
    if module.startswith("engine.record"):
        return 2
    if module.startswith(("engine.views", "engine.tools")):
        return 3
    return None


def _engine_imports():
    for path in (ROOT / "engine").rglob("*.py"):
        name = _module_name(path)
        yield name, {m for m in _imports(path) if m.split(".")[0] == "engine" and m != name}


def test_every_engine_module_has_a_layer():
    """Each module of engine/ is in the core, the vocabulary, record/, views/ or tools/."""
    assert not [name for name, _ in _engine_imports() if _layer(name) is None]


def test_the_core_imports_nothing_from_the_other_layers():
    """The core's modules import only the core (engine/__init__'s lazy table is strings, not imports)."""
    wrong = []
    for name, imported in _engine_imports():
        if _layer(name) == 0:
            wrong += [f"{name} imports {m}" for m in imported if (_layer(m) or 0) > 0]
    assert not wrong


def test_each_layer_imports_only_layers_below_it():
    """The vocabulary imports the core, the record no view or tool, and views and tools at most the record."""
    wrong = []
    for name, imported in _engine_imports():
        layer = _layer(name)
        for m in imported:
            theirs = _layer(m)
            if theirs is not None and theirs > layer:
                wrong.append(f"{name} imports {m}")
    assert not wrong


def test_the_map_of_internals_lists_every_module():
    """docs/internals.md ("How it is built") maps every module of engine, nn and chainrule, by folder."""
    readme = (ROOT / "docs" / "internals.md").read_text(encoding="utf-8")
    section = readme[readme.index("# How it is built") :]
    block = section[section.index("```\n") + 4 :]
    block = block[: block.index("```")]
    listed, folders = set(), []
    for line in block.splitlines():
        depth = (len(line) - len(line.lstrip(" "))) // 2
        words = line.split()
        if not words:
            continue
        del folders[depth:]
        if words[0].endswith("/"):
            folders.append(words[0].rstrip("/"))
            continue
        for word in words:
            if not word.endswith(".py"):
                break
            listed.add("/".join([*folders, word]))
    modules = {str(p.relative_to(ROOT)) for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}
    assert sorted(modules - listed) == []


def test_every_test_listed_slow_exists():
    """Each name in tests/conftest.py's SLOW list is a test (or doctest) of the file it is listed under."""
    source = (ROOT / "tests" / "conftest.py").read_text(encoding="utf-8")
    tree = ast.parse(source)
    slow = next(
        ast.literal_eval(n.value)
        for n in tree.body
        if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", None) == "SLOW"
    )
    missing = []
    for path, names in slow.items():
        text = (ROOT / path).read_text(encoding="utf-8")
        module = path.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
        for name in names:
            if f"def {name}(" not in text and name != module:
                missing.append(f"{path}::{name}")
    assert missing == []
