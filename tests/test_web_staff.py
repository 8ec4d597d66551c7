"""Staff pages: login, refusal of visitors, CSRF, the warning banner and each page's content."""
from datetime import timedelta

import pytest

from app.extensions import db
from app.live import store
from app.models import StaffUser
from tests.factories import (STAFF_PASSWORD, add_alert, add_ride, add_staff, add_user, csrf_token,
                                 earlier_today, log_in, now)


@pytest.mark.parametrize("url", ["/staff/", "/staff/alerts", "/staff/quarantine", "/staff/rides",
                                 "/staff/riders", "/staff/leaderboards"])
def test_a_visitor_is_sent_to_the_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/staff/login?next=")


def test_a_logged_in_member_of_staff_is_served_and_can_log_out(staff_client):
    page = staff_client.get("/staff/")
    assert page.status_code == 200 and "Today at a glance" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"  # staff pages show riders' details
    token = csrf_token(staff_client, "/staff/")
    assert staff_client.post("/staff/logout", data={"csrf_token": token}).status_code == 302
    assert staff_client.get("/staff/").status_code == 302


def test_login_goes_back_to_the_page_asked_for_but_never_off_site(app, client):
    with app.app_context():
        add_staff()
    token = csrf_token(client)
    data = {"username": "ops", "password": STAFF_PASSWORD, "csrf_token": token}
    assert client.post("/staff/login?next=/staff/rides", data=data).headers["Location"] == "/staff/rides"
    client.get("/staff/login")
    data["csrf_token"] = csrf_token(client)
    assert client.post("/staff/login?next=https://evil.example/", data=data).headers["Location"] == "/staff/"


def test_wrong_username_and_wrong_password_get_the_same_answer(app, client):
    with app.app_context():
        add_staff()
    unknown = log_in(client, username="nobody")
    wrong = log_in(client, password="not the password")
    assert unknown.status_code == wrong.status_code == 401
    assert "Wrong username or password." in unknown.get_data(as_text=True)
    assert unknown.get_data(as_text=True).count("Wrong") == wrong.get_data(as_text=True).count("Wrong")


def test_a_form_post_without_csrf_token_is_refused(app, client):
    with app.app_context():
        add_staff()
    response = client.post("/staff/login", data={"username": "ops", "password": STAFF_PASSWORD})
    assert response.status_code == 400 and "CSRF" in response.get_data(as_text=True)
    assert client.get("/staff/").status_code == 302


