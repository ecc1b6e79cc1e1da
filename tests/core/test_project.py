"""Project-wide rules: import direction, migrations in step with models, deploy settings."""

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]
# Lowest layer first; a module may import its own layer and the layers below it, never above.
LAYERS = [
    "rexcrm.core",
    "rexcrm.accounts",
    "rexcrm.events",
    "contacts",
    "deals",
    "activities",
    "imports",
    "rexcrm.workspace",
]
LEVEL = {package: level for level, package in enumerate(LAYERS)}


def package_of(module: str) -> str | None:
    for package in sorted(LEVEL, key=len, reverse=True):
        if module == package or module.startswith(package + "."):
            return package
    return None


def test_imports_point_down_the_layers():
    violations = []
    for package, level in LEVEL.items():
        folder = ROOT / package.replace(".", "/")
        for path in folder.rglob("*.py") if folder.exists() else []:
            for node in ast.walk(ast.parse(path.read_text())):
                names = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    names = [node.module]
                for name in names:
                    target = package_of(name)
                    if target is not None and LEVEL[target] > level:
                        violations.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not violations, "\n".join(violations)


@pytest.mark.django_db
def test_migrations_match_models():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_deploy_check_is_clean_with_production_settings():
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "a-long-random-production-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "ALLOWED_HOSTS": "crm.example.com",
        "CSRF_TRUSTED_ORIGINS": "https://crm.example.com",
    }
    env.pop("PYTEST_VERSION", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set for the browser tests only
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_refuse_to_start_without_a_secret_key():
    env = {**os.environ, "DEBUG": "0", "SECRET_KEY": ""}
    env.pop("PYTEST_VERSION", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr


def test_readme_commands_work_without_debug_or_a_secret_key(tmp_path):
    """A newcomer copies ``.venv/bin/python manage.py createorg …`` from the README: it must work
    with the development key that ``make install`` keeps in var/secret-key."""
    subprocess.run(["make", "--silent", "var/secret-key"], cwd=ROOT, check=True, timeout=60)
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite3'}"}
    for name in ("PYTEST_VERSION", "DEBUG", "SECRET_KEY"):
        env.pop(name, None)
    for command in (["migrate", "--noinput"], ["createorg", "Readme Inc"]):
        result = subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("org_")
