"""The CI recipes page (docs/ci.md) and its recipe files (docs/ci/*.yml): each recipe parses as
the CI system would read it and has the pieces it promises; Trusted Publishing comes first;
every pypicreds command in a recipe is one pypicreds accepts; and pypicreds' own audit finds
nothing wrong with any of them.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import subprocess

import pytest
import yaml

from macaroon_mint import mint
from realparts import assert_no_secret, run_cli

from pypicreds.cli.argv import parse
from pypicreds.tokens import parse_duration

DOCS = Path(__file__).resolve().parents[1] / "docs"
RECIPES = {
    "github-trusted-publishing": ".github/workflows/publish.yml",
    "gitlab-trusted-publishing": ".gitlab-ci.yml",
    "github-pypicreds": ".github/workflows/publish.yml",
    "gitlab-pypicreds": ".gitlab-ci.yml",
}


def recipe(name: str) -> dict:
    return yaml.safe_load((DOCS / "ci" / f"{name}.yml").read_text())


def github_steps(config: dict, job: str) -> list[dict]:
    return config["jobs"][job]["steps"]


def pypicreds_commands(lines: list[str]) -> list[list[str]]:
    """Each `pypicreds ...` command in script lines, as argv (after a pipe too)."""
    commands = []
    for text in lines:
        for part in text.split("|"):
            words = shlex.split(part)
            if words and words[0] == "pypicreds":
                commands.append(words[1:])
    return commands


def test_the_page_includes_every_recipe_trusted_publishing_first():
    page = (DOCS / "ci.md").read_text()
    included = re.findall(r'--8<-- "ci/([\w-]+)\.yml"', page)
    assert sorted(included) == sorted(RECIPES)
    assert [n for n in included if "trusted" in n] == included[:2], included
    assert sorted(p.stem for p in (DOCS / "ci").glob("*.yml")) == sorted(RECIPES)


def test_github_trusted_publishing_has_the_permission_and_no_secret():
    config = recipe("github-trusted-publishing")
    job = config["jobs"]["publish"]
    assert job["permissions"] == {"id-token": "write"}
    (publish,) = [s for s in job["steps"] if s.get("uses", "").startswith("pypa/gh-action-pypi-publish@")]
    assert "with" not in publish or "password" not in publish["with"]
    assert "secrets." not in (DOCS / "ci" / "github-trusted-publishing.yml").read_text()


def test_gitlab_trusted_publishing_has_an_id_token_for_pypi_and_no_password():
    config = recipe("gitlab-trusted-publishing")
    job = config["publish"]
    assert job["id_tokens"] == {"PYPI_ID_TOKEN": {"aud": "pypi"}}
    assert any("twine upload" in line for line in job["script"])
    text = (DOCS / "ci" / "gitlab-trusted-publishing.yml").read_text()
    assert "TWINE_PASSWORD" not in text and " -p " not in text and "$PYPI" not in text


def test_github_pypicreds_recipe_keeps_the_token_in_one_step_and_hands_out_a_masked_short_lived_one():
    config = recipe("github-pypicreds")
    job = config["jobs"]["publish"]
    assert job["env"] == {"PYPICREDS_STORE": "file", "PYPICREDS_PASSPHRASE": "${{ secrets.PYPICREDS_PASSPHRASE }}"}
    steps = job["steps"]
    holding = [s for s in steps if "PYPI_TOKEN" in json.dumps(s.get("env", {}))]
    assert len(holding) == 1 and "--token-stdin" in holding[0]["run"]  # the token: one step, via stdin
    check_pypicreds_commands([s["run"] for s in steps if "run" in s])


def test_gitlab_pypicreds_recipe_keeps_its_secrets_out_of_the_file_and_masks():
    config = recipe("gitlab-pypicreds")
    job = config["publish"]
    assert job["variables"] == {"PYPICREDS_STORE": "file"}  # the token and passphrase: CI/CD variables
    script = job["script"]
    adding = [i for i, line in enumerate(script) if "--token-stdin" in line]
    assert adding and script[adding[0] + 1] == "unset PYPI_TOKEN"  # gone before anything runs the upload
    check_pypicreds_commands(script)


def check_pypicreds_commands(lines: list[str]) -> None:
    """Every pypicreds command parses with pypicreds' own grammar; the upload is an exec with
    --ttl and --mask; the token is never on a command line."""
    commands = pypicreds_commands(lines)
    assert [c[0] for c in commands] == ["add", "exec"]
    for args in commands:
        assert parse(args) is not None, args
    exec_args = commands[1]
    assert parse(exec_args)[1]["mask"] is True
    assert 0 < parse_duration(parse(exec_args)[1]["ttl"]) <= 3600
    assert not any("secrets." in line or "TOKEN" in line for line in lines if "pypicreds exec" in line)


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_pypicreds_audit_finds_nothing_wrong_with_a_recipe(name, cli_env, tmp_path):
    """Laid out as a project, each recipe passes pypicreds' own CI audit without a finding."""
    target = tmp_path / RECIPES[name]
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text((DOCS / "ci" / f"{name}.yml").read_text())
    done = run_cli(["audit", "--json", "--project-dir", str(tmp_path)], cli_env)
    found = [f for f in json.loads(done.stdout) if f["id"].startswith("ci-")]
    assert found == [], found


def test_the_gitlab_pypicreds_script_runs_as_written(cli_env, tmp_path):
    """The recipe's own script lines, in a real sh with CI=true: the token goes into a passphrase
    vault, the command gets a derived token, masked in its output, and never the passphrase.
    (Only the installs are skipped and twine's upload is swapped for a command that shows what
    it would have had: this test reaches no index.)"""
    token = mint([], location="pypi.org", identifier="ci-recipe-canary-0001")
    script = []
    for line in recipe("gitlab-pypicreds")["publish"]["script"]:
        if "pip install" in line:
            continue
        if line.startswith("pypicreds exec"):
            line = line.split(" -- ")[0] + """ -- sh -c 'echo "$TWINE_PASSWORD"; echo "${PYPICREDS_PASSPHRASE-withheld}"'"""
        script.append(line)
    env = {**cli_env, "CI": "true", "PYPI_TOKEN": token, "PYPICREDS_PASSPHRASE": "a long random passphrase",
           **recipe("gitlab-pypicreds")["publish"]["variables"]}
    done = subprocess.run(["sh", "-ec", "\n".join(script)], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "pypi-****\nwithheld\n"
    assert_no_secret(token, done.stdout, done.stderr)
    vault = Path(cli_env["PYPICREDS_HOME"]) / "vault.json"
    assert json.loads(vault.read_text())["protection"] == "passphrase"
