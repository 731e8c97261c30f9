"""Dashboard (``/dashboard``, no workspace prefix): the persona presets and the
widget registry, static data from :mod:`serve.dashboard_registry`.

The product spec's preference routes (per-user layouts, visits, pins) are
state a read-only API does not keep. These routes need a valid API key but
no workspace; they carry an ``ETag`` (of the registry and the request) and
no data version, since they do not read the published store.
"""

from __future__ import annotations

import hashlib
import json
from enum import Enum
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from .. import dashboard_registry as reg
from ..auth import workspaces_for
from ..context import CACHE_CONTROL, NotModified
from ..errors import ERROR_RESPONSES
from ..pagination import DEFAULT_LIMIT, paginate
from ..params import CursorQ, LimitQ

router = APIRouter(prefix="/dashboard", tags=["dashboard"])

Role = Enum("Role", {r: r for r in reg.ROLES}, type=str)
Category = Enum("WidgetCategory", {c: c for c in reg.CATEGORIES}, type=str)
Size = Literal["small", "medium", "large", "full"]
_REGISTRY_TAG = hashlib.sha256(
    json.dumps([[w.slug, w.category, w.size] for w in reg.WIDGETS] + [reg.PRESETS], sort_keys=True).encode()
).hexdigest()[:16]
DASHBOARD_ERRORS = {k: v for k, v in ERROR_RESPONSES.items() if k in (400, 401, 422)}


class WidgetEntry(BaseModel):
    id: str = Field(description="the widget's slug")
    category: str
    size: Size = Field(description="default size: small | medium | large | full")


class Preset(BaseModel):
    preset_type: str = Field(description="developer | manager | product | hr | support | sales | admin")
    widget_count: int
    widgets: list[str] = Field(description="widget ids in display order")


class Presets(BaseModel):
    items: list[Preset]


class Widgets(BaseModel):
    total: int = Field(description="entries in the registry (a slug may repeat under another category)")
    categories: list[str]
    items: list[WidgetEntry]
    next_cursor: str | None


class AccessibleWidgets(BaseModel):
    role: str
    items: list[WidgetEntry] = Field(description="the role's preset widgets, in the preset's order")


def _static(request: Request, body: dict) -> JSONResponse:
    workspaces_for(request.headers.get("authorization"), request.app.state.config.cfg)  # 401 without a valid key
    query = "&".join(sorted(f"{k}={v}" for k, v in request.query_params.multi_items()))
    digest = hashlib.sha256(f"{_REGISTRY_TAG}|{request.url.path}|{query}".encode()).hexdigest()[:20]
    headers = {"ETag": f'W/"d-{digest}"', "Cache-Control": CACHE_CONTROL}
    if request.headers.get("if-none-match") in (headers["ETag"], "*"):
        raise NotModified(headers)
    return JSONResponse(body, headers=headers)


def _entry(w: reg.Widget) -> dict:
    return {"id": w.slug, "category": w.category, "size": w.size}


@router.get("/presets", response_model=Presets, responses=DASHBOARD_ERRORS, summary="The persona presets",
            description="Each preset is a fixed widget set, in display order (product spec, 'Persona presets').")
def presets(request: Request):
    items = [{"preset_type": p, "widget_count": len(ws), "widgets": list(ws)} for p, ws in reg.PRESETS.items()]
    return _static(request, {"items": items})


@router.get("/widgets", response_model=Widgets, responses=DASHBOARD_ERRORS, summary="The widget registry",
            description="Every registry entry with its category and default size, in registry order; "
            "`category` keeps one category's.")
def widgets(request: Request,
            category: Annotated[Category | None, Query(description="only this category's widgets")] = None,
            limit: LimitQ = DEFAULT_LIMIT, cursor: CursorQ = None):
    entries = [_entry(w) for w in reg.WIDGETS if category is None or w.category == category.value]
    items, nxt = paginate(entries, limit, cursor)
    return _static(request, {"total": len(entries), "categories": list(reg.CATEGORIES), "items": items,
                             "next_cursor": nxt})


@router.get("/accessible-widgets", response_model=AccessibleWidgets, responses=DASHBOARD_ERRORS,
            summary="The widgets a role may show",
            description="A role is one of the persona presets; its accessible widgets are its preset's widgets.")
def accessible_widgets(request: Request, role: Annotated[Role, Query(description="a persona preset")]):
    return _static(request, {"role": role.value, "items": [_entry(w) for w in reg.accessible_widgets(role.value)]})
