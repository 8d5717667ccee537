"""The documentation site builds strictly, and its reference keeps up with the CLI.

The command pages are generated from the CLI at build time (docs/hooks.py); these tests check
the built site against what the installed `pypicreds` prints, and that the hand-written pages
cover every environment variable and every `--json` command.
"""

from __future__ import annotations

import html
import importlib.util
import json
import re
import subprocess
from pathlib import Path

import pytest

from realparts import VENV_BIN, run_cli

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
OPTION = re.compile(r"(?<![\w-])(--?[A-Za-z][\w-]*)")


def _generator():
    spec = importlib.util.spec_from_file_location("gen_reference_under_test", DOCS / "gen_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GEN = _generator()
COMMANDS = GEN.walk_commands()
COMMAND_IDS = [" ".join(words) for words, _, _ in COMMANDS]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [str(VENV_BIN / "mkdocs"), "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={"PATH": f"{VENV_BIN}:/usr/bin:/bin", "HOME": str(out), "NO_MKDOCS_2_WARNING": "1", "NO_COLOR": "1"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return out


def _page_text(site: Path, rel: str) -> str:
    raw = (site / rel).read_text()
    return html.unescape(re.sub(r"<[^>]+>", "", raw))


def test_mkdocs_build_strict_passes(site):
    assert (site / "index.html").is_file()
    assert (site / "commands" / "index.html").is_file()


@pytest.mark.parametrize("words", [w for w, _, _ in COMMANDS], ids=COMMAND_IDS)
def test_reference_page_lists_every_option_of_help(site, cli_env, words):
    """Each option `pypicreds CMD --help` prints is on that command's page, with its usage."""
    helped = run_cli([*words, "--help"], cli_env)
    assert helped.returncode == 0, helped.stderr
    page = _page_text(site, f"commands/{'-'.join(words)}/index.html")
    options = set(OPTION.findall(helped.stdout)) - {"-"}
    assert {"--help"} <= options
    missing = sorted(o for o in options if o not in page)
    assert not missing, f"{' '.join(words)}: {missing} in --help but not on its reference page"
    assert f"pypicreds {' '.join(words)} [OPTIONS]" in page


def test_reference_index_links_every_command(site):
    index = _page_text(site, "commands/index.html")
    for words, _, _ in COMMANDS:
        assert f"pypicreds {' '.join(words)}" in index


def test_generated_option_names_match_the_command_tree():
    """The generator sees what click parses: an option added to a command shows up."""
    by_name = {" ".join(w): (c, ctx) for w, c, ctx in COMMANDS}
    command, ctx = by_name["list"]
    assert "--json" in GEN.option_names(command, ctx)
    page = GEN.reference_pages()["commands/list.md"]
    assert "--json" in page and "Example" in page


def test_every_pypicreds_variable_is_in_the_environment_table():
    used = set()
    for path in (ROOT / "src").rglob("*.py"):
        used |= set(re.findall(r"\bPYPICREDS_[A-Z_]+\b", path.read_text()))
    table = (DOCS / "environment.md").read_text()
    documented = set(re.findall(r"^\| `(PYPICREDS_[A-Z_]+)`", table, flags=re.M))
    assert used, "found no PYPICREDS_ variables in src/: the scan is broken"
    assert used - documented == set(), "document these in docs/environment.md"


def _json_sections() -> dict[str, str]:
    text = (DOCS / "json.md").read_text()
    parts = re.split(r"^## pypicreds (\S+) --json\s*$", text, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2]))


def _documented_keys(section: str) -> set[str]:
    return set(re.findall(r"^\| `(\w+)` \|", section, flags=re.M))


def test_every_json_command_has_a_schema_section():
    sections = _json_sections()
    with_json = {" ".join(w) for w, c, ctx in COMMANDS if "--json" in GEN.option_names(c, ctx)}
    assert with_json - set(sections) == set(), "document these commands' JSON in docs/json.md"
    landed = {" ".join(w) for w, _, _ in COMMANDS}
    still_coming = {name for name, body in sections.items() if name in landed and '"Coming"' in body}
    assert not still_coming, f"{still_coming} exist now: replace the 'Coming' note in docs/json.md with the schema"


@pytest.fixture
def stored(cli_env):
    """A real TestPyPI-shaped token stored in the file store."""
    from macaroon_mint import current, mint

    token = mint([current([1, ["demo-pkg"]])], location="test.pypi.org")
    env = {**cli_env, "PYPICREDS_STORE": "file", "PYPICREDS_PASSPHRASE": "docs test passphrase"}
    added = run_cli(["add", "testpypi", "--no-pypirc", "--token-stdin"], env, input=token)
    assert added.returncode == 0, added.stderr
    return env, token


def test_list_and_show_json_keys_are_the_documented_ones(stored):
    env, _ = stored
    listed = run_cli(["list", "--json"], env)
    shown = run_cli(["show", "testpypi", "--json"], env)
    assert listed.returncode == 0 and shown.returncode == 0, listed.stderr + shown.stderr
    documented = _documented_keys(_json_sections()["list"])
    assert set(json.loads(listed.stdout)[0]) == documented
    assert set(json.loads(shown.stdout)) == documented


def test_inspect_json_keys_are_the_documented_ones(stored):
    env, token = stored
    inspected = run_cli(["inspect", "--token-stdin", "--json"], env, input=token)
    assert inspected.returncode == 0, inspected.stderr
    assert set(json.loads(inspected.stdout)) == _documented_keys(_json_sections()["inspect"])