def test_login_attempts_are_rate_limited(app, client):
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    statuses = [log_in(client, username="nobody").status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    # A made-up API key in the headers does not buy a fresh count of login attempts.
    client.environ_base["HTTP_AUTHORIZATION"] = "Bearer dlk_madeup99_x"
    assert log_in(client, username="nobody").status_code == 429


def test_the_session_cookie_is_httponly_and_samesite(app, client):
    with app.app_context():
        add_staff()
    cookie = log_in(client).headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_warning_banner_on_every_staff_page_after_more_than_five_alerts(app, staff_client):
    with app.app_context():
        add_user(7, "Grace Hopper")
        for i in range(5):
            add_alert(7, "SN0001", earlier_today(seconds=i))
        db.session.commit()
    assert "!!WARNING!!" not in staff_client.get("/staff/").get_data(as_text=True)
    with app.app_context():
        add_alert(7, "SN0001", earlier_today(seconds=9), status="failed")
        db.session.commit()
    for url in ("/staff/", "/staff/alerts", "/staff/rides", "/staff/leaderboards"):
        html = staff_client.get(url).get_data(as_text=True)
        assert html.index("!!WARNING!!") < html.index("<main"), url
    alerts = staff_client.get("/staff/alerts").get_data(as_text=True)
    assert "Grace Hopper" in alerts and "190 bpm" in alerts and "174.4 bpm" in alerts
    assert 'class="status-failed">failed' in alerts


def test_today_counts_rides_riders_and_alerts(app, staff_client):
    with app.app_context():
        add_user(7, "Grace Hopper")
        add_user(8, "Ada Lovelace", gender="female")
        for bike, user in enumerate((7, 7, 8)):
            add_ride(user, f"SN000{bike}", earlier_today(minutes=bike + 1), seconds=10)
        add_alert(7, "SN0001", earlier_today(seconds=1))
        db.session.commit()
    html = staff_client.get("/staff/").get_data(as_text=True)
    assert 'data-figure="rides">3' in html and 'data-figure="riders">2' in html
    assert 'data-figure="alerts">1' in html


def test_rides_search_filters_and_paginates(app, staff_client):
    app.config["STAFF_PAGE_SIZE"] = 2
    with app.app_context():
        add_user(7, "Grace Hopper")
        add_user(8, "Ada Lovelace", gender="female")
        for i in range(3):
            add_ride(7, "SN0001", now() - timedelta(hours=i + 1), seconds=5)
        add_ride(8, "SN0002", now() - timedelta(hours=5), seconds=5)
        db.session.commit()
    page1 = staff_client.get("/staff/rides").get_data(as_text=True)
    assert "Page 1 of 2 · 4 in all" in page1 and 'rel="next"' in page1
    only_ada = staff_client.get("/staff/rides?q=lovelace").get_data(as_text=True)
    assert "Ada Lovelace" in only_ada and "Grace Hopper" not in only_ada
    women = staff_client.get("/staff/rides?gender=female").get_data(as_text=True)
    assert "1 in all" in women
    bad = staff_client.get("/staff/rides?date_from=yesterday")
    assert bad.status_code == 200 and "Not a valid date value." in bad.get_data(as_text=True)


def test_riders_page_searches_by_name_or_email(app, staff_client):
    with app.app_context():
        add_user(7, "Grace Hopper")
        add_user(8, "<script>x</script> Lovelace", gender="female")
        db.session.commit()
    html = staff_client.get("/staff/riders?q=rider8@").get_data(as_text=True)
    assert "&lt;script&gt;x&lt;/script&gt; Lovelace" in html and "Grace Hopper" not in html


@pytest.mark.parametrize("q", ["²", "9" * 25, "%", "_"])
def test_odd_searches_answer_with_no_match_not_an_error(app, staff_client, q):
    with app.app_context():
        add_user(7, "Grace Hopper")
        db.session.commit()
    for page in ("/staff/riders", "/staff/rides"):
        response = staff_client.get(page, query_string={"q": q})
        assert response.status_code == 200 and "Grace Hopper" not in response.get_data(as_text=True)


def test_quarantine_shows_reasons_and_counters(app, staff_client):
    with store.connect(app.config["LIVE_DB_PATH"]) as conn:
        conn.execute("INSERT INTO quarantine (topic, partition, \"offset\", raw_value, reason, quarantined_at)"
                     " VALUES ('deloton', 0, 42, '{\"log\": 5}', 'log is not a string', '2026-11-27')")
        conn.execute("INSERT INTO counters (name, slot, value) VALUES ('quarantined', 0, 1), "
                     "('readings', 0, 300), ('readings', 3, 200)")  # slots are summed
    html = staff_client.get("/staff/quarantine").get_data(as_text=True)
    assert "log is not a string" in html and "deloton / 0 @ 42" in html
    assert "readings" in html and ">500<" in html


def test_leaderboards_page_lists_every_metric(app, staff_client):
    with app.app_context():
        add_user(7, "Grace Hopper")
        add_ride(7, "SN0001", now() - timedelta(hours=1), seconds=30, power=300.0)
        db.session.commit()
    html = staff_client.get("/staff/leaderboards?period=all").get_data(as_text=True)
    assert "Not a valid choice" not in html  # filters left out are not errors
    women = staff_client.get("/staff/leaderboards?period=all&gender=female&age_band=45-54")
    assert "Grace Hopper" not in women.get_data(as_text=True)
    bad = staff_client.get("/staff/leaderboards?period=forever&age_band=99")
    assert bad.status_code == 200 and "Not a valid choice" in bad.get_data(as_text=True)
    for label in ("Rides completed", "Total energy", "Longest ride", "Highest power", "Average cadence"):
        assert label in html
    assert "Grace Hopper" in html and "300.0 W" in html


def test_create_staff_user_command(app, runner):
    result = runner.invoke(args=["deloton", "create-staff-user", "alice", "--password-stdin"],
                           input="a long enough secret\n")
    assert result.exit_code == 0, result.output
    with app.app_context():
        staff = db.session.scalars(db.select(StaffUser).where(StaffUser.username == "alice")).one()
        assert "a long enough secret" not in staff.password_hash
    short = runner.invoke(args=["deloton", "create-staff-user", "bob", "--password-stdin"], input="short\n")
    assert short.exit_code != 0 and "at least 10 characters" in short.output
    prompted = runner.invoke(args=["deloton", "create-staff-user", "carol"],
                             input="another long secret\nanother long secret\n")
    assert prompted.exit_code == 0 and "carol is ready" in prompted.output


def test_a_next_with_cr_lf_logs_in_and_goes_to_the_staff_home(app, client):
    with app.app_context():
        add_staff()
    data = {"username": "ops", "password": STAFF_PASSWORD, "csrf_token": csrf_token(client)}
    response = client.post("/staff/login?next=/%0d%0aSet-Cookie:x=1", data=data)
    assert response.status_code == 302 and response.headers["Location"] == "/staff/"
    assert "x=1" not in response.headers.get("Set-Cookie", "")


def test_a_database_error_on_a_staff_page_still_gets_the_error_page(app, client):
    def failing_page():
        db.session.execute(db.text("SELECT 1 / 0"))  # aborts the transaction, as a bad query does

    # An endpoint of the staff blueprint, so the page runs the staff login check and banner query.
    app.add_url_rule("/staff/failing", endpoint="staff.failing", view_func=failing_page)
    with app.app_context():
        add_staff()
    assert log_in(client).status_code == 302
    response = client.get("/staff/failing")
    assert response.status_code == 500
    assert "could not complete the request" in response.get_data(as_text=True)
    assert response.headers["X-Frame-Options"] == "DENY"


def session_cookie(client) -> str:
    """The client's current session cookie (what someone who copied it would replay)."""
    return client.get_cookie("session").value


def replay(app, cookie: str):
    """A new browser presenting a copied session cookie to /staff/."""
    other = app.test_client()
    other.set_cookie("session", cookie)
    return other.get("/staff/")


def test_logging_out_ends_every_earlier_session_of_the_user(app, staff_client):
    kept = session_cookie(staff_client)
    laptop = app.test_client()
    assert log_in(laptop).status_code == 302
    assert replay(app, kept).status_code == 200
    token = csrf_token(staff_client, "/staff/")
    assert staff_client.post("/staff/logout", data={"csrf_token": token}).status_code == 302
    assert replay(app, kept).status_code == 302
    assert laptop.get("/staff/").status_code == 302
    assert log_in(laptop).status_code == 302 and laptop.get("/staff/").status_code == 200


def test_a_new_password_ends_the_sessions_of_the_old_one(app, staff_client, runner):
    kept = session_cookie(staff_client)
    result = runner.invoke(args=["deloton", "create-staff-user", "ops", "--password-stdin"],
                           input="a brand new password\n")
    assert result.exit_code == 0, result.output
    assert replay(app, kept).status_code == 302
    assert staff_client.get("/staff/").status_code == 302
    assert log_in(staff_client, password="a brand new password").status_code == 302
