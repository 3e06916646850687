"""Every component id in the dashboard, in one place, kebab-case.

Pattern-matching ids (dicts) are built by the functions at the end.
"""

from __future__ import annotations

# The shell around every page.
URL = "url"
NAV = "nav"
NAV_LINK = "nav-link"  # pattern-matching type, index = page path

# Map page.
MAP_DATES = "map-dates"
MAP_CATEGORIES = "map-categories"
MAP_GRAPH = "map-graph"
MAP_HEADLINES = "map-headlines"
MAP_ATTRIBUTION = "map-attribution"
MAP_STATUS = "map-status"
# What the browser already holds: the filters and data version its hexagons were
# drawn for, so a filter change can send colours only.
MAP_DRAWN = "map-drawn"
MAP_URL_SYNC = "map-url-sync"

HEADLINE_INCIDENTS = "headline-incidents"
HEADLINE_WARDS = "headline-wards"
HEADLINE_PLACED = "headline-placed"
HEADLINE_TOP_CATEGORY = "headline-top-category"

# About the data page.
ABOUT_AGENCIES = "about-agencies"
ABOUT_WARDS = "about-wards"


def nav_link(path: str) -> dict:
    return {"type": NAV_LINK, "index": path}
