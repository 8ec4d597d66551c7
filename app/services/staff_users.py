"""Staff accounts: creating them and checking a login without telling who exists."""
import functools

from flask_login import UserMixin
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db, login_manager
from app.models import StaffUser, utcnow

MIN_PASSWORD_LENGTH = 10


@functools.cache
def _dummy_hash() -> str:
    """Checked when the username is unknown, so a wrong username costs as long as a wrong password."""
    return generate_password_hash("not-a-real-password")


class StaffPrincipal(UserMixin):
    """The logged-in member of staff, as Flask-Login sees them."""

    def __init__(self, staff: StaffUser):
        self.id = str(staff.staff_id)
        self.username = staff.username


@login_manager.user_loader
def load_staff(staff_id: str) -> StaffPrincipal | None:
    """The session's member of staff, or None when the account is gone."""
    staff = db.session.get(StaffUser, int(staff_id)) if staff_id.isdigit() else None
    return StaffPrincipal(staff) if staff else None


def create_staff_user(username: str, password: str) -> StaffUser:
    """Create an account, or set a new password for an existing one; commits."""
    username = username.strip()
    if not username:
        raise ValueError("the username must not be empty")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    staff = db.session.scalars(db.select(StaffUser).where(StaffUser.username == username)).first()
    if staff is None:
        staff = StaffUser(username=username, password_hash="")
        db.session.add(staff)
    staff.password_hash = generate_password_hash(password)
    db.session.commit()
    return staff


def authenticate(username: str, password: str) -> StaffPrincipal | None:
    """The member of staff whose username and password match, recording the login; else None."""
    staff = db.session.scalars(db.select(StaffUser).where(StaffUser.username == username.strip())).first()
    if staff is None:
        check_password_hash(_dummy_hash(), password)
        return None
    if not check_password_hash(staff.password_hash, password):
        return None
    staff.last_login_at = utcnow()
    db.session.commit()
    return StaffPrincipal(staff)
