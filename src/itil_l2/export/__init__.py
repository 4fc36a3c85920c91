"""Export: the stored KPI facts and events as Arrow tables and Parquet files (extra `arrow`).

For engines beyond one process: DuckDB, Spark, polars, pandas or a
warehouse read the facts table (one row per ticket, what every ticket KPI is
computed from) and the event log, and compute the same KPIs with their own
SQL (see the DuckDB how-to). `kpi_frame` turns KPI rows into a pandas or
polars DataFrame through Arrow. pyarrow is needed only when one of these is
called: otherwise `ExtraNotInstalled` names the extra (`itil-l2[arrow]`).
"""

from __future__ import annotations

from itil_l2._core.public import expose
from itil_l2.export._arrow import (
    EVENT_COLUMNS,
    ExtraNotInstalled,
    facts_table,
    kpi_frame,
    kpi_rows_table,
    read_events,
    read_facts,
)
from itil_l2.export._parquet import PARQUET_FILES, write_parquet

__all__ = [
    "EVENT_COLUMNS",
    "PARQUET_FILES",
    "ExtraNotInstalled",
    "facts_table",
    "kpi_frame",
    "kpi_rows_table",
    "read_events",
    "read_facts",
    "write_parquet",
]

expose(__name__, globals(), __all__)
