"""Every environment variable the project reads is declared and documented."""

import re
from pathlib import Path

from geodata import settings

REPO = Path(__file__).resolve().parent.parent


def test_every_setting_is_in_the_readme():
    readme = (REPO / "README.md").read_text()
    missing = [s.name for s in settings.SETTINGS if f"`{s.name}`" not in readme]
    assert not missing, f"undocumented settings: {missing}"


def test_no_environment_read_bypasses_the_registry():
    offenders = []
    for package in ("geodata", "etl", "dashboard", "observatory"):
        for path in (REPO / package).rglob("*.py"):
            source = path.read_text()
            for match in re.finditer(r"os\.environ(?:\.get)?\(?\[?[\"']([A-Z_]+)", source):
                if path.name != "settings.py":
                    offenders.append(f"{path.relative_to(REPO)}: {match.group(1)}")
    assert not offenders, "read settings through geodata.settings: " + ", ".join(offenders)
