"""The fix for a polluter that leaves state changed: an autouse fixture that restores it.

Given the leaks of a polluter (as the validator named them, with what to restore), this
writes a fixture into the polluter's module that snapshots that state before each of the
module's tests and puts it back after: environment variables, the working directory, `sys.path`,
module globals and class attributes (deep-copied where they can be, so in-place changes
are undone too), a FastAPI app's `dependency_overrides`, the global `random` state, the
project's `sys.modules` entries (put back when removed or replaced, dropped when added) and
the paths under the temp folder (removed when created, put back when removed or changed).
Database rows, threads and open files have no fix here. The module is edited with libcst,
keeping its formatting.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

import libcst as cst

from testing_lib.isolation.order_models import StateLeak

FIXTURE_NAME = "_restore_leaked_state"
RESTORABLE = frozenset(
    {
        "env",
        "cwd",
        "sys_path",
        "module_globals",
        "dependency_overrides",
        "random",
        "sys_modules",
        "temp_files",
        "fixture_values",
    }
)


def restorable(leaks: Iterable[StateLeak]) -> list[StateLeak]:
    """The leaks a restoring fixture can undo (those with what to restore named)."""
    return [
        leak
        for leak in leaks
        if leak.state in RESTORABLE
        and (leak.subject or leak.state in ("random",))
        and not (leak.state == "cwd" and leak.subject[0].startswith("\0"))
    ]


def _attribute_paths(leaks: Sequence[StateLeak]) -> list[tuple[str, str]]:
    paths: list[tuple[str, str]] = []
    for leak in leaks:
        if leak.state == "module_globals" and len(leak.subject) == 2:
            paths.append((leak.subject[0], leak.subject[1]))
        elif leak.state == "dependency_overrides" and len(leak.subject) == 2:
            paths.append((leak.subject[0], f"{leak.subject[1]}.dependency_overrides"))
    return sorted(set(paths))


def fixture_source(leaks: Sequence[StateLeak]) -> str:
    """The fixture's code (module level, 4-space indents), restoring what `leaks` name."""
    keys = sorted({leak.subject[0] for leak in leaks if leak.state == "env" and leak.subject})
    paths = _attribute_paths(leaks)
    cwd = any(leak.state == "cwd" for leak in leaks)
    path = any(leak.state == "sys_path" for leak in leaks)
    rng = any(leak.state == "random" for leak in leaks)
    modules = sorted(
        {name for leak in leaks if leak.state == "sys_modules" for name in leak.subject}
    )
    temp = sorted({item for leak in leaks if leak.state == "temp_files" for item in leak.subject})
    created = [item[1:].rstrip("/") for item in temp if item.startswith("+")]
    kept = [item[1:] for item in temp if item[:1] in "-~"]
    shared = sorted({leak.subject[0] for leak in leaks if leak.state == "fixture_values"})
    imports = [
        *(["copy", "importlib"] if paths else []),
        *(["copy"] if shared and not paths else []),
        *(["os"] if keys or cwd or temp else []),
        *(["random"] if rng else []),
        *(["shutil", "tempfile"] if temp else []),
        *(["sys"] if path or modules else []),
    ]
    body = [
        "@pytest.fixture(autouse=True)",
        f"def {FIXTURE_NAME}({'request' if shared else ''}):",
        '    """Put back, after each test of this module, the state its tests change and',
        "    tests elsewhere read (written by remediate, which proved that",
        '    the order that failed passes with it)."""',
        *(f"    import {name}" for name in sorted(imports)),
        "",
        *(["    absent = object()"] if paths or modules else []),
    ]
    if keys:
        body.append(f"    environ = {{key: os.environ.get(key) for key in {json.dumps(keys)}}}")
    if cwd:
        body.append("    cwd = os.getcwd()")
    if rng:
        body.append("    random_state = random.getstate()")
    if path:
        body.append("    import_path = list(sys.path)")
    if modules:
        body += [
            "    modules = {",
            "        name: sys.modules.get(name, absent)",
            "        for name in [",
            *(f"            {json.dumps(name)}," for name in modules),
            "        ]",
            "    }",
        ]
    if shared:
        body += [
            "    values = []  # shared fixture values its tests change in place",
            f"    for name in {json.dumps(shared)}:",
            "        if name in request.fixturenames:",
            "            value = request.getfixturevalue(name)",
            "            values.append((value, copy.deepcopy(value)))",
        ]
    if temp:
        body.append("    temp = tempfile.gettempdir()")
    if created:
        body += [
            f"    created = [os.path.join(temp, path) for path in {json.dumps(created)}]",
            "    existed = {path for path in created if os.path.lexists(path)}",
        ]
    if kept:
        body += [
            "    kept = {}  # files its tests remove or change, put back after",
            f"    for path in [os.path.join(temp, path) for path in {json.dumps(kept)}]:",
            "        try:",
            '            with open(path, "rb") as handle:',
            "                kept[path] = handle.read()",
            "        except OSError:",
            "            pass",
        ]
    if paths:
        listed = [f"        ({json.dumps(m)}, {json.dumps(p)})," for m, p in paths]
        body += [
            "    saved = []",
            "    for module_name, path in [",
            *listed,
            "    ]:",
            "        owner = importlib.import_module(module_name)",
            '        *parents, name = path.split(".")',
            "        for parent in parents:",
            "            owner = getattr(owner, parent)",
            "        value = vars(owner).get(name, absent)",
            "        try:",
            "            contents = copy.deepcopy(value)  # to undo changes made in place",
            "        except Exception:  # not copyable: restore the binding only",
            "            contents = absent",
            "        saved.append((owner, name, value, contents))",
        ]
    body.append("    yield")
    if keys:
        body += [
            "    for key, value in environ.items():",
            "        if value is None:",
            "            os.environ.pop(key, None)",
            "        else:",
            "            os.environ[key] = value",
        ]
    if cwd:
        body.append("    os.chdir(cwd)")
    if rng:
        body.append("    random.setstate(random_state)")
    if path:
        body.append("    sys.path[:] = import_path")
    if modules:
        body += [
            "    for name, module in modules.items():",
            "        if module is not absent:",
            "            sys.modules[name] = module",
            "            continue",
            "        sys.modules.pop(name, None)",
            '        parent, _, child = name.rpartition(".")',
            "        if parent in sys.modules and child in vars(sys.modules[parent]):",
            "            delattr(sys.modules[parent], child)",
        ]
    if shared:
        body += [
            "    for value, contents in values:",
            "        if isinstance(value, (dict, set)):",
            "            value.clear()",
            "            value.update(contents)",
            "        elif isinstance(value, list):",
            "            value[:] = contents",
            '        elif hasattr(value, "__dict__"):',
            "            vars(value).clear()",
            "            vars(value).update(vars(contents))",
        ]
    if created:
        body += [
            "    for path in created:",
            "        if path in existed or not os.path.lexists(path):",
            "            continue",
            "        if os.path.isdir(path) and not os.path.islink(path):",
            "            shutil.rmtree(path, ignore_errors=True)",
            "        else:",
            "            os.remove(path)",
        ]
    if kept:
        body += [
            "    for path, data in kept.items():",
            "        os.makedirs(os.path.dirname(path), exist_ok=True)",
            '        with open(path, "wb") as handle:',
            "            handle.write(data)",
        ]
    if paths:
        body += [
            "    for owner, name, value, contents in saved:",
            "        if value is absent:",
            "            if name in vars(owner):",
            "                delattr(owner, name)",
            "            continue",
            "        setattr(owner, name, value)  # the same object, wherever it is imported",
            "        if contents is absent:",
            "            continue",
            "        if isinstance(value, (dict, set)):",
            "            value.clear()",
            "            value.update(contents)",
            "        elif isinstance(value, list):",
            "            value[:] = contents",
        ]
    return "\n".join(body) + "\n"


