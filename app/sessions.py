"""Flask's signed-cookie sessions, without their fixed cost on requests that carry no session.

Nearly every request is a rider's screen or the fleet page polling once a second, with no cookie:
Flask built a signing serializer for each (keys, salt, hash) before even looking for the cookie, and
worked out the cookie's seven attributes after it to learn there was nothing to send. The sessions
themselves are unchanged: the same cookie, signature, lifetime, attributes and `Vary: Cookie`."""
from flask.sessions import SecureCookieSessionInterface

from app.security import add_vary


class CookieSessions(SecureCookieSessionInterface):
    """SecureCookieSessionInterface that skips the work an empty, cookie-less session does not need."""

    _serializer = None
    _serializer_keys: tuple | None = None

    def get_signing_serializer(self, app):
        """Flask's serializer, made once per set of keys (it holds no per-request state)."""
        keys = (app.secret_key, *(app.config["SECRET_KEY_FALLBACKS"] or ()))
        if keys != self._serializer_keys:
            # Two threads may both build one at first: the same serializer, no harm.
            self._serializer, self._serializer_keys = super().get_signing_serializer(app), keys
        return self._serializer

    def open_session(self, app, request):
        """An empty session at once when the request has no session cookie (or no cookie at all:
        then the Cookie header is not even parsed)."""
        if app.secret_key and ("HTTP_COOKIE" not in request.environ
                               or not request.cookies.get(self.get_cookie_name(app))):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app, session, response) -> None:
        """Nothing to send for a session that was and stays empty (only `Vary: Cookie` if read)."""
        if not session and not session.modified:
            if session.accessed:
                add_vary(response, "Cookie")
            return
        super().save_session(app, session, response)
