"""The OpenAPI document is valid, and Schemathesis (every check, every phase, stateful included)
finds nothing with a reader key or with an admin key."""
import subprocess
import sys
import threading
from datetime import datetime, timezone
from pathlib import Path

import pytest
from openapi_spec_validator import validate
from werkzeug.serving import make_server

from app.services.accounts.api_keys import create_api_key
from app.services.rides.closeout import close_ride
from tests.factories import RIDER, put_ride, reading
from tests.waiting import free_port


@pytest.fixture
def api_app(app):
    """The app with one landed ride, so generated ids sometimes hit real rows."""
    start = datetime(2026, 5, 1, 9, 0, tzinfo=timezone.utc)
    with app.app_context():
        live = put_ride(app.config["LIVE_DB_PATH"], "SD1", start, RIDER,
                        [reading(d, start) for d in range(1, 11)])
        close_ride("SD1", live)
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


@pytest.fixture
def served_api(api_app):
    """The API app served over HTTP on a free local port (Schemathesis's command line needs a URL)."""
    port = free_port()
    server = make_server("127.0.0.1", port, api_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    thread.join()


@pytest.mark.parametrize("role", ["reader", "admin"])
def test_schemathesis_finds_nothing_with_every_check_and_phase(api_app, served_api, role, tmp_path):
    with api_app.app_context():
        key = create_api_key(role, f"schemathesis {role}")
    # Real ids for the rider operations, so they do not only ever answer 404.
    config = tmp_path / "schemathesis.toml"
    config.write_text('[[operations]]\ninclude-path-regex = "/api/rider/"\n'
                      'parameters = { user_id = 100 }\n')
    result = subprocess.run(
        [str(Path(sys.executable).with_name("st")), "--config-file", str(config), "run",
         f"{served_api}/api/openapi.json", "--url", served_api,
         "--header", f"Authorization: Bearer {key}", "--checks", "all",
         "--phases", "examples,coverage,fuzzing,stateful", "--max-examples", "10",
         "--seed", "1", "--generation-database", "none", "--no-color"],
        capture_output=True, text=True, timeout=900, cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "Tested: 7" in result.stdout  # every operation was exercised
