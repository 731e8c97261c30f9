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
