import pytest

from tests.warehouse_builder import Warehouse


@pytest.fixture
def warehouse(tmp_path):
    """A factory: warehouse(config_yaml=None) -> Warehouse on a fresh DuckDB file."""
    made = []

    def make(config_yaml: str | None = None) -> Warehouse:
        kwargs = {"config_yaml": config_yaml} if config_yaml else {}
        wh = Warehouse(tmp_path / f"warehouse{len(made)}.duckdb", **kwargs)
        made.append(wh)
        return wh

    yield make
    for wh in made:
        wh.con.close()
