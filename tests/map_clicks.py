"""Real mouse clicks on a MapLibre map in headless Chromium, for the pages where a
user draws by clicking the map (actions, patrol)."""

from __future__ import annotations

from selenium.webdriver.common.action_chains import ActionChains


def click_map(dash_duo, graph_id: str, lat: float, lon: float) -> float:
    """Click the map of graph `graph_id` where (lat, lon) is drawn; returns the size
    of a screen pixel there, in degrees (how close a click can land)."""
    canvas = dash_duo.find_element(f"#{graph_id} canvas.maplibregl-canvas")
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", canvas)
    x, y, width, height, pixel = dash_duo.driver.execute_script(
        f"var gd = document.querySelector('#{graph_id} .js-plotly-plot');"
        "var map = gd._fullLayout.map._subplot.map;"
        "var p = map.project([arguments[1], arguments[0]]);"
        "var r = arguments[2].getBoundingClientRect();"
        "var q = map.unproject([p.x + 1, p.y + 1]);"
        "return [p.x, p.y, r.width, r.height, Math.abs(q.lng - arguments[1])];",
        lat,
        lon,
        canvas,
    )
    assert 0 < x < width and 0 < y < height, "the place is not in view"
    # Selenium 4.2 measures the offset from the element's top left corner.
    ActionChains(dash_duo.driver).move_to_element_with_offset(
        canvas, int(round(x)), int(round(y))
    ).click().perform()
    return pixel
