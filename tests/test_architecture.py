"""Invariants of the codebase's shape (in the spirit of h3-py's
tests/test_api_bindings_match.py): dependencies point one way, SQL lives in geodata."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

# In an argument of a database call: any statement.
SQL = re.compile(
    r"\bSELECT\b|\bINSERT\s+INTO\b|\bUPDATE\s+\w+\s+SET\b|\bDELETE\s+FROM\b"
    r"|\bCOPY\s+[\w(]|^\s*(WITH|CREATE|ALTER|DROP|TRUNCATE)\b",
    re.IGNORECASE,
)
# Anywhere in a string: SQL written the usual way, keywords in capitals.
SQL_CAPITALS = re.compile(
    r"\bSELECT\b[\s\S]*\bFROM\b|\bINSERT INTO\b|\bUPDATE \w+ SET\b|\bDELETE FROM\b"
)
DB_CALLS = {"text", "execute", "exec_driver_sql", "read_sql", "read_sql_query", "copy"}


def python_files(package: str) -> list[Path]:
    files = sorted((REPO / package).rglob("*.py"))
    assert files, f"no Python files under {package}/"
    return files


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def imports_of(package: str, forbidden: set[str]) -> list[str]:
    found = []
    for path in python_files(package):
        for module in imported_modules(path):
            if module.split(".")[0] in forbidden:
                found.append(f"{path.relative_to(REPO)} imports {module}")
    return found


def literal_text(node: ast.AST) -> str:
    """The constant text of a string or f-string (placeholders dropped)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return " ".join(literal_text(v) for v in node.values)
    if isinstance(node, ast.BinOp):
        return literal_text(node.left) + " " + literal_text(node.right)
    return ""


def sql_in_source(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in DB_CALLS:
                for arg in node.args:
                    if SQL.search(literal_text(arg)):
                        found.append(f"line {node.lineno}: {name}(...) with SQL")
        elif isinstance(node, ast.Constant | ast.JoinedStr) and SQL_CAPITALS.search(
            literal_text(node)
        ):
            found.append(f"line {node.lineno}: SQL string")
    return found


def test_geodata_never_imports_dash_etl_or_dashboard():
    assert imports_of("geodata", {"dash", "dashboard", "etl"}) == []


def test_etl_never_imports_dashboard_or_dash():
    assert imports_of("etl", {"dashboard", "dash"}) == []


def test_importing_every_geodata_module_loads_no_dash():
    script = (
        "import importlib, pkgutil, sys, geodata\n"
        "for m in pkgutil.walk_packages(geodata.__path__, 'geodata.'):\n"
        "    if m.name != 'geodata.migrations.env':  # runs Alembic when imported\n"
        "        importlib.import_module(m.name)\n"
        "loaded = sorted(n for n in sys.modules if n.split('.')[0] in "
        "('dash', 'dashboard', 'etl'))\n"
        "print(len([n for n in sys.modules if n.startswith('geodata.')]), loaded)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, timeout=120
    )
    assert out.returncode == 0, out.stderr
    count, loaded = out.stdout.strip().split(" ", 1)
    assert int(count) >= 8  # the walk really imported the package's modules
    assert loaded == "[]"


def test_the_sql_detector_finds_sql():
    assert sql_in_source('conn.execute(text("select id from incidents"))')
    assert sql_in_source('q = f"UPDATE wards SET name = {x}"')
    assert sql_in_source('pd.read_sql("SELECT 1", conn)')
    assert not sql_in_source('help = "Select the wards from the list"')


def test_sql_lives_only_in_geodata():
    found = []
    for package in ("dashboard", "etl", "observatory"):
        for path in python_files(package):
            found.extend(
                f"{path.relative_to(REPO)} {hit}" for hit in sql_in_source(path.read_text())
            )
    assert found == []