class FixtureExists(ValueError):
    """The module already has a fixture of that name (an earlier fix): left alone."""


def _import_position(body: Sequence[cst.BaseStatement]) -> int:
    """The index after the module's docstring and leading imports."""
    last_import = -1
    for index, statement in enumerate(body):
        if _is_import(statement) or (index == 0 and is_docstring(statement)):
            last_import = index
        elif last_import >= 0 or not is_docstring(statement):
            break
    return last_import + 1


def ensure_pytest_import(module: cst.Module) -> cst.Module:
    """`module` with `import pytest` after its leading imports, unless it has one."""
    body = list(module.body)
    if _imports_pytest(body):
        return module
    position = _import_position(body)
    addition = cst.parse_statement("import pytest\n")
    return module.with_changes(body=[*body[:position], addition, *body[position:]])


def insert_fixture(source: str, fixture: str, imports: Sequence[str] = ()) -> str:
    """`source` with `fixture` after its imports (and `import pytest` added if missing,
    and each of `imports`, whole statements such as `import os`)."""
    module = cst.parse_module(source)
    definition = cst.parse_statement(fixture)
    name = definition.name.value if isinstance(definition, cst.FunctionDef) else FIXTURE_NAME
    for statement in module.body:
        if isinstance(statement, cst.FunctionDef) and statement.name.value == name:
            raise FixtureExists(f"the module already defines {name}")
    body = list(module.body)
    position = _import_position(body)
    additions: list[cst.BaseStatement] = []
    if not _imports_pytest(body):
        additions.append(cst.parse_statement("import pytest\n"))
    additions += [cst.parse_statement(f"{line}\n") for line in imports]
    definition = definition.with_changes(leading_lines=[cst.EmptyLine(), cst.EmptyLine()])
    after = body[position:]
    if after:
        after[0] = after[0].with_changes(
            leading_lines=[cst.EmptyLine(), cst.EmptyLine(), *_comments(after[0])]
        )
    new_body = [*body[:position], *additions, definition, *after]
    return module.with_changes(body=new_body).code


def _comments(statement: cst.BaseStatement) -> list[cst.EmptyLine]:
    lines = getattr(statement, "leading_lines", ())
    return [line for line in lines if line.comment is not None]


def is_docstring(statement: cst.BaseStatement) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, cst.SimpleString | cst.ConcatenatedString)
    )


def _is_import(statement: cst.BaseStatement) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and all(
        isinstance(small, cst.Import | cst.ImportFrom) for small in statement.body
    )


def _imports_pytest(body: Sequence[cst.BaseStatement]) -> bool:
    for statement in body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, cst.Import) and any(
                isinstance(alias.name, cst.Name)
                and alias.name.value == "pytest"
                and alias.asname is None
                for alias in small.names
            ):
                return True
    return False
