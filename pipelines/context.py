"""Everything a DevLens run needs, resolved once from the config file."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from .calendar import PeriodCalendar
from .warehouse.connection import writer
from .config import DevLensConfig, load_config
from .modeling import ModelProject, load_project


@dataclass
class DevLens:
    cfg: DevLensConfig
    calendar: PeriodCalendar = field(init=False)
    project: ModelProject = field(init=False)

    def __post_init__(self) -> None:
        self.calendar = PeriodCalendar.from_config(self.cfg)
        self.project = load_project(self.calendar)

    @classmethod
    def load(cls, path: str | Path | None = None) -> "DevLens":
        return cls(load_config(path))

    @property
    def warehouse_path(self) -> Path:
        return self.cfg.resolve(self.cfg.warehouse.path)

    @property
    def serving_dir(self) -> Path:
        return self.cfg.resolve(self.cfg.warehouse.serving_dir)

    def writer(self):
        """The warehouse's writer connection (a context manager), with the configured memory limit."""
        return writer(self.warehouse_path, memory_limit=self.cfg.warehouse.memory_limit)

    def code_version(self, model_name: str) -> str:
        """Changes when the model, an ephemeral model it inlines, any macro or
        the calendar changes."""
        model = self.project.models[model_name]
        h = hashlib.sha256(model.source.encode())
        for name in self.project.ephemerals_of(model_name):
            h.update(self.project.models[name].source.encode())
        for macro in sorted((self.project.root / "macros").glob("*.sql")):
            h.update(macro.read_bytes())
        h.update(f"{self.calendar.start}|{self.calendar.biweekly_anchor}".encode())
        return h.hexdigest()[:16]
