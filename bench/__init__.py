"""National-scale benchmarks: `make bench` (`python -m bench.run_all`).

Incidents are generated with the demo model's parameters over the real Kenya wards,
written as template CSV files, loaded through the real ETL into a dedicated database,
then the query layer and the dashboard's callbacks are timed. Every figure prints as
one line, beside its floor where one exists; BENCHMARKS.md holds the latest run.
"""
