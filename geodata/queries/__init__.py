"""The read-only query layer: every SELECT the dashboard and exports run, as typed
functions taking an engine and filter values, returning DataFrames or plain data."""
