"""The layout shows the architecture, and this keeps it so (docs/architecture.md explains it).

Every ``import`` and ``from ... import`` in the product's packages is read, at any depth (an import
inside a function is an import too). A forbidden import, or any import cycle between modules,
fails here with the offending modules named.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("community", "moderation", "search_index")

# The core: settings, errors, events, models, who may see what. Used by everything above it.
CORE = {
    "community",
    "community.settings",
    "community.db",
    "community.database_epoch",
    "community.sqlite_cancel_safety",
    "community.transactions",
    "community.errors",
    "community.events",
    "community.timeutil",
    "community.jobs",
    "community.validation",
    "community.markdown",
    "community.ports",
    "community.actor",
    "community.policy",
    "community.visibility",
    "community.post_text",
    "community.templating",
    "community.images",
    "community.avatars",
}
# The half of notifications that the use cases of other areas call inside their transactions.
NOTIFICATION_DELIVERY = {
    "community.notifications",
    "community.notifications.delivery",
    "community.notifications.watchers",
    "community.notifications.forum_notices",
    "community.notifications.moderation_notices",
    "community.notifications.kb_notices",
    "community.notifications.expert_notices",
}

# Layer -> the layers it may import (besides itself). Anything not listed is forbidden.
ALLOWED: dict[str, set[str]] = {
    "search_index": set(),
    "models": set(),
    "core": {"models", "search_index"},
    "moderation.rules": {"models"},
    # Outgoing mail: the queue, messages, transports, sender, preferences, unsubscribe links.
    "mail": {"core", "models"},
    "search": {"core", "models", "search_index"},
    "accounts": {"core", "models", "mail"},
    "notifications.delivery": {"core", "models", "mail"},
    # Publishing a held question routes it to the experts (experts sits below moderation).
    "moderation": {"core", "models", "moderation.rules", "notifications.delivery", "search", "experts"},
    # Experts: profiles, routing, response targets and their scheduled reminders and escalations.
    "experts": {"core", "models", "notifications.delivery"},
    "forum": {
        "core",
        "models",
        "accounts",
        "notifications.delivery",
        "search",
        "moderation",
        "experts",
    },
    "kb": {"core", "models", "notifications.delivery", "search", "forum"},
    "notifications": {"core", "models", "notifications.delivery", "forum", "mail"},
    "demo": {
        "core",
        "models",
        "accounts",
        "forum",
        "kb",
        "moderation",
        "notifications.delivery",
        "search",
        "support",
        "experts",
    },
    # Support ratings (asker and expert), and the channel-health dashboard that reads every area's rows.
    "support": {"core", "models"},
    "health": {"core", "models", "forum"},
}
AREAS = {
    "mail", "search", "accounts", "notifications.delivery", "notifications", "moderation", "forum", "kb",
    "support", "health", "experts",
}  # fmt: skip
ALLOWED["edge"] = {"core", "models", *AREAS}
ALLOWED["realtime"] = {"core", "models", "edge", *AREAS}
ALLOWED["web"] = {"core", "models", "edge", "search_index", *AREAS}
ALLOWED["api"] = {"core", "models", "edge", "search_index", *AREAS}
# The wiring and the command sit on top and may use anything.
ALLOWED["app"] = set(ALLOWED) | {"web", "api", "realtime", "edge"}
ALLOWED["cli"] = ALLOWED["app"] | {"app"}


def layer(module: str) -> str:
    parts = module.split(".")
    if parts[0] == "search_index":
        return "search_index"
    if parts[0] == "moderation":
        return "moderation.rules" if parts[1:2] == ["rules"] else "moderation"
    if module in CORE:
        return "core"
    if module in NOTIFICATION_DELIVERY:
        return "notifications.delivery"
    second = parts[1]
    if second in ("app",):
        return "app"
    return second  # models, forum, kb, accounts, notifications, search, edge, web, api, realtime, cli, demo


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def product_modules() -> dict[str, Path]:
    return {
        module_name(path): path
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts
    }


def imports_of(path: Path, known: set[str]) -> set[str]:
    return imports_in(path.read_text(), module_name(path), path.name == "__init__.py", known)


def imports_in(source: str, module: str, is_package: bool, known: set[str]) -> set[str]:
    """The product modules this source imports (``from a import b`` counts ``a.b`` when it is one;
    relative imports, which ruff refuses anyway, count as what they resolve to)."""
    found: set[str] = set()
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source, module)):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                target = f"{base}.{alias.name}"
                found.add(target if target in known else base)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name in known}


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    modules = product_modules()
    known = set(modules)
    return {name: imports_of(path, known) - {name} for name, path in modules.items()}


def test_every_module_has_a_layer(graph: dict[str, set[str]]) -> None:
    unknown = sorted(m for m in graph if layer(m) not in ALLOWED)
    assert not unknown, (
        f"modules outside every layer (add them to ALLOWED and docs/architecture.md): {unknown}"
    )


def test_no_forbidden_imports(graph: dict[str, set[str]]) -> None:
    wrong = sorted(
        f"{module} ({layer(module)}) imports {target} ({layer(target)})"
        for module, targets in graph.items()
        for target in targets
        if layer(target) != layer(module) and layer(target) not in ALLOWED[layer(module)]
    )
    assert not wrong, "forbidden imports:\n" + "\n".join(wrong)


def test_use_cases_never_import_the_layers_above() -> None:
    """Spelled out (the matrix above says it too): services -> web, api, realtime or the edge;
    search_index -> community; models -> anything but models."""
    above = {"web", "api", "realtime", "edge", "app", "cli"}
    use_cases = sorted(AREAS - {"mail"})
    for name in (*use_cases, "core", "demo", "moderation.rules"):
        assert not ALLOWED[name] & above, name
    assert ALLOWED["search_index"] == set() and ALLOWED["models"] == set()


def test_no_import_cycles(graph: dict[str, set[str]]) -> None:
    cycles = strongly_connected(graph)
    assert not cycles, "import cycles:\n" + "\n".join(" <-> ".join(sorted(c)) for c in cycles)


def test_the_checks_catch_what_they_claim() -> None:
    """The checker itself can fail: a use case importing a view, and a two-module cycle."""
    assert layer("community.forum.posts") == "forum" and "web" not in ALLOWED["forum"]
    assert layer("moderation.rules.gate") == "moderation.rules" and "core" not in ALLOWED["moderation.rules"]
    assert strongly_connected({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [{"a", "b"}]
    known = {"community.web.render", "community.forum.posts"}
    assert imports_in("from ..web import render\n", "community.forum.posts", False, known) == {
        "community.web.render"
    }


def strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's algorithm: every group of two or more modules that import each other."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph.get(node, ())):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_notice_texts_live_in_notifications() -> None:
    """Who is told is the use case's call; what they are told is written in community/notifications
    (``*_notices``): nothing else calls ``delivery.notify`` with a text of its own."""

    def calls_notify(path: Path) -> bool:
        for node in ast.walk(ast.parse(path.read_text())):
            imported = (
                isinstance(node, ast.ImportFrom)
                and node.module == "community.notifications.delivery"
                and any(alias.name == "notify" for alias in node.names)
            )
            called = (
                isinstance(node, ast.Attribute)
                and node.attr == "notify"
                and isinstance(node.value, ast.Name)
                and node.value.id == "delivery"
            )
            if imported or called:
                return True
        return False

    outside = sorted(
        name
        for name, path in product_modules().items()
        if not name.startswith("community.notifications") and calls_notify(path)
    )
    assert not outside, f"notice texts written outside community/notifications: {outside}"
