"""Group app/services/ by feature (issue 14): one run from the repository root does the whole move.

    python scripts/restructure_services.py          # apply (needs a clean git work tree)
    python scripts/restructure_services.py --plan   # only print the plan

What it does, in order:
1. Checks first and changes nothing when a check fails: a clean work tree, every source module
   present, no target present (a second run stops here), no name clash in a merge.
2. Moves whole definitions where they belong (each skipped, with a note, when already gone):
   `today_local` and `local_day_bounds` into app/services/clock.py; the API's client identity
   (`api_client_identity`, `key_prefix_of_request`) into the API blueprint, which breaks the circle
   app/extensions.py <-> api_keys; `staff_context` and `LogoutForm` into app/staff_context.py, which
   both the staff and the reports blueprints import (no blueprint imports another); the database's
   integer ranges `BIGINT_MAX` and `INT_MAX` from the API's schemas into app/models.py.
3. Merges rides_query.py and ride_history.py into app/services/rides/queries.py.
4. `git mv`s every other module into its feature package (report/, alerts/, rides/, accounts/,
   pages/), each package with an `__init__.py` holding a one-line docstring. Modules added later
   follow their prefix: report_x -> report/x, alerts_x -> alerts/x, ride_x/rides_x -> rides/x.
5. Rewrites every import and dotted or slashed path across the repository's code and docs:
   `from app.services import x` (kept under its old local name with `as`), `from app.services.x import`,
   `import app.services.x`, "app.services.x.f" strings (RQ, mock.patch, logs), `app/services/x.py`.
6. Drops the imports the moves left unused, compiles every Python file and lists any old name left.

Then: `git add -A && python -m pytest -q tests/test_architecture.py` and the whole suite.
Manual checklist after the run (the script prints what it left for a human):
- rides/queries.py holds `rider` and `get_rider_or_none`, the same query twice: keep one.
- Where an import kept its old local name (`from app.services.report import build as reports`),
  renaming the local name is a matter of taste, not of behaviour.
- Loggers named by `__name__` now carry the new module paths (e.g. app.services.rides.closeout).
"""
import argparse
import ast
import re
import subprocess
import sys
from pathlib import Path

SERVICES = Path("app/services")
# Old module (under app/services) -> new module (under app/services); None = merged (see MERGES).
MOVES = {
    "api_keys": "accounts.api_keys",
    "staff_users": "accounts.staff_users",
    "alerts": "alerts.delivery",
    "alerts_today": "alerts.counts",
    "reports": "report.build",
    "report_data": "report.data",
    "report_figures": "report.figures",
    "report_breakdowns": "report.breakdowns",
    "report_charts": "report.charts",
    "report_summary": "report.summary",
    "report_mail": "report.mail",
    "report_links": "report.links",
    "closeout": "rides.closeout",
    "leaderboards": "rides.leaderboards",
    "rides_query": "rides.queries",
    "ride_history": "rides.queries",
    "live_view": "pages.live",
    "staff_view": "pages.staff",
    "pagination": "pages.pagination",
}
# Modules added after this script was written follow their name's prefix.
PREFIX_RULES = [(re.compile(r"report_(\w+)"), "report.{}"), (re.compile(r"alerts_(\w+)"), "alerts.{}"),
                (re.compile(r"rides?_(\w+)"), "rides.{}")]
# Shared by several features, so they stay at the top of app/services.
KEEP = {"__init__", "clock", "jobs", "health", "mail_send", "text_fold"}
PACKAGES = {
    "accounts": "Accounts: API keys and staff users.",
    "alerts": "Heart-rate alerts: delivering one, counting a day's.",
    "report": "The daily report: data, figures, breakdowns, charts, summary, build, email and signed links.",
    "rides": "Finished rides in the warehouse: closeout, queries, leaderboards.",
    "pages": "What the live and staff pages show, read from the live store and the warehouse.",
}
MERGES = {
    "rides.queries": (["rides_query", "ride_history"],
                      "Reads of the warehouse for the API and the pages: rides, readings, riders, "
                      "recent rides, bests."),
}
OLD_INIT = '"""Operations shared by views, jobs and the consumer."""\n'
NEW_INIT = ('"""Operations shared by views, jobs and the consumer, one package per feature '
            '(docs/architecture.md)."""\n')
