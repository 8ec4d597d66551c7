"""The import graph of app/ has no circle and no arrow that points up, and only app/live/ speaks SQL to
the live store (docs/architecture.md)."""
import ast
import graphlib
import re
from pathlib import Path

from app.live import schema

ROOT = Path(__file__).resolve().parent.parent
ENTRY_POINTS = {"worker", "consumer", "wsgi", "tests", "drills", "bench", "scripts"}
FRAMEWORKS = {"flask", "flask_login", "flask_mail", "flask_wtf", "flask_sqlalchemy", "flask_smorest",
              "flask_limiter", "flask_migrate", "flask_htmx", "sqlalchemy", "werkzeug", "wtforms"}
# The layers, top first: a module may import its own layer and the ones below, never one above.
LAYERS = [
    ("the application factory", {"app"}),
    ("the faces: web pages, API, commands", {"app.blueprints", "app.cli", "app.errors", "app.security",
                                             "app.sessions", "app.staff_context"}),
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


def write_tree(root: Path, files: dict[str, str]) -> None:
    """Write a small sample tree of files (path -> text) under root."""
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


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
    write_tree(tmp_path, files)
    graph = import_graph(tmp_path)
    assert set(find_cycle(graph)) == {"app.extensions", "app.services.keys"}
    assert upward_imports(graph) == ["app.blueprints.a.views -> worker (an entry point)",
                                     "app.domain.rule -> app.models",
                                     "app.extensions -> app.services.keys",
                                     "app.services.keys -> app.blueprints.a",
                                     "app.services.keys -> app.blueprints.a.views"]
    assert sideways_imports(graph) == ["app.blueprints.a.views -> app.blueprints.b.views"]
    assert impure_domain_imports(graph) == ["app.domain.rule -> app.models", "app.domain.rule -> flask"]


# The application code (tests, drills and benchmarks read the store directly, as an outsider would).
APPLICATION = ("app/**/*.py", "consumer.py", "worker/**/*.py")


def live_tables() -> set[str]:
    """The names of the live store's tables."""
    return set(schema.metadata.tables)


def docstrings(tree: ast.AST) -> set[int]:
    """The ids of the docstring nodes of a module and of its classes and functions."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def sql_texts(tree: ast.AST) -> list[tuple[str, str]]:
    """Every string literal that is not a docstring (an f-string's literal parts joined by '{}'),
    with where it is: " NAME" when assigned to a name, else ":line"."""
    skip, names, found = docstrings(tree), {}, []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            names[id(node.value)] = f" {node.targets[0].id}"
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            text = "{}".join(part.value for part in node.values if isinstance(part, ast.Constant))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            text = node.value
        else:
            continue
        found.append((names.get(id(node), f":{node.lineno}"), text))
    return found


def live_store_sql(root: Path = ROOT, tables: set[str] | None = None) -> list[str]:
    """Application modules outside app/live/ that hold SQL text on a live store table (written as our
    SQL is: FROM, JOIN, INTO, UPDATE or TABLE in capitals, then the table), or that import the live
    store's table definitions or PostgreSQL connection to build statements of their own."""
    pattern = re.compile(r"\b(?:FROM|JOIN|INTO|UPDATE|TABLE)\s+\"?(?:%s)\b"
                         % "|".join(map(re.escape, sorted(tables or live_tables()))))
    found = []
    for path in sorted({p for glob in APPLICATION for p in root.glob(glob)}):
        where = path.relative_to(root).as_posix()
        if where.startswith("app/live/"):
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        found.extend(where + place for place, text in sql_texts(tree) if pattern.search(text))
        dotted = ".".join(path.relative_to(root).with_suffix("").parts)
        for imported in imported_names(path, dotted):
            if imported.split(".")[:3] in (["app", "live", "schema"], ["app", "live", "pg"]):
                found.append(f"{where} imports {imported}")
    return sorted(set(found))


def test_only_app_live_speaks_sql_to_the_live_store():
    assert sorted(live_store_sql()) == []


def test_the_live_store_check_sees_sql_and_its_table_definitions_outside_app_live(tmp_path):
    files = {
        "app/live/queries.py": 'SQL = "SELECT * FROM bikes"\n',
        "app/services/page.py": ('"""Read FROM bikes in the docstring (not SQL)."""\n'
                                 'BOARD_SQL = """\nSELECT * FROM bikes b JOIN readings x ON 1\n"""\n'
                                 "def forget(conn, serial):\n"
                                 '    conn.execute(f"DELETE FROM readings WHERE bike_serial = {serial!r}")\n'
                                 "    conn.execute(\"SELECT started_at FROM rides WHERE status = 'ended'\")\n"),
        "app/services/warehouse.py": 'PING = "SELECT 1"\nNOTE = "rides from the fleet"\n',
        "app/services/core.py": "from app.live.schema import bikes\n",
        "consumer.py": "def main(conn):\n    conn.execute('INSERT INTO outbox VALUES (1)')\n",
    }
    write_tree(tmp_path, files)
    assert live_store_sql(tmp_path, {"bikes", "readings", "rides", "outbox"}) == [
        "app/services/core.py imports app.live.schema",
        "app/services/core.py imports app.live.schema.bikes",
        "app/services/page.py BOARD_SQL",
        "app/services/page.py:6",
        "app/services/page.py:7",
        "consumer.py:2",
    ]
