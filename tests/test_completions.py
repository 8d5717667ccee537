"""The checked-in completion scripts: current, and loading and completing in real bash, zsh and fish.

Repository names complete from pypicreds' index, seeded here with a real `pypicreds add`
(file store); the completion itself must never import a token store's libraries.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from realparts import VENV_BIN, run_cli

from pypicreds.cli import complete
from pypicreds.store.index import Entry, Index

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "completions"
REPOSITORY = "mirror-one"
URL = "http://127.0.0.1:9/legacy/"


def shell(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    result = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture
def seeded_env(cli_env):
    """cli_env with one repository stored by the real `pypicreds add` in the file store."""
    env = {**cli_env, "PYPICREDS_STORE": "file", "PYPICREDS_PASSPHRASE": "completion test passphrase"}
    added = run_cli(["add", REPOSITORY, "--url", URL, "--no-pypirc", "--token-stdin"], env, input="mirror-password-1")
    assert added.returncode == 0, added.stderr
    return env


def test_checked_in_scripts_are_current():
    stale = complete.stale_scripts(SCRIPTS)
    assert stale == [], f"regenerate with: python -m pypicreds.cli.complete --write completions/ ({stale})"


def test_check_command_reports_a_stale_script(tmp_path):
    complete.write_scripts(tmp_path)
    assert complete.main(["--check", str(tmp_path)]) == 0
    (tmp_path / "pypicreds.fish").write_text("# edited by hand\n")
    assert complete.main(["--check", str(tmp_path)]) == 1


def test_bash_loads_the_script_and_completes(seeded_env):
    script = f"""
        source {SCRIPTS / 'pypicreds.bash'}
        complete -p pypicreds
        COMP_WORDS=(pypicreds sh); COMP_CWORD=1; _pypicreds_completion pypicreds
        printf 'command:%s\\n' "${{COMPREPLY[@]}}"
        COMP_WORDS=(pypicreds show ''); COMP_CWORD=2; _pypicreds_completion pypicreds
        printf 'name:%s\\n' "${{COMPREPLY[@]}}"
    """
    out = shell(["bash", "--norc", "--noprofile", "-c", script], seeded_env).stdout.splitlines()
    assert out[0] == "complete -o default -F _pypicreds_completion pypicreds"
    assert "command:show" in out
    assert f"name:{REPOSITORY}" in out


def test_zsh_registers_the_script_sourced_and_from_fpath(cli_env):
    sourced = f"autoload -Uz compinit && compinit -u -D; source {SCRIPTS / '_pypicreds'}; print -r -- $_comps[pypicreds]"
    assert shell(["zsh", "-f", "-c", sourced], cli_env).stdout.strip() == "_pypicreds_completion"
    on_fpath = f"fpath=({SCRIPTS} $fpath); autoload -Uz compinit && compinit -u -D; print -r -- $_comps[pypicreds]"
    assert shell(["zsh", "-f", "-c", on_fpath], cli_env).stdout.strip() == "_pypicreds"


def test_zsh_protocol_offers_stored_names(seeded_env):
    """What the zsh function evals: Typer's `_arguments` spec with the names from the index."""
    env = {**seeded_env, "_PYPICREDS_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": "pypicreds show "}
    out = shell([str(VENV_BIN / "pypicreds")], env).stdout
    assert out.startswith("_arguments ")
    assert f'"{REPOSITORY}"' in out


def test_fish_completes_commands_and_stored_names(seeded_env):
    script = f"source {SCRIPTS / 'pypicreds.fish'}; complete -C 'pypicreds '; echo ---; complete -C 'pypicreds show '"
    commands, names = shell(["fish", "--no-config", "-c", script], seeded_env).stdout.split("---\n")
    offered = {line.split("\t")[0] for line in commands.splitlines()}
    assert {"add", "list", "show", "rotate", "remove", "env", "exec", "upload"} <= offered
    assert REPOSITORY in {line.split("\t")[0] for line in names.splitlines()}


def test_powershell_script_and_protocol(seeded_env):
    """PowerShell cannot be installed here: the script as text, and the answer it would parse."""
    text = (SCRIPTS / "pypicreds.ps1").read_text()
    assert "Register-ArgumentCompleter -Native -CommandName pypicreds" in text
    assert '$Env:_PYPICREDS_COMPLETE = "complete_powershell"' in text
    env = {
        **seeded_env,
        "_PYPICREDS_COMPLETE": "complete_powershell",
        "_TYPER_COMPLETE_ARGS": "pypicreds show mir",
        "_TYPER_COMPLETE_WORD_TO_COMPLETE": "mir",
    }
    out = shell([str(VENV_BIN / "pypicreds")], env).stdout
    assert out.splitlines() == [f"{REPOSITORY}:::{URL}"]


def test_completion_never_loads_a_token_store(seeded_env):
    """A Tab press must stay cheap and never reach the keyring (which can hang) or the vault."""
    env = {**seeded_env, "_PYPICREDS_COMPLETE": "complete_bash", "COMP_WORDS": "pypicreds show ", "COMP_CWORD": "2"}
    result = shell([str(VENV_BIN / "python"), "-X", "importtime", "-m", "pypicreds"], env)
    assert result.stdout.split() == [REPOSITORY]
    imported = {line.split("|")[-1].strip() for line in result.stderr.splitlines() if "|" in line}
    assert not {m for m in imported if m.split(".")[0] in ("keyring", "cryptography", "secretstorage", "jeepney")}


def _seed(entries: list[tuple[str, str | None]]) -> None:
    index = Index.load()
    for name, project in entries:
        index.add(Entry(name=name, url=f"https://{name}.example/", username="__token__", store="file",
                        fingerprint="0123abcd", masked="pypi-…", added="2025-01-01T00:00:00Z", project=project))
    index.save()


class _Ctx:
    def __init__(self, **params):
        self.params = params


def test_callbacks_read_the_index(tmp_home):
    _seed([("pypi", None), ("pypi", "foo-bar"), ("pypi", "baz"), ("private", "foo-bar"), ("private", None)])
    assert complete.complete_repository("") == [("private", "https://private.example/"), ("pypi", "https://pypi.example/")]
    assert complete.complete_repository("py") == [("pypi", "https://pypi.example/")]
    assert [p for p, _ in complete.complete_project(_Ctx(name="pypi"), "")] == ["baz", "foo-bar"]
    assert [p for p, _ in complete.complete_project(_Ctx(name="pypi"), "f")] == ["foo-bar"]
    assert [p for p, _ in complete.complete_project(_Ctx(), "")] == ["baz", "foo-bar"]
    assert complete.complete_store("k") == [("keyring", "the OS keyring")]
    assert [s for s, _ in complete.complete_shell("p")] == ["powershell"]


def test_callbacks_complete_nothing_from_a_damaged_index(tmp_home):
    _seed([("pypi", None)])
    Index.load().path.write_text("{not json")
    assert complete.complete_repository("") == []
    assert complete.complete_project(_Ctx(name="pypi"), "") == []