# (source module, names, destination module, docstring when the destination is new).
SYMBOL_MOVES = [
    ("app.services.alerts_today", ["local_day_bounds", "today_local"], "app.services.clock",
     "Today and a day's bounds in DELOTON_TZ: the one clock of the pages, the API and the report."),
    ("app.extensions", ["api_client_identity"], "app.blueprints.api", None),
    ("app.services.api_keys", ["key_prefix_of_request"], "app.blueprints.api", None),
    ("app.blueprints.staff.forms", ["LogoutForm"], "app.staff_context",
     "What every staff page shows around its content: the alerts warning banner and the logout form."),
    ("app.blueprints.staff.views", ["staff_context"], "app.staff_context", None),
    # The database's integer ranges, which the live pages check too (no blueprint imports another).
    ("app.blueprints.api.schemas", ["BIGINT_MAX", "INT_MAX"], "app.models", None),
]
SCOPE = ["app", "worker", "tests", "drills", "bench", "scripts", "docs", "consumer.py", "wsgi.py",
         "README.md", "BENCHMARKS.md", "Makefile", "Procfile", "pytest.ini"]
TEXT_SUFFIXES = {".py", ".md", ".txt", ".html", ".ini", ".cfg", ".toml", ".yml", ".yaml", ".sh", ".sql",
                 ".js", ".css", ""}
SELF = Path("scripts/restructure_services.py")
# Written for the new layout already: never rewritten.
SKIP = {SELF, Path("docs/architecture.md"), Path("tests/test_architecture.py")}
LINE_LENGTH = 110
CREATED: set[Path] = set()  # destination modules this run made


class Refused(Exception):
    """A check failed before anything changed."""


def git(*args: str) -> str:
    """Run git and return its output."""
    return subprocess.run(["git", *args], check=True, capture_output=True, text=True).stdout


def module_path(module: str) -> Path:
    """The file of a dotted module (a package's __init__.py when it is a folder)."""
    path = Path(*module.split("."))
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


def file_of(module: str) -> Path:
    """The .py file a dotted module name stands for (not a package)."""
    return Path(*module.split(".")).with_suffix(".py")


