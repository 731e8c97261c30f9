"""The DuckDB warehouse: connections, the raw schema and the raw writer."""
