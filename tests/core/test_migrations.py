"""Migrations: `fireline db upgrade`, and `serve` applying them at start."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from fastapi.testclient import TestClient

from fireline.cli import main
from fireline.core.config import Settings
from fireline.core.db import Database
from fireline.core.migrate import current_revision, head_revision
from fireline.web.app import create_app


def test_db_upgrade_and_current(tmp_path: Path) -> None:
    env = {"FIRELINE_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    runner = CliRunner()
    before = runner.invoke(main, ["db", "current"], env=env)
    assert "current None" in before.output and "run `fireline db upgrade`" in before.output
    upgraded = runner.invoke(main, ["db", "upgrade"], env=env)
    assert upgraded.exit_code == 0 and f"revision {head_revision()}" in upgraded.output
    after = runner.invoke(main, ["db", "current"], env=env)
    assert "run `fireline db upgrade`" not in after.output


def test_app_start_migrates_unless_told_not_to(tmp_path: Path) -> None:
    for migrate, expected in ((False, 503), (True, 200)):
        url = f"sqlite:///{tmp_path / f'{migrate}.db'}"
        db = Database(url)
        app = create_app(Settings(database_url=url, migrate_on_start=migrate), database=db)
        with TestClient(app) as client:
            assert client.get("/readyz").status_code == expected
        assert (current_revision(db.engine) == head_revision()) is migrate
        db.dispose()
