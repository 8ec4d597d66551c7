"""The import graph of app/ has no circle and no arrow that points up (docs/architecture.md)."""
import ast
import graphlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENTRY_POINTS = {"worker", "consumer", "wsgi", "tests", "drills", "bench", "scripts"}
FRAMEWORKS = {"flask", "flask_login", "flask_mail", "flask_wtf", "flask_sqlalchemy", "flask_smorest",
              "flask_limiter", "flask_migrate", "flask_htmx", "sqlalchemy", "werkzeug", "wtforms"}
# The layers, top first: a module may import its own layer and the ones below, never one above.
LAYERS = [
    ("the application factory", {"app"}),
    ("the faces: web pages, API, commands", {"app.blueprints", "app.cli", "app.errors", "app.security",
                                             "app.staff_context"}),
    ("the features", {"app.services", "app.stream"}),
    ("the stores and foundations", {"app.live", "app.models", "app.extensions", "app.config",
                                    "app.settings", "app.openapi"}),
    ("the pure domain", {"app.domain"}),
]


def module_files(root: Path) -> dict[str, Path]:
    """Every module of the `app` package under root, by dotted name (a package by its own name)."""
    modules = {}
    for path in sorted((root / "app").rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def imported_names(path: Path, name: str) -> set[str]:
    """Every module path imported anywhere in the file, function bodies included."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """Module -> the modules it imports: those of `app` by name, others by their top-level name."""
    modules = module_files(root)
    graph = {}
    for name, path in modules.items():
        targets = set()
        for imported in imported_names(path, name):
            if imported in modules:
                targets.add(imported)
            elif imported.split(".")[0] != "app":
                targets.add(imported.split(".")[0])
            # else: a name inside an app module (from app.x import thing), counted as app.x
        graph[name] = targets - {name}
    return graph


def assembles(package: str, target: str) -> bool:
    """A package importing its own parts (a blueprint's views, create_app's blueprints) is assembly,
    not an arrow: Python loads a package before any of its modules anyway."""
    return target.startswith(package + ".")


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One circle of imports between app modules, or [] when there is none."""
    arrows = {name: {t for t in targets if t in graph and not assembles(name, t)}
              for name, targets in graph.items()}
    sorter = graphlib.TopologicalSorter(arrows)
    try:
        sorter.prepare()
    except graphlib.CycleError as error:
        return error.args[1]
    return []


def layer_of(name: str) -> int:
    """The module's layer (0 is the top); a module no layer names is an error to fix here."""
    best = None
    for rank, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (name == prefix or name.startswith(prefix + ".")) and (best is None or len(prefix) > best[1]):
                best = (rank, len(prefix))
    assert best is not None, f"{name} is in no layer: add it to LAYERS and to docs/architecture.md"
    return best[0]


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    """Imports from a lower layer into a higher one, and from app into an entry point."""
    found = []
    for name, targets in graph.items():
        for target in targets:
            if target in ENTRY_POINTS:
                found.append(f"{name} -> {target} (an entry point)")
            elif target in graph and not assembles(name, target) and layer_of(target) < layer_of(name):
                found.append(f"{name} -> {target}")
    return sorted(found)


def blueprint_of(name: str) -> str | None:
    """The blueprint a module belongs to (app.blueprints.<name>), if any."""
    parts = name.split(".")
    return parts[2] if len(parts) > 2 and parts[:2] == ["app", "blueprints"] else None


def sideways_imports(graph: dict[str, set[str]]) -> list[str]:
    """Imports from one blueprint into another."""
    found = []
    for name, targets in graph.items():
        for target in targets:
            mine, theirs = blueprint_of(name), blueprint_of(target)
            if mine and theirs and mine != theirs:
                found.append(f"{name} -> {target}")
    return sorted(found)


def impure_domain_imports(graph: dict[str, set[str]]) -> list[str]:
    """Imports that tie app/domain to Flask, the database or anything of app outside the domain."""
    return sorted(f"{name} -> {target}" for name, targets in graph.items() if name.startswith("app.domain")
                  for target in targets
                  if target in FRAMEWORKS or (target in graph and not target.startswith("app.domain")))


def test_the_import_graph_has_no_circle():
    assert find_cycle(import_graph()) == []


def test_no_import_points_up():
    assert upward_imports(import_graph()) == []


def test_no_blueprint_imports_another():
    assert sideways_imports(import_graph()) == []


def test_the_domain_needs_neither_flask_nor_the_database():
    assert impure_domain_imports(import_graph()) == []


def test_the_checks_see_a_circle_an_upward_a_sideways_and_an_impure_import(tmp_path):
    files = {
        "app/__init__.py": "",
        "app/extensions.py": "def identity():\n    from app.services.keys import prefix\n",
        "app/services/__init__.py": "",
        "app/services/keys.py": "from app.extensions import db\nfrom app.blueprints.a import views\n",
        "app/blueprints/__init__.py": "",
        "app/blueprints/a/__init__.py": "from . import views\n",
        "app/blueprints/a/views.py": "from app.blueprints.b.views import context\nimport worker\n",
        "app/blueprints/b/__init__.py": "",
        "app/blueprints/b/views.py": "from app.blueprints.b import views\n",
        "app/domain/__init__.py": "",
        "app/domain/rule.py": "import flask\nfrom app.models import Ride\n",
        "app/models.py": "",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    graph = import_graph(tmp_path)
    assert set(find_cycle(graph)) == {"app.extensions", "app.services.keys"}
    assert upward_imports(graph) == ["app.blueprints.a.views -> worker (an entry point)",
                                     "app.domain.rule -> app.models",
                                     "app.extensions -> app.services.keys",
                                     "app.services.keys -> app.blueprints.a",
                                     "app.services.keys -> app.blueprints.a.views"]
    assert sideways_imports(graph) == ["app.blueprints.a.views -> app.blueprints.b.views"]
    assert impure_domain_imports(graph) == ["app.domain.rule -> app.models", "app.domain.rule -> flask"]
