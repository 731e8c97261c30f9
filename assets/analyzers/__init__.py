"""The seven analyzers of METRICS.md §7.

They are SQL period models (``sql_models/analyzers/*.sql``): every one of
them is aggregation over the staging tables, the text rules and the manifest
parsing are regular expressions and JSON functions, so the model loader,
the period assets, single-run backfills, the late-data planner and publish
all apply to them unchanged. This package holds their Python side: the
generator of the extension -> language map the expertise analyzer uses
(:mod:`assets.analyzers.languages`).
"""
