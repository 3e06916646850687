import time
from dashboard.app import create_app
from geodata.queries.actions import actions_frame
from tests.test_dashboard_actions import demo  # noqa: F401

def test_shots(dash_duo, demo):
    f = actions_frame(demo[0]); lid = int(f.loc[f["action_ref"] == "DEMO-LIGHT-1", "id"].iloc[0])
    dash_duo.driver.set_window_size(1400, 3200)
    dash_duo.start_server(create_app())
    for path in ("trends", f"evaluation?action={lid}&categories=robbery"):
        dash_duo.wait_for_page(f"{dash_duo.server_url}/{path}", timeout=30)
        time.sleep(25)
        dash_duo.driver.save_screenshot(f"/tmp/shot_{path[:5]}.png")
    print("LOGS", dash_duo.get_logs())
