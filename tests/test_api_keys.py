"""API keys: printed once, stored hashed, required on every call, admin for DELETE."""
import hashlib

from app.extensions import db
from app.models import ApiKey


def create_key(runner, role: str) -> str:
    """Run the real command and return the key it prints as its last line."""
    result = runner.invoke(args=["deloton", "create-api-key", "--role", role, "--name", f"{role} test"])
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1]


def test_a_key_is_printed_once_and_only_its_hash_is_stored(app, runner):
    key = create_key(runner, "reader")
    with app.app_context():
        stored = db.session.scalars(db.select(ApiKey)).one()
    assert stored.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in (stored.key_hash, stored.name, stored.key_prefix)
    listing = runner.invoke(args=["deloton", "list-api-keys"]).output
    assert stored.key_prefix in listing and key not in listing


def test_every_api_call_needs_a_valid_key(client, runner):
    assert client.get("/api/daily").status_code == 401
    assert client.get("/api/daily", headers={"Authorization": "Bearer nonsense"}).status_code == 401
    forged = "dlk_0000abcd_" + "x" * 43
    response = client.get("/api/daily", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401
    assert response.get_json()["message"] == "Unknown or revoked API key."
    key = create_key(runner, "reader")
    assert client.get("/api/daily", headers={"Authorization": f"Bearer {key}"}).status_code == 200


def test_the_key_list_shows_when_a_key_was_last_used(client, runner):
    key = create_key(runner, "reader")
    assert "last used never" in runner.invoke(args=["deloton", "list-api-keys"]).output
    assert client.get("/api/daily", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    listing = runner.invoke(args=["deloton", "list-api-keys"]).output
    assert "last used never" not in listing and "last used 20" in listing


def test_a_revoked_key_is_refused(client, runner):
    key = create_key(runner, "admin")
    prefix = key.split("_")[1]
    assert runner.invoke(args=["deloton", "revoke-api-key", prefix]).exit_code == 0
    assert client.get("/api/daily", headers={"Authorization": f"Bearer {key}"}).status_code == 401
    again = runner.invoke(args=["deloton", "revoke-api-key", prefix])
    assert again.exit_code != 0 and "no active key" in again.output


def test_a_bad_role_is_refused_by_the_command(runner):
    result = runner.invoke(args=["deloton", "create-api-key", "--role", "owner"])
    assert result.exit_code != 0
    assert "owner" in result.output


def test_requests_past_the_limit_get_429_with_retry_after(app, runner, redis_conn):
    app.config["API_RATE_LIMIT"] = "3 per minute"
    client = app.test_client()
    key = create_key(runner, "reader")
    other = create_key(runner, "reader")
    statuses = [client.get("/api/daily", headers={"Authorization": f"Bearer {key}"}).status_code
                for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = client.get("/api/daily", headers={"Authorization": f"Bearer {key}"})
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) > 0
    assert limited.get_json()["code"] == 429
    # The limit is per key: another key is still served.
    assert client.get("/api/daily", headers={"Authorization": f"Bearer {other}"}).status_code == 200


def test_the_docs_page_works_offline(client):
    page = client.get("/api/docs").get_data(as_text=True)
    assert "swagger-ui-bundle.js" in page and "http" not in page.replace("http-equiv", "")
    for asset in ("/static/vendor/swagger-ui-5.35.0/swagger-ui-bundle.js", "/static/js/swagger-init.js"):
        with client.get(asset) as response:  # a static file stays open until its response is closed
            assert response.status_code == 200
    document = client.get("/api/openapi.json").get_json()
    ride = document["components"]["schemas"]["Ride"]["properties"]
    assert ride["bike_serial"]["example"] == "SD2e4219ce4a"
    daily = document["paths"]["/api/daily"]["get"]["parameters"]
    assert any(p["name"] == "date" and p["schema"].get("example") == "2022-07-06" for p in daily)


def get(client, path: str, key: str | None, address: str = "192.0.2.1"):
    """GET an API path with a key (or none) from a given client address."""
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return client.get(path, headers=headers, environ_base={"REMOTE_ADDR": address})


def test_a_200_carries_no_retry_after_and_the_limit_counts_a_key_over_every_endpoint(
        app, runner, redis_conn):
    app.config["API_RATE_LIMIT"] = "3 per minute"
    client = app.test_client()
    key = create_key(runner, "reader")
    served = [get(client, path, key) for path in ("/api/daily", "/api/rides",
                                                  "/api/leaderboard?metric=rides")]
    assert [r.status_code for r in served] == [200, 200, 200]
    assert all("Retry-After" not in r.headers for r in served)
    limited = get(client, "/api/rider/1", key)
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0


def test_made_up_keys_share_their_address_allowance(app, runner, redis_conn):
    app.config["API_RATE_LIMIT"] = "3 per minute"
    client = app.test_client()
    statuses = [get(client, "/api/daily", f"dlk_{n:08x}_made-up").status_code for n in range(4)]
    assert statuses == [401, 401, 401, 429]
    assert get(client, "/api/daily", None).status_code == 429  # no key: the same address count
    assert get(client, "/api/daily", None, address="192.0.2.2").status_code == 401


def test_knowing_a_keys_prefix_cannot_lock_the_key_out(app, runner, redis_conn):
    app.config["API_RATE_LIMIT"] = "3 per minute"
    client = app.test_client()
    key = create_key(runner, "reader")
    prefix_only = "_".join(key.split("_")[:2]) + "_not-the-secret"
    statuses = [get(client, "/api/daily", prefix_only).status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    assert get(client, "/api/daily", key).status_code == 200
    assert get(client, "/api/daily", key, address="198.51.100.7").status_code == 200


def test_with_redis_down_the_api_answers_503_in_json(app, runner, app_factory):
    from tests.conftest import make_config
    from tests.waiting import free_port

    key = create_key(runner, "reader")
    nothing_there = f"redis://127.0.0.1:{free_port()}/0"
    down = app_factory(make_config(app.config["SQLALCHEMY_DATABASE_URI"],
                                   app.config["LIVE_DB_PATH"], nothing_there))
    response = get(down.test_client(), "/api/daily", key)
    assert response.status_code == 503
    body = response.get_json()
    assert body["code"] == 503 and "unavailable" in body["message"]
    assert "127.0.0.1" not in body["message"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
