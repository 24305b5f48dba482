"""The clinic API against its own OpenAPI description, checked by a real client (schemathesis)."""

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from procedures.api import openapi_description

schema = schemathesis.openapi.from_dict(openapi_description())


@schema.parametrize()
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_answers_within_its_description(case, loaded, settings_for_api):
    response = case.call(app=WSGIHandler())
    assert response.status_code < 500, response.text
    # Every response must match the description. A well-formed `q` that names no place is a documented
    # 400, so "schema-valid data is accepted" does not apply to this API.
    case.validate_response(
        response,
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
            negative_data_rejection,
            unsupported_method,
        ],
    )


@pytest.fixture
def settings_for_api(settings):
    settings.API_RATE_LIMIT = "100000/m"  # generated requests must reach the search, not the limit
    # As Django's test client does: a request must not close the test's database connection (and
    # with it the test's transaction) when it finishes.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_the_description_is_served_and_names_the_version_and_cors(client, db):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    description = response.json()
    assert description["openapi"].startswith("3.")
    assert "/api/clinics/" in description["paths"]
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["API-Version"] == "1"
