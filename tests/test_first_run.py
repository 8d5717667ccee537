"""The first commands a newcomer types: bare `pypicreds`, global options in odd places, names
typed wrong, twine's own advice, and the words and shapes of help and output (issue 16)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from macaroon_mint import current, mint
from realparts import run_cli

TOKEN = mint([current([1, ["foo"]])], location="test.pypi.org")


@pytest.fixture
def env(cli_env):
    return {**cli_env, "PYPICREDS_STORE": "file", "PYPICREDS_PASSPHRASE": "first run"}


def both_paths(args, env, input=None):
    """The same argv on the fast path and through Typer."""
    return [run_cli(args, e, input=input) for e in (env, {**env, "PYPICREDS_NO_FAST_PATH": "1"})]


# --- 1. bare `pypicreds` -------------------------------------------------------------------------


@pytest.mark.parametrize("args", [[], ["-q"], ["--quiet"]])
def test_bare_pypicreds_prints_the_formatted_help_and_succeeds(env, args):
    """Like git and gh: the help itself on stdout (real line breaks, no error), exit 0."""
    result = run_cli(args, env)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.startswith("Usage: pypicreds")
    assert "\\n" not in result.stdout and "Commands" in result.stdout and "\n  add " in result.stdout
    assert result.stdout == run_cli(["--help"], env).stdout


def test_usage_errors_stay_one_line(env):
    for args in (["--bogus"], ["no-such-command"], ["add"], ["env", "a", "b"]):
        result = run_cli(args, env)
        assert result.returncode == 2 and result.stdout == ""
        assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith("pypicreds: error: "), args


# --- 2. -q/--quiet anywhere before `--` ------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["add", "testpypi", "--token-stdin", "-q"],
        ["add", "-q", "testpypi", "--token-stdin"],
        ["add", "testpypi", "--quiet", "--token-stdin"],
    ],
)
def test_quiet_is_accepted_after_the_command(env, tmp_path, args):
    """`pypicreds add pypi -q` works on both paths, and is as quiet as `pypicreds -q add pypi`."""
    for run in ("fast", "typer"):
        home = tmp_path / run
        e = {**env, "HOME": str(home), "PYPICREDS_HOME": str(home / "pc")}
        if run == "typer":
            e["PYPICREDS_NO_FAST_PATH"] = "1"
        result = run_cli(args, e, input=TOKEN)
        assert result.returncode == 0, (run, result.stderr)
        # only warnings (the test env forces keyring's failing backend: twine will not find it)
        assert all(line.startswith("pypicreds: warning") for line in result.stderr.splitlines()), (run, result.stderr)
        listed = run_cli(["list"], e)
        assert "testpypi" in listed.stdout
        run_cli(["remove", "testpypi"], e)
        upfront = run_cli(["-q", *[a for a in args if a not in ("-q", "--quiet")]], e, input=TOKEN)
        assert upfront.returncode == 0 and upfront.stderr == result.stderr, (run, upfront.stderr)


def test_quiet_after_the_command_on_typer_only_commands(env):
    run_cli(["add", "testpypi", "--token-stdin"], env, input=TOKEN)
    loud = run_cli(["audit"], env)
    quiet = run_cli(["audit", "-q"], env)
    assert loud.returncode == quiet.returncode == 0, quiet.stderr
    assert "0 errors" in loud.stderr and quiet.stderr == ""


def test_quiet_after_the_separator_belongs_to_the_command(env):
    """Words after `--` (and an exec command's own words) are never taken as pypicreds' -q."""
    run_cli(["add", "testpypi", "--token-stdin"], env, input=TOKEN)
    for args in (["exec", "testpypi", "-q", "--", "sh", "-c", 'echo "$@"', "sh", "-q"],
                 ["exec", "testpypi", "sh", "-c", 'echo "$@"', "sh", "-q"]):
        fast, typer = both_paths(args, env)
        assert fast.returncode == typer.returncode == 0, (fast.stderr, typer.stderr)
        assert fast.stdout == typer.stdout == "-q\n"


# --- 3. the README is the front door; the docs say the rest ----------------------------------------

ROOT = Path(__file__).resolve().parents[1]


def test_the_readme_is_a_front_door_that_fits_on_two_screens():
    """What pypicreds is, the install line, a short tour, links to the docs: at most two
    screens of 40 lines. The speed internals live on the docs' performance page."""
    text = (ROOT / "README.md").read_text()
    lines = text.splitlines()
    assert len(lines) <= 80 and max(len(line) for line in lines) <= 100
    assert "pipx install ." in text
    for command in ("pypicreds add testpypi", "pypicreds list", "pypicreds upload testpypi"):
        assert command in text
    for page in ("docs/quickstart.md", "docs/performance.md", "docs/storage.md", "docs/troubleshooting.md"):
        assert f"]({page})" in text and (ROOT / page).is_file()
    assert "## Speed" not in text and "| command (A) |" not in text


def test_the_docs_home_shows_real_use_before_its_links_and_a_performance_page_has_the_table():
    home = (ROOT / "docs/index.md").read_text()
    example = home.index("```console")
    assert example < home.index("- **[")
    for command in ("pypicreds add", "pypicreds list", "pypicreds upload"):
        assert command in home[example:home.index("- **[")]
    performance = (ROOT / "docs/performance.md").read_text()
    assert "| command (A) | baseline (B) | A/B | budget |" in performance
    assert "tests/bench/bench.py" in performance
    assert "performance.md" in (ROOT / "mkdocs.yml").read_text()


def test_the_readmes_speed_claim_is_the_measured_one():
    """The README quotes the env row of the docs' table (the default configuration): the same
    range, and "less than twice" only while the table's upper end is under 2."""
    import re

    readme = (ROOT / "README.md").read_text().replace("\n", " ")
    row = next(line for line in (ROOT / "docs/performance.md").read_text().splitlines()
               if line.startswith("| `pypicreds env testpypi`, key-file vault |"))
    low, high = map(float, row.split("|")[3].strip().split("–"))
    claim = re.search(r"(\d\.\d)(?:–(\d\.\d))?× `python -c pass`, measured", readme)
    assert claim, "the README names the measured range"
    said = (float(claim[1]), float(claim[2] or claim[1]))  # one figure when both ends round alike
    assert said == (round(low, 1), round(high, 1))
    assert ("less than twice" in readme) == (high < 2.0)


# --- 10. a mistyped name gets a suggestion ----------------------------------------------------------


@pytest.fixture
def stored_env(env):
    assert run_cli(["add", "testpypi", "--token-stdin"], env, input=TOKEN).returncode == 0
    assert run_cli(["add", "testpypi", "--project", "foo", "--token-stdin"], env, input=TOKEN).returncode == 0
    return env


@pytest.mark.parametrize("args", [
    ["env", "tetspypi"], ["env", "TestPyPI"], ["show", "testpypy"], ["rotate", "tstpypi", "--token-stdin"],
    ["remove", "testpyp"], ["inspect", "Testpypi"], ["exec", "tetspypi", "--", "true"],
    ["upload", "tetspypi", "--skip-check"], ["show", "testpypi", "--project", "fooo"],
])
def test_a_mistyped_stored_name_gets_the_nearest_one(stored_env, args):
    """Case-insensitive, within a small edit distance (a swap counts once), on both paths."""
    for result in both_paths(args, stored_env, input=TOKEN):
        assert result.returncode == 1, result.stderr
        hint = result.stderr.split("(hint: ", 1)[1]
        expected = "`--project foo`" if "--project" in args else "`testpypi`"
        assert f"did you mean {expected}?" in hint, result.stderr


@pytest.mark.parametrize("name", ["PyPI", "pypy", "tesptypi"])
def test_add_suggests_a_built_in_name_before_asking_for_the_token(env, name):
    """`add PyPI` is not a new index that needs --url: the suggestion comes before any prompt
    (stdin here is /dev/null with no terminal: a prompt would fail differently)."""
    for result in both_paths(["add", name], env):
        assert result.returncode == 2, result.stderr
        assert "needs --url" in result.stderr and "did you mean `" in result.stderr, result.stderr
        assert "no terminal" not in result.stderr


def test_names_far_from_every_known_one_get_no_guess(stored_env):
    result = run_cli(["env", "corporate-mirror"], stored_env)
    assert result.returncode == 1 and "did you mean" not in result.stderr


def test_env_with_only_per_project_tokens_hints_at_project(env):
    assert run_cli(["add", "testpypi", "--project", "foo", "--token-stdin"], env, input=TOKEN).returncode == 0
    for result in both_paths(["env", "testpypi"], env):
        assert result.returncode == 1
        assert "--project foo" in result.stderr.split("(hint: ", 1)[1], result.stderr


def test_doctor_suggests_a_known_name(stored_env):
    result = run_cli(["doctor", "tetspypi"], stored_env)
    assert "did you mean `testpypi`?" in result.stdout, result.stdout


@pytest.mark.parametrize("args,expected", [
    (["env", "testpypi", "--shell", "fsh"], "`fish`"),
    (["add", "testpypi", "--store", "keyrng", "--token-stdin"], "`keyring`"),
])
def test_mistyped_choices_get_a_suggestion_too(stored_env, args, expected):
    for result in both_paths(args, stored_env, input=TOKEN):
        assert result.returncode == 2, result.stderr
        assert f"did you mean {expected}?" in result.stderr, result.stderr


# --- 11. twine's advice to retry with --verbose -------------------------------------------------------


def test_upload_accepts_verbose_and_passes_it_to_twine(env, pypiserver, tmp_path):
    """twine says "Retry with the --verbose option": `pypicreds upload NAME --verbose` does that."""
    from realparts import make_wheel

    server = pypiserver("right-password")
    added = run_cli(["add", "local", "--url", server.url, "--no-pypirc", "--token-stdin"], env, input="wrong-password")
    assert added.returncode == 0, added.stderr
    make_wheel(tmp_path / "dist", "verbose-pkg", "1.0")
    quiet = subprocess.run(["pypicreds", "upload", "local", "--skip-check"], env=env, cwd=tmp_path,
                           capture_output=True, text=True, timeout=120)
    assert quiet.returncode != 0 and "--verbose" in quiet.stdout + quiet.stderr  # twine's advice
    for variant in (env, {**env, "PYPICREDS_NO_FAST_PATH": "1"}):
        verbose = subprocess.run(["pypicreds", "upload", "local", "--skip-check", "--verbose"], env=variant,
                                 cwd=tmp_path, capture_output=True, text=True, timeout=120)
        out = verbose.stdout + verbose.stderr
        assert verbose.returncode != 0 and "No such option" not in out, out
        assert "403" in out and "Retry with the --verbose option" not in out  # twine ran verbose
        assert "wrong-password" not in out


def test_other_twine_options_before_the_separator_say_where_they_go(stored_env):
    for result in both_paths(["upload", "testpypi", "--skip-existing"], stored_env):
        assert result.returncode == 2
        assert "pypicreds upload testpypi -- --skip-existing" in result.stderr, result.stderr


# --- 15. words and shapes -------------------------------------------------------------------------


def test_show_speaks_like_list_and_inspect(env):
    """Human output says "no embedded project restriction" and no/-, never Python's words;
    JSON keeps `unrestricted`, false and null."""
    unrestricted = mint([current([3, "0a9a1b7e-0000-4000-8000-00000000aaaa"])], location="test.pypi.org")
    assert run_cli(["add", "testpypi", "--token-stdin"], env, input=unrestricted).returncode == 0
    shown = run_cli(["show", "testpypi"], env)
    assert shown.returncode == 0, shown.stderr
    assert "no embedded project restriction" in shown.stdout
    for python_word in ("unrestricted", "False", "None", "True", "['", "[]"):
        assert python_word not in shown.stdout, shown.stdout
    lines = dict(line.split(None, 1) for line in shown.stdout.splitlines())
    assert lines["plaintext"] == "no" and lines["rotated"] == "-" and lines["projects"] == "-"
    as_json = json.loads(run_cli(["show", "testpypi", "--json"], env).stdout)
    assert as_json["scope"] == "unrestricted" and as_json["plaintext"] is False and as_json["rotated"] is None


def test_show_lists_projects_as_words(env):
    assert run_cli(["add", "pypi", "--token-stdin"], env, input=mint([current([1, ["foo", "bar"]])])).returncode == 0
    shown = run_cli(["show", "pypi"], env).stdout
    assert "projects: bar, foo" in shown and "['" not in shown


def test_scan_counts_files_with_tokens_apart_from_files_read(tmp_path, env):
    (tmp_path / "a.txt").write_text(f"{TOKEN}\n{mint([])}\n")
    (tmp_path / "b.txt").write_text(f"x = {TOKEN}\n")
    (tmp_path / "c.txt").write_text("nothing here\n")
    result = run_cli(["scan", str(tmp_path)], env)
    assert result.returncode == 1
    assert "3 tokens in 2 files (3 files read)" in result.stderr, result.stderr
    assert "token(s)" not in result.stderr and "file(s)" not in result.stderr
    clean = run_cli(["scan", str(tmp_path / "c.txt")], env)
    assert clean.returncode == 0 and "no tokens (1 file read)" in clean.stderr, clean.stderr


HELP_COMMANDS = ["add", "list", "show", "rotate", "remove", "inspect", "env", "exec", "upload", "audit", "import",
                 "scan", "doctor"]


@pytest.mark.parametrize("command", HELP_COMMANDS)
def test_help_metavars_are_words_not_python_types(env, command):
    text = run_cli([command, "--help"], env).stdout
    for python_shape in ("<list[", "<str>", "<path>", "<int>", "{name}", "[name]", "[paths]", "[files]",
                         "[command]"):
        assert python_shape not in text, f"{command}: {python_shape} in\n{text}"


@pytest.mark.parametrize("command,usage", [
    ("exec", "pypicreds exec [OPTIONS] NAME [COMMAND]..."),
    ("scan", "pypicreds scan [OPTIONS] [PATH]..."),
    ("upload", "pypicreds upload [OPTIONS] NAME [FILE]..."),
    ("add", "pypicreds add [OPTIONS] NAME"),
    ("env", "pypicreds env [OPTIONS] [NAME]"),
])
def test_usage_lines_name_their_arguments(env, command, usage):
    assert usage in run_cli([command, "--help"], env).stdout


@pytest.mark.parametrize("command,verb", [("audit", "read"), ("doctor", "read"), ("import", "edit"),
                                          ("add", "edit"), ("remove", "edit")])
def test_pypirc_option_says_whether_it_reads_or_edits(env, command, verb):
    text = " ".join(run_cli([command, "--help"], env).stdout.split())
    assert f"The .pypirc to {verb}" in text


def test_help_examples_show_one_command_per_line(env):
    """`env`'s example is two commands (bash, fish): each on its own line, in --help and on the
    docs' reference page, never joined into what reads as one command."""
    text = run_cli(["env", "--help"], env).stdout
    lines = [line.strip() for line in text.splitlines()]
    assert "eval $(pypicreds env testpypi)" in lines
    assert "pypicreds env testpypi --shell fish | source" in lines
    import importlib.util

    spec = importlib.util.spec_from_file_location("gen_reference", ROOT / "docs/gen_reference.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    page = gen.reference_pages()["commands/env.md"]
    block = page.split("```console\n", 1)[1].split("```", 1)[0].splitlines()
    assert "$ eval $(pypicreds env testpypi)" in block
    assert "$ pypicreds env testpypi --shell fish | source" in block
    for command in HELP_COMMANDS:
        for example in (line for line in run_cli([command, "--help"], env).stdout.splitlines() if "pypicreds " in line):
            assert example.count("pypicreds ") == 1 or "|" in example, f"{command}: {example}"
