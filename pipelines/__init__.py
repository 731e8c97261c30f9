"""DevLens: the Dagster code location, config, calendar, SQL-model loader and CLI."""

import warnings

# DevLens relies on BackfillPolicy and pools knowingly; their beta/preview
# notices would drown the CLI's output.
try:
    from dagster import BetaWarning, PreviewWarning

    warnings.filterwarnings("ignore", category=BetaWarning)
    warnings.filterwarnings("ignore", category=PreviewWarning)
except ImportError:  # pragma: no cover
    pass
# The partition-aware freshness checks (build_time_partition_freshness_checks)
# are what "a daily partition more than 36 hours late fails" needs;
# FreshnessPolicy only looks at the latest materialization, whatever its partition.
warnings.filterwarnings("ignore", message=".*build_sensor_for_freshness_checks.*superseded.*")
