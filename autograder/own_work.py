"""Static checks that a graded function is the student's own work.

A graded test earns nothing when the function it grades delegates the task to a library that
already solves it (`seqlib.decoding.beam_search` for beam search, `keras.layers.LSTMCell` for an
LSTM cell, `keras.losses` for a cross-entropy, autodiff for a backward pass). The check runs in
the trusted process on the text of the graded cells (the `graded_source` fixture), never on the
student's objects:

- every import in the graded cells must name an allowed module (`allowed_modules`);
- the graded function, and every top-level definition it reaches by name, must not mention a
  forbidden name (as an attribute, an imported name, a variable or an exact string, so
  `getattr(keras.layers, "LSTMCell")` counts too);
- dynamic imports and code execution (`__import__`, `importlib`, `exec`, `eval`, `compile`) and
  the interpreter's back doors (`__builtins__`, `__globals__`, `sys.modules`) are never allowed.

This raises the bar; it is no proof. The hidden tests and the mutants do the rest.
"""

import ast

from autograder import notebook

# Back doors to other modules' code, whatever the assignment.
ALWAYS_FORBIDDEN = frozenset({
    "__import__", "importlib", "__builtins__", "__globals__", "__dict__", "__subclasses__",
    "__code__", "__loader__", "__spec__", "modules",
})
# Builtins that run or import code given as text; as attributes (`model.compile`) they are fine.
FORBIDDEN_BUILTINS = frozenset({"exec", "eval", "compile", "getattr", "globals", "vars"})


def _mentions(node: ast.AST) -> set[str]:
    """Every name, attribute, imported name and exact string constant under `node`."""
    found = set()
    for child in ast.walk(node):
        if isinstance(child, ast.Name):
            found.add(child.id)
        elif isinstance(child, ast.Attribute):
            found.add(child.attr)
        elif isinstance(child, ast.alias):
            found.update(child.name.split("."))
            if child.asname:
                found.add(child.asname)
        elif isinstance(child, ast.ImportFrom) and child.module:
            found.update(child.module.split("."))
        elif isinstance(child, ast.Constant) and isinstance(child.value, str):
            found.add(child.value)
    return found


def _imported_modules(tree: ast.AST) -> set[str]:
    modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            modules.add((node.module or "").split(".")[0] if not node.level else ".")
    return modules


def _imported_names(tree: ast.Module) -> set[str]:
    return {
        part for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names for part in (alias.name.split(".") + [alias.asname or ""])
    }


def _bound_names(tree: ast.Module) -> set[str]:
    """Names that top-level imports and assignments bind."""
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {target.id for target in targets if isinstance(target, ast.Name)}
    return names


def _reachable(tree: ast.Module, name: str) -> list[ast.AST]:
    """The top-level definition of `name`, the definitions it reaches by name, the module code
    that is not an import (it runs for everyone) and the imports whose names those use."""
    definitions = {
        node.name: node
        for node in tree.body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
    }
    if name not in definitions:
        return []
    seen, pending = set(), [name]
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        pending.extend(_mentions(definitions[current]) & definitions.keys())
    reached = [definitions[key] for key in sorted(seen)]
    used = set().union(*(_mentions(node) for node in reached))
    # Module code runs for everyone; an import counts where what it binds is used.
    others = [
        node for node in tree.body
        if node not in definitions.values() and (
            not isinstance(node, (ast.Import, ast.ImportFrom))
            or {(alias.asname or alias.name).split(".")[0] for alias in node.names}
            & (used | {name})
        )
    ]
    return reached + others


def own_work_problems(graded_source: str, name: str, allowed_modules, forbidden=()) -> list[str]:
    """What makes `name` in the graded cells not the student's own work (empty if nothing)."""
    tree = notebook.parse_graded_source(graded_source)
    problems = []
    definitions = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    if not any(isinstance(node, definitions) and node.name == name for node in tree.body):
        if name not in _bound_names(tree):
            return []  # Calling it fails with "function `name` is missing from your graded cells".
        problems.append(f"`{name}` must be defined (def or class) in your graded cells, not "
                        "imported or assigned")
    reachable = _reachable(tree, name)
    imported = sorted(
        set().union(*(_imported_modules(node) for node in reachable)) - set(allowed_modules)
    )
    if imported:
        problems.append(
            f"the graded cells import {', '.join(imported)}; they may import only "
            f"{', '.join(sorted(allowed_modules))}"
        )
    mentioned, variables = set(), set()
    for node in reachable:
        mentioned |= _mentions(node)
        variables |= {child.id for child in ast.walk(node) if isinstance(child, ast.Name)}
    # The graded name itself may appear as a variable (`super(LSTMCell, self)`), never as an
    # attribute or import (`keras.layers.LSTMCell`).
    attributes = {
        child.attr for node in reachable for child in ast.walk(node)
        if isinstance(child, ast.Attribute)
    }
    mentioned -= {name} - attributes - _imported_names(tree)
    used = sorted(
        (mentioned & (set(forbidden) | ALWAYS_FORBIDDEN)) | (variables & FORBIDDEN_BUILTINS)
    )
    if used:
        problems.append(
            f"`{name}` must be your own work but uses {', '.join(f'`{u}`' for u in used)}"
        )
    return problems


def assert_own_work(graded_source: str, name: str, allowed_modules, forbidden=()) -> None:
    """Fails the calling test (0 points) when `name` is not the student's own work."""
    problems = own_work_problems(graded_source, name, allowed_modules, forbidden)
    assert not problems, "; ".join(problems)
