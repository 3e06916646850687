"""Statistics as pure functions over plain data (arrays, DataFrames): no database,
no dash. Each module is tested against references or hand-worked examples."""
