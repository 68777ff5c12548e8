"""How CIP reaches the outside world: settings, the DuckDB warehouse, dbt."""
