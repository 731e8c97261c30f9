"""Property-based run of schemathesis against the OpenAPI document.

Every operation gets a bounded number of generated requests (valid and
invalid parameters) over real HTTP with the demo key; no answer may be a
500, use an undocumented status or content type, break its documented
schema, or contain a key or a key hash.
"""

import copy
import re
import zlib

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from .conftest import DEMO_KEY, OTHER_KEY, REPO

MAX_EXAMPLES = 8
# Known ids for part of the cases, so generated requests also reach the code
# behind the workspace, developer and team lookups, not only their 404s.
KNOWN = {"workspace_id": "demo", "developer_id": "alice", "team_id": "platform"}


@pytest.fixture(scope="session")
def secrets(demo_deployment):
    _, config, _ = demo_deployment
    return set(re.findall(r"[0-9a-f]{64}", config.read_text())) | {DEMO_KEY, OTHER_KEY}


def _openapi() -> dict:
    """The document the server serves; it depends on the code only, not on the data or the config."""
    from serve.app import create_app

    return create_app(REPO / "devlens.yaml").openapi()


DOCUMENT = _openapi()
schema = schemathesis.openapi.from_dict(copy.deepcopy(DOCUMENT))


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_openapi_conformance(case, api, secrets):
    for name, value in KNOWN.items():
        params = case.path_parameters or {}
        if name in params and (name == "workspace_id" or zlib.crc32(str(params[name]).encode()) % 2):
            params[name] = value

    def no_secrets(ctx, response, case):
        text = response.text if hasattr(response, "text") else response.content.decode(errors="replace")
        leaked = [s for s in secrets if s in text or any(s in str(v) for v in response.headers.values())]
        if leaked:
            raise AssertionError(f"response reveals a key or key hash on {case.path}")

    case.call_and_validate(
        base_url=api.base,
        headers={"Authorization": f"Bearer {DEMO_KEY}"},
        checks=[not_a_server_error, status_code_conformance, content_type_conformance,
                response_schema_conformance, negative_data_rejection],
        additional_checks=[no_secrets],
    )


def test_the_tested_document_is_the_served_one(api):
    served = httpx.get(api.base + "/openapi.json").json()
    assert served == DOCUMENT
