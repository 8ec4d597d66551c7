"""Views of the live pages."""
from flask import render_template

from app.blueprints.live import bp


@bp.get("/")
def fleet():
    """The fleet page: every bike and its ride in progress."""
    return render_template("live/fleet.html")
