"""The dbt-style SQL model layer: load, render, order and materialize models."""

from .project import ModelProject, ModelError, load_project  # noqa: F401
from .model import Model  # noqa: F401
