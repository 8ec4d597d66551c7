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
