import time
from tests.linked_demo import load_linked_demo, pair_set
from sqlalchemy import text
import pandas as pd

def pr(engine, incidents):
    with engine.connect() as conn:
        g = pd.read_sql(text("SELECT id, event_group_id FROM incidents"), conn)
    inc = incidents.drop(columns="event_group_id").merge(g, on="id")
    truth = pair_set(inc["event_id"])
    found = pair_set(inc["event_group_id"].fillna(-inc["id"]))
    hits = len(truth & found)
    return f"linked recs {inc.event_group_id.notna().sum()} found {len(found)} P {hits/len(found):.3f} R {hits/len(truth):.3f}"

def test_scratch(engine, tmp_path, monkeypatch):
    from geodata import linkage_store
    real = linkage_store.relink_all
    monkeypatch.setattr(linkage_store, "relink_all", lambda e: None)
    t = time.perf_counter()
    incidents, _ = load_linked_demo(engine, tmp_path)
    print("load", time.perf_counter() - t)
    print("import-time:", pr(engine, incidents))
    t = time.perf_counter()
    real(engine)
    print("relink_all", time.perf_counter() - t, pr(engine, incidents))
