"""Who may see the archive: staff logged in on the staff pages (Flask-Login)."""
from functools import wraps

from flask import abort, current_app
from flask_login import login_required


def staff_required(view):
    """Flask-Login's login_required once a login manager is registered; refuse everyone otherwise."""
    protected = login_required(view)

    @wraps(view)
    def wrapped(*args, **kwargs):
        if getattr(current_app, "login_manager", None) is None:
            # No staff login on this app: nobody can prove they are staff, so nobody gets in.
            abort(401, "The report archive needs a staff login.")
        return protected(*args, **kwargs)

    return wrapped
