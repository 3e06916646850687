"""The app builds without a database and serves only its own files (no browser)."""

from __future__ import annotations

import json
import re

import pytest

from dashboard.app import create_app
from geodata.errors import ObservatoryError


@pytest.fixture
def unreachable_database(monkeypatch):
    # Port 9 (discard) on localhost: any connection attempt fails at once.
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:9/none")


def _local_only(html: str) -> None:
    # Every script and stylesheet comes from this app: nothing from a CDN.
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert urls and all(u.startswith("/") for u in urls), urls
    assert "fonts.googleapis" not in html and "cdn" not in html.lower()


def test_app_builds_and_serves_its_page_without_touching_the_database(unreachable_database):
    client = create_app().server.test_client()
    # The full app asks for sign-in first; the sign-in page needs no database either.
    assert client.get("/").headers["Location"] == "/login?next=/"
    assert client.get("/login").status_code == 200
    response = create_app(public=True).server.test_client().get("/")
    assert response.status_code == 200
    _local_only(response.get_data(as_text=True))


def test_pages_and_navigation_are_registered(empty_db):
    from geodata import users

    users.add_user(empty_db, "tina", "correct horse battery", "team")
    client = create_app().server.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r"name='csrf_token' value='([^']+)'", page).group(1)
    form = {"username": "tina", "password": "correct horse battery", "csrf_token": token}
    assert client.post("/login", data=form).status_code == 302
    _local_only(client.get("/").get_data(as_text=True))
    layout = json.dumps(client.get("/_dash-layout").get_json())
    assert '"/about"' in layout and "Map" in layout and "About the data" in layout


def test_an_unknown_tiles_setting_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("OBSERVATORY_TILES", "satellite")
    with pytest.raises(ObservatoryError, match="OBSERVATORY_TILES .*`none`"):
        create_app()


def test_gunicorn_entry_point_is_a_flask_app():
    from dashboard import app as module

    assert module.server is module.app.server
    assert callable(module.server.wsgi_app)