def module_of(path: Path) -> str:
    """The dotted name of a Python file."""
    parts = list(path.with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def plan_moves() -> tuple[dict[str, str], list[str]]:
    """Old dotted module -> new dotted module for every module now in app/services, and warnings."""
    plan, warnings = {}, []
    for path in sorted(SERVICES.glob("*.py")):
        name = path.stem
        if name in KEEP:
            continue
        target = MOVES.get(name) or next((fmt.format(m.group(1)) for rx, fmt in PREFIX_RULES
                                          if (m := rx.fullmatch(name))), None)
        if target is None:
            warnings.append(f"app/services/{name}.py belongs to no feature: left where it is")
            continue
        plan[f"app.services.{name}"] = f"app.services.{target}"
    return plan, warnings


# ---------------------------------------------------------------- checks


def preflight(plan: dict[str, str]) -> None:
    """Refuse, before any change, when the tree is not clean or the move cannot apply whole."""
    if git("status", "--porcelain"):
        raise Refused("the work tree has changes: commit or stash them first")
    missing = [f"app/services/{old}.py" for old in MOVES if f"app.services.{old}" not in plan]
    missing += [str(module_path(src)) for src, _, _, _ in SYMBOL_MOVES if not module_path(src).is_file()]
    if missing:
        raise Refused("missing source files (already restructured?): " + ", ".join(dict.fromkeys(missing)))
    sources_of = {}
    for old, new in plan.items():
        sources_of.setdefault(new, set()).add(old.removeprefix("app.services."))
    merged = {f"app.services.{new}": set(olds) for new, (olds, _) in MERGES.items()}
    clashes = [new for new, olds in sources_of.items() if len(olds) > 1 and merged.get(new) != olds]
    if clashes:
        raise Refused("several modules would become " + ", ".join(clashes))
    existing = [str(file_of(new)) for new in sources_of if file_of(new).exists()]
    existing += [f"app/services/{pkg}/" for pkg in PACKAGES if any((SERVICES / pkg).glob("*.py"))]
    existing += [str(module_path(dest)) for _, _, dest, doc in SYMBOL_MOVES
                 if doc and module_path(dest).exists()]
    if existing:
        raise Refused("targets exist already (a second run?): " + ", ".join(sorted(set(existing))))
    for new, (olds, _) in MERGES.items():
        seen = {}
        for old in olds:
            for name in top_level_names(ast.parse((SERVICES / f"{old}.py").read_text())):
                if name in seen:
                    raise Refused(f"{name} is defined in both {seen[name]}.py and {old}.py: merge by hand")
                seen[name] = old
    attribute_uses = moved_attributes_used()
    if attribute_uses:
        raise Refused("moved functions used as module attributes; change these to a from-import first: "
                      + ", ".join(attribute_uses))


def top_level_names(tree: ast.Module) -> set[str]:
    """Names a module defines at its top level (not its imports)."""
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names


def moved_attributes_used() -> list[str]:
    """Places that reach a moved function as `module.function`, which the rewrite cannot follow."""
    moved = {(src, name) for src, names, _, _ in SYMBOL_MOVES for name in names}
    found = []
    for path in python_files():
        tree = ast.parse(path.read_text())
        aliases = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for a in node.names:
                    aliases[a.asname or a.name] = f"{node.module}.{a.name}"
            elif isinstance(node, ast.Import):
                for a in node.names:
                    aliases[a.asname or a.name] = a.name
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and \
                    (aliases.get(node.value.id), node.attr) in moved:
                found.append(f"{path}:{node.lineno}")
    return found


# ---------------------------------------------------------------- files


def scope_files() -> list[Path]:
    """Tracked text files the rewrite may touch (never this script)."""
    listed = git("ls-files", "-z", "--", *[s for s in SCOPE if Path(s).exists()]).split("\0")
    files = [Path(p) for p in listed if p]
    return [p for p in files if p.is_file() and p not in SKIP and p.suffix in TEXT_SUFFIXES]


def python_files() -> list[Path]:
    """Tracked Python files in scope (plus any new ones under app/)."""
    found = {p for p in scope_files() if p.suffix == ".py"} | set(Path("app").rglob("*.py"))
    return sorted(p for p in found if p not in SKIP and p.is_file())


def replace_lines(text: str, edits: list[tuple[int, int, str | None]]) -> str:
    """Replace 1-based inclusive line ranges (None deletes), applied bottom-up."""
    lines = text.splitlines(keepends=True)
    for start, end, new in sorted(edits, reverse=True):
        lines[start - 1:end] = [] if new is None else [new if new.endswith("\n") else new + "\n"]
    return "".join(lines)


# ---------------------------------------------------------------- imports


def format_from(module: str, aliases: list[tuple[str, str | None]], indent: str = "") -> str:
    """`from module import a, b as c`, wrapped in parentheses past the line length."""
    names = [f"{n} as {a}" if a and a != n else n for n, a in aliases]
    line = f"{indent}from {module} import {', '.join(names)}"
    if len(line) <= LINE_LENGTH:
        return line
    head = f"{indent}from {module} import ("
    lines, current, empty = [], head, True
    for i, name in enumerate(names):
        piece = name + (")" if i == len(names) - 1 else ",")
        candidate = current + ("" if empty else " ") + piece
        if len(candidate) > LINE_LENGTH and not empty:
            lines.append(current)
            current, empty = " " * len(head) + piece, False
        else:
            current, empty = candidate, False
    lines.append(current)
    return "\n".join(lines)


def import_node_text(node: ast.stmt) -> tuple[str, list[tuple[str, str | None]]]:
    """The module and (name, asname) pairs of a from-import."""
    return node.module, [(a.name, a.asname) for a in node.names]


def add_import(text: str, module: str, name: str) -> str:
    """Make `name` importable from `module` at the top of a file (joining an existing from-import)."""
    tree = ast.parse(text)
    imports = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    for node in imports:
        if isinstance(node, ast.ImportFrom) and node.module == module and not node.level:
            _, aliases = import_node_text(node)
            if (name, None) in aliases:
                return text
            new = format_from(module, sorted(aliases + [(name, None)], key=lambda a: a[0].lower()))
            return replace_lines(text, [(node.lineno, node.end_lineno, new)])
    line = format_from(module, [(name, None)])
    same = [n for n in imports if section(imported_module(n)) == section(module)]
    higher = [n for n in imports if section(imported_module(n)) > section(module)]
    if same:
        later = [n for n in same if isinstance(n, ast.ImportFrom) and imported_module(n) > module]
        return insert_before(text, later[0].lineno, line) if later else \
            insert_before(text, same[-1].end_lineno + 1, line)
    if higher:
        return insert_before(text, higher[0].lineno, line + "\n")
    anchor = imports[-1].end_lineno if imports else (tree.body[0].end_lineno if tree.body else 0)
    return insert_before(text, anchor + 1, ("\n" if imports else "") + line)


def imported_module(node: ast.stmt) -> str:
    """The module an import statement names first."""
    return node.module or "" if isinstance(node, ast.ImportFrom) else node.names[0].name


def sort_app_imports(path: Path) -> None:
    """Sort each unbroken run of top-level `from app... import` statements by module (isort's order)."""
    text = path.read_text()
    tree = ast.parse(text)
    lines = text.splitlines(keepends=True)
    runs, run = [], []
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and not node.level and (node.module or "").startswith("app") \
                and (not run or run[-1].end_lineno + 1 == node.lineno):
            run.append(node)
            continue
        runs.append(run)
        run = [node] if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("app") else []
    runs.append(run)
    edits = []
    for run in runs:
        if len(run) < 2:
            continue
        blocks = ["".join(lines[n.lineno - 1:n.end_lineno]) for n in run]
        ordered = [b for _, b in sorted(zip([n.module.lower() for n in run], blocks), key=lambda x: x[0])]
        if ordered != blocks:
            edits.append((run[0].lineno, run[-1].end_lineno, "".join(ordered)))
    if edits:
        path.write_text(replace_lines(text, edits))


def insert_before(text: str, lineno: int, block: str) -> str:
    """Insert lines before a 1-based line number."""
    lines = text.splitlines(keepends=True)
    lines[lineno - 1:lineno - 1] = [block if block.endswith("\n") else block + "\n"]
    return "".join(lines)


def prune_unused_imports(path: Path) -> None:
    """Drop top-level imported names the module no longer uses (lines marked noqa stay)."""
    text = path.read_text()
    tree = ast.parse(text)
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    used |= {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    lines = text.splitlines()
    edits = []
    for node in tree.body:
        if not isinstance(node, (ast.Import, ast.ImportFrom)) or "noqa" in lines[node.end_lineno - 1]:
            continue
        keep = [a for a in node.names if (a.asname or a.name).split(".")[0] in used]
        if len(keep) == len(node.names):
            continue
        if not keep:
            edits.append((node.lineno, node.end_lineno, None))
        elif isinstance(node, ast.ImportFrom):
            edits.append((node.lineno, node.end_lineno,
                          format_from(node.module, [(a.name, a.asname) for a in keep])))
        else:
            names = ", ".join(f"{a.name} as {a.asname}" if a.asname else a.name for a in keep)
            edits.append((node.lineno, node.end_lineno, f"import {names}"))
    path.write_text(replace_lines(text, edits))


# ---------------------------------------------------------------- step 2: moves of definitions


def definition_span(lines: list[str], node: ast.stmt) -> tuple[int, int]:
    """1-based line span of a top-level definition with its decorators and the comments just above."""
    start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
    while start > 1 and lines[start - 2].startswith("#"):
        start -= 1
    return start, node.end_lineno


def move_definitions(notes: list[str]) -> list[Path]:
    """Move each whole definition to its destination; return the files the moves left."""
    sources, symbols = [], symbol_destinations()
    for src, names, dest, doc in SYMBOL_MOVES:
        src_path = module_path(src)
        text = src_path.read_text()
        tree = ast.parse(text)
        nodes = {defined_name(n): n for n in tree.body if defined_name(n) in names}
        for name in names:
            if name not in nodes:
                notes.append(f"{src}.{name} is not there any more: not moved (done on another branch?)")
        if not nodes:
            continue
        lines = text.splitlines(keepends=True)
        imports = import_bindings(tree)
        locals_ = top_level_names(tree)
        blocks, needed, edits = [], {}, []
        for name, node in nodes.items():
            start, end = definition_span(text.splitlines(), node)
            body_start = node.lineno
            decorators = getattr(node, "decorator_list", [])
            comment = "".join(lines[start - 1:min([node.lineno] + [d.lineno for d in decorators]) - 1])
            blocks.append((comment + "".join(lines[body_start - 1:end]), isinstance(node, ast.Assign)))
            wrapped = name
            for decorator in reversed(decorators):
                wrapped = f"{ast.unparse(decorator)}({wrapped})"
            edits.append((start, end, None if wrapped == name else wrapped))
            if decorators:
                node.decorator_list = []  # the decorators stay behind, so do their names
            for used in {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}:
                if used in imports and symbols.get(imports[used]) == dest:
                    continue  # moved to the same place in this run
                if used in imports:
                    needed.setdefault(imports[used][0], set()).add((imports[used][1], used))
                elif used in locals_ and used not in nodes:
                    needed.setdefault(src, set()).add((used, used))
        text = replace_lines(text, edits)
        text = re.sub(r"\n{4,}", "\n\n\n", text)
        src_path.write_text(text)
        remaining = {n.id for n in ast.walk(ast.parse(text)) if isinstance(n, ast.Name)}
        for name in nodes:
            if name in remaining:
                src_path.write_text(add_import(src_path.read_text(), dest, name))
        write_destination(dest, doc, blocks, needed)
        sources.append(src_path)
    return sources


def defined_name(node: ast.stmt) -> str | None:
    """The name a top-level function, class or one-name assignment defines."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return node.name
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
        return node.targets[0].id
    return None


def import_bindings(tree: ast.Module) -> dict[str, tuple[str, str]]:
    """Top-level name -> (module, imported name) for `from m import x [as y]`; ("", m) for `import m`."""
    found = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and not node.level:
            for a in node.names:
                found[a.asname or a.name] = (node.module, a.name)
        elif isinstance(node, ast.Import):
            for a in node.names:
                found[(a.asname or a.name).split(".")[0]] = ("", a.name)
    return found


def write_destination(dest: str, doc: str | None, blocks: list[str], needed: dict) -> None:
    """Create the destination module, or add the definitions to it before its first definition."""
    path = module_path(dest)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f'"""{doc}"""\n')
        CREATED.add(path)
    text = path.read_text()
    tree = ast.parse(text)
    first = None if path in CREATED else \
        next((n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))), None)
    block = ""
    for i, (text_of, is_constant) in enumerate(blocks):
        if i:  # constants stay together; definitions get two blank lines
            block += "" if is_constant and blocks[i - 1][1] else "\n\n"
        block += text_of.rstrip("\n") + "\n"
    if first is None:
        text = text.rstrip("\n") + "\n\n\n" + block
    else:
        start, _ = definition_span(text.splitlines(), first)
        text = insert_before(text, start, block + "\n\n")
        if all(is_constant for _, is_constant in blocks):  # constants follow the imports after one blank line
            text = text.replace("\n\n\n" + block, "\n\n" + block, 1)
    for module, pairs in needed.items():
        for imported, bound in sorted(pairs):
            if module == "":
                text = add_plain_import(text, imported, bound)
            elif module != dest:
                text = add_import(text, module, imported)
    path.write_text(text)
    git("add", str(path))


def add_plain_import(text: str, module: str, bound: str) -> str:
    """Add `import module [as bound]` after the docstring unless it is there."""
    line = f"import {module}" + (f" as {bound}" if bound != module.split(".")[0] else "")
    if line in text.splitlines():
        return text
    tree = ast.parse(text)
    return insert_before(text, tree.body[0].end_lineno + 1, line)


# ---------------------------------------------------------------- step 3: merges


def merged_module(olds: list[str], doc: str) -> str:
    """One module from several: one docstring, their imports joined, their bodies one after another."""
    froms, plains, bodies = {}, set(), []
    for old in olds:
        text = (SERVICES / f"{old}.py").read_text()
        tree = ast.parse(text)
        body = tree.body[1:] if isinstance(tree.body[0], ast.Expr) else tree.body
        imports = []
        for node in body:
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                break
            imports.append(node)
        for node in imports:
            if isinstance(node, ast.ImportFrom):
                if node.module in {f"app.services.{o}" for o in olds}:
                    continue
                for a in node.names:
                    pair = (a.name, a.asname)
                    froms.setdefault(node.module, [])
                    if pair not in froms[node.module]:
                        froms[node.module].append(pair)
            else:
                plains.update((a.name, a.asname) for a in node.names)
        start = (imports[-1].end_lineno if imports else body[0].lineno - 1)
        first = next(n for n in body if not isinstance(n, (ast.Import, ast.ImportFrom)))
        gap = "\n" if isinstance(first, (ast.FunctionDef, ast.ClassDef)) else ""
        bodies.append(gap + "".join(text.splitlines(keepends=True)[start:]).strip("\n") + "\n")
    return f'"""{doc}"""\n{import_header(froms, plains)}\n\n' + "\n\n".join(bodies)


def import_header(froms: dict[str, list], plains: set) -> str:
    """Import lines in isort's order: sections apart, `import x` before `from x import y`."""
    sections = {0: [], 1: [], 2: []}
    for name, asname in sorted(plains):
        sections[section(name)].append(f"import {name}" + (f" as {asname}" if asname else ""))
    for module in sorted(froms):
        names = sorted(froms[module], key=lambda a: a[0].lower())
        sections[section(module)].append(format_from(module, names))
    return "\n\n".join("\n".join(lines) for lines in sections.values() if lines)


def tidy_imports(path: Path) -> None:
    """Put a new module's leading imports in isort's order."""
    text = path.read_text()
    tree = ast.parse(text)
    body = tree.body[1:] if isinstance(tree.body[0], ast.Expr) else tree.body
    imports = []
    for node in body:
        if not isinstance(node, (ast.Import, ast.ImportFrom)):
            break
        imports.append(node)
    if not imports:
        return
    froms, plains = {}, set()
    for node in imports:
        if isinstance(node, ast.ImportFrom):
            froms.setdefault(node.module, []).extend((a.name, a.asname) for a in node.names)
        else:
            plains.update((a.name, a.asname) for a in node.names)
    rest = "".join(text.splitlines(keepends=True)[imports[-1].end_lineno:]).lstrip("\n")
    head = "".join(text.splitlines(keepends=True)[:imports[0].lineno - 1])
    gap = "\n\n" if isinstance(body[len(imports)], (ast.FunctionDef, ast.ClassDef)) else "\n"
    path.write_text(head + import_header(froms, plains) + "\n" + gap + rest)


def section(module: str) -> int:
    """isort's sections: standard library, third party, this project."""
    top = module.split(".")[0]
    return 2 if top == "app" else 0 if top in sys.stdlib_module_names else 1


def merge_modules() -> None:
    """Write each merged module and remove its sources."""
    for new, (olds, doc) in MERGES.items():
        path = SERVICES / Path(*new.split(".")).with_suffix(".py")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(merged_module(olds, doc))
        git("add", str(path))
        git("rm", "-q", *[str(SERVICES / f"{o}.py") for o in olds])


# ---------------------------------------------------------------- step 4: git mv


def move_modules(plan: dict[str, str]) -> None:
    """Create the packages and git mv each remaining module to its place."""
    merged = {o for olds, _ in MERGES.values() for o in olds}
    for package, doc in PACKAGES.items():
        (SERVICES / package).mkdir(exist_ok=True)
        init = SERVICES / package / "__init__.py"
        init.write_text(f'"""{doc}"""\n')
        git("add", str(init))
    for old, new in plan.items():
        if old.removeprefix("app.services.") in merged:
            continue
        target = Path(*new.split(".")).with_suffix(".py")
        target.parent.mkdir(parents=True, exist_ok=True)
        if not (target.parent / "__init__.py").exists():
            (target.parent / "__init__.py").write_text(f'"""{target.parent.name.capitalize()}."""\n')
            git("add", str(target.parent / "__init__.py"))
        git("mv", str(file_of(old)), str(target))
    init = SERVICES / "__init__.py"
    if init.read_text() == OLD_INIT:
        init.write_text(NEW_INIT)


# ---------------------------------------------------------------- step 5: rewriting


def symbol_destinations() -> dict[tuple[str, str], str]:
    """(old module, name) -> module that defines the name now."""
    return {(src, name): dest for src, names, dest, _ in SYMBOL_MOVES for name in names}


def rewrite_python_imports(path: Path, plan: dict[str, str], symbols: dict) -> None:
    """Rewrite from-imports of moved modules and names (function bodies too), keeping local names."""
    text = path.read_text()
    own = module_of(path)
    tree = ast.parse(text)
    edits = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom) or node.level or not node.module:
            continue
        groups: dict[str, list] = {}
        changed = False
        for a in node.names:
            module, name, asname = node.module, a.name, a.asname
            if (module, name) in symbols:
                module = symbols[(module, name)]
                if module == own:  # the name lives in this very module now
                    changed = True
                    continue
            elif module == "app.services" and f"app.services.{name}" in plan:
                parent, _, leaf = plan[f"app.services.{name}"].rpartition(".")
                module, name, asname = parent, leaf, asname or name
            elif module in plan:
                module = plan[module]
            changed |= (module, name, asname) != (node.module, a.name, a.asname)
            groups.setdefault(module, []).append((name, asname))
        if not changed:
            continue
        indent = " " * node.col_offset
        comment = text.splitlines()[node.end_lineno - 1][node.end_col_offset:].rstrip()  # e.g. "  # noqa"
        new = "\n".join(format_from(m, pairs, indent) + comment
                        for m, pairs in sorted(groups.items()))
        if not new and node.col_offset:
            lines = text.splitlines()
            after = node.end_lineno < len(lines) and not lines[node.end_lineno].strip()
            edits.append((node.lineno, node.end_lineno + (1 if after else 0), None))
        else:
            edits.append((node.lineno, node.end_lineno, new or None))
    if edits:
        path.write_text(replace_lines(text, edits))


def text_rewriter(plan: dict[str, str], symbols: dict):
    """A function that rewrites dotted and slashed mentions of moved modules and names in any text."""
    olds = sorted((o.removeprefix("app.services.") for o in plan), key=len, reverse=True)
    submodules = {}
    for new in plan.values():
        package, _, leaf = new.rpartition(".")
        submodules.setdefault(package, set()).add(leaf)
    dotted = re.compile(r"(?<![\w.])app\.services\.(?P<mod>" + "|".join(olds) + r")\b(?P<rest>\.\w+)?")
    slashed = re.compile(r"(?<![\w/.])app/services/(?P<mod>" + "|".join(olds) + r")\.py\b"
                         r"(?P<sym>: ?\w+)?")
    symbol_rx = [(re.compile(r"(?<![\w.])" + re.escape(src) + r"\." + name + r"\b"), f"{dest}.{name}")
                 for (src, name), dest in symbols.items()]

    def dotted_sub(m: re.Match) -> str:
        old, rest = f"app.services.{m['mod']}", m["rest"] or ""
        if rest and old in submodules and rest[1:] in submodules[old]:
            return m[0]  # already the new package's module (app.services.alerts.delivery)
        return plan[old] + rest

    def slashed_sub(m: re.Match) -> str:
        old, sym = f"app.services.{m['mod']}", m["sym"] or ""
        new = symbols.get((old, sym.lstrip(": ")), plan[old])
        return new.replace(".", "/") + ".py" + sym

    def rewrite(text: str) -> str:
        for rx, new in symbol_rx:
            text = rx.sub(new, text)
        return slashed.sub(slashed_sub, dotted.sub(dotted_sub, text))
    return rewrite


def unique_basenames(plan: dict[str, str]) -> list[str]:
    """Old module names with an underscore that no other tracked file shares (read before the moves)."""
    basenames = {}
    for p in git("ls-files").splitlines():
        basenames.setdefault(Path(p).name, []).append(p)
    return [o.removeprefix("app.services.") for o in plan if "_" in o.removeprefix("app.services.")
            and len(basenames.get(o.removeprefix("app.services.") + ".py", [])) == 1]


def bare_name_rewriter(plan: dict[str, str], unique: list[str]):
    """In docs, `report_links.py` alone means app/services/report_links.py (no other file has the name)."""
    if not unique:
        return lambda text: text
    rx = re.compile(r"(?<![\w/.])(" + "|".join(sorted(unique, key=len, reverse=True)) + r")\.py\b")
    return lambda text: rx.sub(lambda m: plan[f"app.services.{m[1]}"].replace(".", "/") + ".py", text)


def rewrite_everything(plan: dict[str, str], files: list[Path], unique: list[str]) -> list[Path]:
    """Rewrite imports, dotted names and paths in every file in scope; return the files changed."""
    symbols = symbol_destinations()
    rewrite, bare = text_rewriter(plan, symbols), bare_name_rewriter(plan, unique)
    changed = []
    for path in files:
        if not path.is_file():
            continue
        try:
            before = path.read_text()
        except UnicodeDecodeError:
            continue
        if path.suffix == ".py":
            rewrite_python_imports(path, plan, symbols)
        text = rewrite(path.read_text())
        if path.suffix == ".md":
            text = bare(text)
        path.write_text(text)
        if text != before:
            changed.append(path)
            if path.suffix == ".py":
                sort_app_imports(path)
    return changed


# ---------------------------------------------------------------- step 6: checks after


def leftovers(plan: dict[str, str]) -> list[str]:
    """Lines that still name an old module (for a human to look at)."""
    olds = "|".join(sorted((o.removeprefix("app.services.") for o in plan), key=len, reverse=True))
    leaves = "|".join(sorted({new.rpartition(".")[2] for new in plan.values()}))
    rx = re.compile(r"app[./]services[./](" + olds + r")\b(?![./](" + leaves + r")\b)"
                    r"|from app\.services import")
    found, shared = [], "|".join(KEEP)
    for path in scope_files():
        try:
            for i, line in enumerate(path.read_text().splitlines(), 1):
                kept = "from app.services import" in line and re.search(r"import (" + shared + ")", line)
                if rx.search(line) and not kept:
                    found.append(f"{path}:{i}: {line.strip()}")
        except (UnicodeDecodeError, FileNotFoundError):
            continue
    return found


def main() -> int:
    """Check, then apply the whole restructure, then report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plan", action="store_true", help="print the plan and change nothing")
    args = parser.parse_args()
    if not (Path(".git").exists() and SERVICES.is_dir()):
        print("Run this from the repository root.", file=sys.stderr)
        return 2
    plan, warnings = plan_moves()
    for old, new in plan.items():
        print(f"  {old:32} -> {new}")
    for src, names, dest, _ in SYMBOL_MOVES:
        print(f"  {src}: {', '.join(names)} -> {dest}")
    if args.plan:
        print("\n".join(warnings))
        return 0
    try:
        preflight(plan)
    except Refused as refused:
        print(f"Nothing changed: {refused}.", file=sys.stderr)
        return 1
    files, unique = scope_files(), unique_basenames(plan)
    moved = {file_of(old): file_of(new) for old, new in plan.items()}
    new_modules = [module_path(dest) for _, _, dest, doc in SYMBOL_MOVES if doc]
    notes = list(warnings)
    try:
        sources = move_definitions(notes)
        merge_modules()
        move_modules(plan)
        files = sorted({moved.get(f, f) for f in files} | set(Path("app").rglob("*.py")))
        changed = rewrite_everything(plan, files, unique)
        for path in {moved.get(p, p) for p in sources}:
            if path.exists():
                prune_unused_imports(path)
        for path in new_modules:
            if path.exists():
                tidy_imports(path)
        broken = []
        for path in python_files():
            try:
                compile(path.read_text(), str(path), "exec")
            except SyntaxError as error:
                broken.append(f"{path}: {error}")
    except Exception:
        print("The restructure stopped half-way; undo it with: git reset -q --hard && git clean -fdq app",
              file=sys.stderr)
        raise
    print(f"\nRewrote {len(changed)} files.")
    for note in notes:
        print(f"NOTE: {note}")
    for line in leftovers(plan):
        print(f"LEFT: {line}")
    for error in broken:
        print(f"BROKEN: {error}")
    print("Next: git add -A, read `git diff --cached --stat`, run the tests, commit.")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
