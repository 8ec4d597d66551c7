"""Every migration, run on an empty database, builds exactly the tables the models describe."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from app.extensions import db
from tests.conftest import make_config


def schema_drift(app) -> list:
    """Differences between the migrated database and the models (empty when they agree)."""
    with app.app_context():
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return compare_metadata(context, db.metadata)


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
def test_migrations_build_the_models_on_an_empty_database(backend, empty_pg_database, tmp_path, redis_url,
                                                          app_factory):
    url = empty_pg_database if backend == "postgresql" else f"sqlite:///{tmp_path / 'w.db'}"
    app = app_factory(make_config(url, str(tmp_path / "live.db"), redis_url))
    with app.app_context():
        upgrade()
        tables = set(db.inspect(db.engine).get_table_names())
    assert {"users", "rides", "ride_readings", "hr_alerts", "daily_reports",
            "api_keys", "staff_users"} <= tables
    assert schema_drift(app) == []


def test_times_come_back_timezone_aware_on_sqlite(embedded_app):
    from datetime import datetime, timedelta, timezone

    from app.models import StaffUser

    paris = timezone(timedelta(hours=2))
    with embedded_app.app_context():
        db.session.add(StaffUser(username="ann", password_hash="x",
                                 created_at=datetime(2026, 6, 1, 12, 0, tzinfo=paris)))
        db.session.commit()
        db.session.expire_all()
        stored = db.session.scalars(db.select(StaffUser)).one().created_at
    assert stored.tzinfo is not None
    assert stored == datetime(2026, 6, 1, 10, 0, tzinfo=timezone.utc)
