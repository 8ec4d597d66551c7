"""The OpenAPI document is valid, and a bounded property-based run finds no 5xx and no schema break."""
from datetime import datetime, timezone

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from app.services.api_keys import create_api_key
from app.services.closeout import close_ride
from tests.live_rides import RIDER, put_ride, reading


@pytest.fixture
def api_app(app):
    """The app with one landed ride, so generated ids sometimes hit real rows."""
    start = datetime(2026, 5, 1, 9, 0, tzinfo=timezone.utc)
    with app.app_context():
        live = put_ride(app.config["LIVE_DB_PATH"], "SD1", start, RIDER,
                        [reading(d, start) for d in range(1, 11)])
        close_ride("SD1", live)
        app.config["ADMIN_KEY_FOR_TESTS"] = create_api_key("admin", "schemathesis")
    app.config["API_RATE_LIMIT"] = "100000 per minute"
    return app


def test_the_openapi_document_is_valid_and_declares_bearer_auth(client):
    document = client.get("/api/openapi.json").get_json()
    validate(document)
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            assert operation.get("summary"), f"{method} {path} has no summary"


def test_no_input_gives_a_5xx_or_breaks_the_schema(api_app):
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", api_app)
    headers = {"Authorization": f"Bearer {api_app.config['ADMIN_KEY_FOR_TESTS']}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 6
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck),
                  database=None)
        def check(case):
            case.call_and_validate(headers=headers, checks=[
                not_a_server_error, response_schema_conformance, status_code_conformance])

        check()
