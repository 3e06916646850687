"""The seeded demo: a fictional town (or real wards), a year of incidents from a
spatio-temporal model, written as several agencies' own files and loaded through
the real ETL, with the model's planted truths written beside the data."""

from etl.demo.load import build_demo, load_demo, run_demo
from etl.demo.truth import load_truth

__all__ = ["build_demo", "load_demo", "load_truth", "run_demo"]
