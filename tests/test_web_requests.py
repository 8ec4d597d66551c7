"""What every request gets from the app around its view: security headers, sessions, the login limit
and the NUL check, on the cheap paths (no session cookie, no form, no limit) as on the others."""
import pytest
from limits.errors import ConfigurationError

from app import create_app
from tests.conftest import make_config
from tests.factories import add_staff, csrf_token, log_in

SECURITY_HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options")


def assert_hardened(response) -> None:
    """The four hardening headers, each once."""
    for name in SECURITY_HEADERS:
        assert len(response.headers.getlist(name)) == 1, name


def test_every_kind_of_answer_carries_the_security_headers_once(app, client):
    answers = [client.get("/livez"), client.get("/bikes/NOPE"), client.get("/?state=everything"),
               client.post("/livez"), client.get("/bikes/SN0001", headers={"HX-Request": "true",
                                                                          "HX-Target": "live-figures"})]
    assert [answer.status_code for answer in answers] == [200, 404, 400, 405, 404]
    for answer in answers:
        assert_hardened(answer)
        assert answer.headers["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"]


def test_an_anonymous_poll_sets_no_cookie_and_varies_on_it(client):
    response = client.get("/", headers={"HX-Request": "true"})
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    varies = [value.strip() for value in response.headers["Vary"].split(",")]
    assert {"Cookie", "HX-Request", "Accept-Encoding"} <= set(varies) and len(varies) == len(set(varies))


def test_a_staff_session_holds_until_its_key_changes_and_a_forged_one_is_anonymous(app, client):
    with app.app_context():
        add_staff()
    assert log_in(client).status_code == 302
    assert client.get("/staff/").status_code == 200
    assert client.get("/livez").headers.get("Set-Cookie") is None  # an unchanged session is not resent

    cookie = client.get_cookie("session")
    client.set_cookie("session", cookie.value[:-2] + ("AA" if not cookie.value.endswith("AA") else "BB"))
    assert client.get("/staff/").status_code == 302  # a forged signature: logged out, no error
    client.set_cookie("session", cookie.value)
    assert client.get("/staff/").status_code == 200

    old_key, app.secret_key = app.secret_key, "a-new-secret-key"
    assert client.get("/staff/").status_code == 302  # signed with a key no longer held
    app.config["SECRET_KEY_FALLBACKS"] = [old_key]
    client.set_cookie("session", cookie.value)  # the 302 had replaced it (its flashed message)
    assert client.get("/staff/").status_code == 200  # the old key, kept as a fallback, still reads it


def test_the_login_limit_counts_posts_only_and_a_429_says_when_to_retry(app, client):
    app.config["LOGIN_RATE_LIMIT"] = "2 per minute"
    for _ in range(3):
        assert client.get("/staff/login").status_code == 200  # viewing the form is not an attempt
    statuses = [log_in(client, username="nobody").status_code for _ in range(3)]
    assert statuses == [401, 401, 429]
    refused = log_in(client, username="nobody")
    assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 60
    assert_hardened(refused)


@pytest.mark.parametrize("setting", ["RATELIMIT_DEFAULT", "RATELIMIT_APPLICATION", "RATELIMIT_META",
                                     "RATELIMIT_IN_MEMORY_FALLBACK"])
def test_a_limit_on_every_request_is_refused_at_start(migrated_pg, tmp_path, redis_url, setting):
    config = make_config(migrated_pg, str(tmp_path / "live.db"), redis_url, **{setting: "100 per minute"})
    with pytest.raises(ConfigurationError, match=setting):
        create_app(config)


def test_a_nul_in_a_form_field_or_a_raw_query_string_is_a_400(app, client):
    data = {"username": "ops\x00", "password": "x", "csrf_token": csrf_token(client)}
    response = client.post("/staff/login", data=data)
    assert response.status_code == 400 and "NUL" in response.get_data(as_text=True)
    response = client.get("/", environ_overrides={"QUERY_STRING": "q=a\x00b"})
    assert response.status_code == 400 and "NUL" in response.get_data(as_text=True)
    assert client.get("/?q=a%2500b").status_code == 200  # a percent sign and two zeros are no NUL
