"""What tests/test_public_app.py looks for in every response of the public app."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from urllib.parse import unquote

from sqlalchemy import text

COUNT_ATTR = re.compile(r"data-count='(\d+)'")
LONG_DECIMAL = re.compile(r"-?\d+\.\d{4,}")
REF_SPLIT = re.compile(r"[^A-Za-z0-9/-]+")


class Facts:
    """What must never appear, read straight from the database."""

    def __init__(self, engine) -> None:
        with engine.connect() as conn:
            refs = set(conn.execute(text("SELECT record_ref FROM incidents")).scalars())
        # A reference shows up only if its longest word does (`OB 52/07/06/2024`):
        # responses are split into words on every character no reference holds.
        self.refs = {max(ref.split(), key=len) for ref in refs}
        assert min(len(r) for r in self.refs) >= 5, "too short to look for safely"
        with engine.connect() as conn:
            box = conn.execute(
                text(
                    "SELECT min(ST_Y(geom)), max(ST_Y(geom)), min(ST_X(geom)), max(ST_X(geom)) "
                    "FROM incidents WHERE geom IS NOT NULL"
                )
            ).one()
            actions = conn.execute(
                text("SELECT title, description, responsible_agency FROM actions")
            ).all()
        # Long enough not to be a word of the page itself (a kind of action, say).
        self.private = {v for row in actions for v in row if v and len(v) >= 12}
        pad = 0.5  # degrees: any number this close to the data's extent may be a position
        self.lat = (box[0] - pad, box[1] + pad)
        self.lon = (box[2] - pad, box[3] + pad)


def _strings(value) -> Iterator[str]:
    if isinstance(value, str):
        yield unquote(value) if value.startswith("data:image/svg+xml") else value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _counts(value) -> Iterator[int]:
    """Every number marked as a count: `data-count` props and SVG attributes."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "data-count":
                yield int(item)
            else:
                yield from _counts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _counts(item)
    elif isinstance(value, str) and value.startswith("data:image/svg+xml"):
        yield from (int(n) for n in COUNT_ATTR.findall(unquote(value)))


class Inspector:
    def __init__(self, facts: Facts, threshold: int) -> None:
        self.facts, self.threshold = facts, threshold
        self.responses = 0
        self.counts: list[int] = []

    def check(self, where: str, body: bytes) -> None:
        self.responses += 1
        text_ = body.decode("utf-8", "replace")
        try:
            data = json.loads(text_)
        except ValueError:
            data = text_
        strings = list(_strings(data))
        tokens = {tok for s in strings for tok in REF_SPLIT.split(s)}
        leaked = tokens & self.facts.refs
        assert not leaked, f"{where}: record references {sorted(leaked)[:5]}"
        for s in strings:
            for number in LONG_DECIMAL.findall(s):
                value = float(number)
                near = self.facts.lat[0] <= value <= self.facts.lat[1] or (
                    self.facts.lon[0] <= value <= self.facts.lon[1]
                )
                assert not near, f"{where}: {number} looks like a coordinate"
        private = [p for p in self.facts.private if any(p in s for s in strings)]
        assert not private, f"{where}: forum action details {private}"
        counts = list(_counts(data))
        small = [c for c in counts if c < self.threshold]
        assert not small, f"{where}: counts below {self.threshold}: {small}"
        self.counts += counts


def post_callback(client, entry: dict, key: str, values: dict):
    outputs = entry["output"] if isinstance(entry["output"], list) else [entry["output"]]
    body = {
        "output": key,
        "outputs": [{"id": o.component_id, "property": o.component_property} for o in outputs],
        "inputs": [{**i, "value": values.get((i["id"], i["property"]))} for i in entry["inputs"]],
        "state": [{**s, "value": values.get((s["id"], s["property"]))} for s in entry["state"]],
        "changedPropIds": [f"{i['id']}.{i['property']}" for i in entry["inputs"]],
    }
    if not isinstance(entry["output"], list):
        body["outputs"] = body["outputs"][0]
    return client.post("/_dash-update-component", json=body)
