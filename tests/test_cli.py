"""The `approdo` commands as an editor or operator runs them."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.i18n import Words
from bot.settings import PROJECT_ROOT
from tests.helpers.content import copy_content

APPRODO = str(Path(sys.executable).parent / "approdo")


def approdo(
    *args: str, env: dict[str, str], stdin: str = "", timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [APPRODO, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        cwd=PROJECT_ROOT,
        timeout=timeout,
    )


@pytest.fixture
def repo(tmp_path: Path) -> dict[str, str]:
    """A copy of content/ and nlu/ and an empty database, as environment variables."""
    content = copy_content(tmp_path)
    return {
        "PROJECT_ROOT": str(content.parent),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "TELEGRAM_BOT_TOKEN": "",
    }


def test_check_sync_status(repo: dict[str, str]) -> None:
    check = approdo("content", "check", env=repo)
    assert check.returncode == 0 and "0 error(s)" in check.stdout
    first = approdo("content", "sync", env=repo)
    assert first.returncode == 0 and "published as revision 1" in first.stdout
    again = approdo("content", "sync", env=repo)
    assert again.returncode == 0 and again.stdout.strip() == "nothing changed"
    status = approdo("content", "status", env=repo)
    assert status.returncode == 0 and "machine" in status.stdout and "milano" in status.stdout


def test_a_bad_file_names_itself_and_publishes_nothing(repo: dict[str, str]) -> None:
    assert approdo("content", "sync", env=repo).returncode == 0
    bad = Path(repo["PROJECT_ROOT"]) / "content" / "topics" / "health" / "health_mental.yml"
    bad.write_text(bad.read_text().replace("sensitivity: yellow", "sensitivity: yellow\nsensitivity: red"))
    check = approdo("content", "check", env=repo)
    assert check.returncode == 1
    assert (
        "content/topics/health/health_mental.yml:" in check.stderr
        and "duplicate key 'sensitivity'" in check.stderr
    )
    sync = approdo("content", "sync", env=repo)
    assert sync.returncode == 1 and "nothing was published" in sync.stderr


def test_export_import_po(repo: dict[str, str], tmp_path: Path) -> None:
    po = tmp_path / "ps.po"
    assert approdo("content", "export", "--lang", "ps", "--out", str(po), env=repo).returncode == 0
    assert 'msgctxt "legal_citizenship.title"' in po.read_text()
    wrong = approdo("content", "export", "--lang", "xx", env=repo)
    assert wrong.returncode != 0 and "unknown language" in wrong.stderr


def test_run_without_a_token_points_to_the_shell(repo: dict[str, str]) -> None:
    result = approdo("run", env=repo)
    assert result.returncode == 1 and "approdo shell" in result.stderr


@pytest.mark.rasa
def test_scripted_shell_answers_each_line(repo: dict[str, str], rasa_url: str) -> None:
    env = {**repo, "RASA_URL": rasa_url}
    assert approdo("content", "sync", env=env).returncode == 0
    lines = "dove posso dormire stanotte?\n/menu\n1\nvoglio parlare con una persona\n"
    result = approdo("shell", "--lang", "it", "--province", "milano", env=env, stdin=lines)
    assert result.returncode == 0, result.stderr
    it = Words("it")
    out = result.stdout
    assert "Sammartini" in out
    assert it("menu.title") in out and it("domain.housing") in out
    assert it("domain.topics") in out
    assert it("case.opened") in out
    assert "Traceback" not in result.stderr


def test_shell_refuses_an_unknown_language(repo: dict[str, str]) -> None:
    result = approdo("shell", "--lang", "xx", env=repo)
    assert result.returncode != 0 and "--lang" in result.stderr
