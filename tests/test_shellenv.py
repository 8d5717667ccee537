"""shellenv: the rendered statements, evaluated by real shells exactly as users type them.

bash, zsh, dash (as sh) and fish read the output from a file through `eval $(cat f)`
(unquoted: word-split and globbed first), `eval "$(cat f)"`, `. f`, fish `source f`,
`cat f | source` and `eval (cat f)`, in a directory full of files that a stray glob would
match. Then `env -0` (a child process, like twine) reports what was exported, compared
byte for byte with the input. Values reach the shells only inside the files, never argv.
PowerShell is not installable here: its output is checked as text by a small evaluator of
the only two forms it may contain. dotenv is checked with python-dotenv and a real sh.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pypicreds.session import shells as shellenv
from pypicreds.errors import UsageError

NAMES = ("TWINE_USERNAME", "TWINE_PASSWORD", "TWINE_REPOSITORY_URL")
TOKEN = "pypi-AgEIcHlwaS5vcmcCJDEyMzQ1Njc4LTEyMzQtMTIzNC0xMjM0LTEyMzQ1Njc4OTBhYgACKlsz_-Q"

NASTIEST = [
    "", " ", "  ", "a  b", "a   b  c", " lead", "trail ", "\t", "a\tb", "\n", "a\n", "\n\n", "a\n\nb\n\n",
    "\r\n", "*", "x*", "a*", "?", "a?", "[", "[ab]", "a*b?c[d]", "]", "'", "''", "'\\''", '"', "\\", "\\n",
    "\\\\", "\\040", "$", "$HOME", "${HOME}", "$(id)", "`id`", "&", "a&b", ";", "a;b", "#", "a #b", "~", "~root",
    "!", "!!", "!(a)", "@(a|b)", "+(a)", "*(a)", "(", ")", "()", "<1-5>", "^a", "a#", "a~b", "{a,b}", "{1..3}",
    "|", "<", ">", "-", "-n", "-e x", "--", "%", "%s", "%%", "%b", "%040", "=", "a=b", "é", "😀", "€ ü",
    "\u2018'\u2019\u201c\u201d", "\x01\x7f", "\x1b[31m", "\u0085\u2028", "a", "ab", TOKEN,
    "https://test.pypi.org/legacy/", "http://127.0.0.1:8080/?a=1&b=2#frag", "p@ss w0rd!$&*?[]'\"\\`~#",
]
# Files a stray glob would expand to (words like 'a*' or x? in the output would match).
BAIT_FILES = ["a", "ab", "abc", "x*", "x?", "x", "'a", "'x", "'a'", "-", "[", "'\\055a", "export"]

SHELL_ENV_BASE = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}

# The POSIX shells, also with the options that change how an unquoted $(...) is expanded.
POSIX_RUNS = {
    "bash": ("bash", "bash", ""),
    "bash-globopts": ("bash", "bash", "shopt -s nullglob failglob extglob dotglob globstar\n"),
    "zsh": ("zsh", "zsh", ""),
    "zsh-wordsplit-globsubst": ("zsh", "zsh", "setopt shwordsplit globsubst extendedglob kshglob nullglob\n"),
    "zsh-emulate-sh": ("zsh", "zsh", "emulate sh\n"),
    "dash": ("dash", "sh", ""),
}
POSIX_EVALS = {
    "eval-unquoted": "eval $(cat @OUT@)",
    "eval-quoted": 'eval "$(cat @OUT@)"',
    "dot": ". @OUT@",
}
FISH_EVALS = {
    "source": "source @OUT@",
    "pipe-source": "cat @OUT@ | source",
    "eval-list": "eval (cat @OUT@)",
}


# --- running real shells -------------------------------------------------------------------


@pytest.fixture(scope="module")
def shell_dirs(tmp_path_factory) -> dict[str, Path]:
    """A private HOME for the shells and a working directory full of glob bait."""
    base = tmp_path_factory.mktemp("shellenv")
    home, bait = base / "home", base / "bait"
    home.mkdir()
    bait.mkdir()
    for name in BAIT_FILES:
        (bait / name).write_text("")
    return {"home": home, "bait": bait}


def run_shell(
    argv0: str, script: str, rendered: str, dirs: dict[str, Path], names, inherited: dict[str, str] | None = None
) -> tuple[dict[str, bytes | None], set[str]]:
    """Run `script` (with @OUT@, @ENVDUMP@ and @SETFILE@ filled in) in a real shell.

    Returns what a child process sees in its environment for each name (None: absent) and
    the names the shell itself still has set. Fails on any stderr output or exit status.
    """
    with tempfile.TemporaryDirectory(dir=dirs["home"]) as io_dir:
        io_path = Path(io_dir)
        out, envdump, setfile, script_file = (io_path / n for n in ("out.txt", "env.bin", "set.txt", "script"))
        out.write_text(rendered, encoding="utf-8")
        for placeholder, path in (("@OUT@", out), ("@ENVDUMP@", envdump), ("@SETFILE@", setfile)):
            script = script.replace(placeholder, str(path))
        script_file.write_text(script)
        env = {**SHELL_ENV_BASE, "HOME": str(dirs["home"]), "XDG_CONFIG_HOME": str(dirs["home"] / ".config"),
               "XDG_DATA_HOME": str(dirs["home"] / ".local/share"), "XDG_CACHE_HOME": str(dirs["home"] / ".cache"),
               **(inherited or {})}
        shell = shutil.which(argv0) or pytest.fail(f"{argv0} is not installed (apt-get install -y zsh fish)")
        argv = {"fish": [shell, "--no-config"], "zsh": [shell, "-f"]}.get(argv0, [shell])
        proc = subprocess.run(
            [*argv, str(script_file)], cwd=dirs["bait"], env=env, capture_output=True, timeout=20, stdin=subprocess.DEVNULL
        )
        assert proc.returncode == 0 and not proc.stderr, (argv0, proc.returncode, proc.stderr.decode(errors="replace"))
        exported = dict(line.split(b"=", 1) for line in envdump.read_bytes().split(b"\0") if line)
        still_set = set(setfile.read_text().split())
    return {name: exported.get(name.encode()) for name in names}, still_set


def posix_script(prelude: str, evaluate: str, names) -> str:
    checks = "".join(f'if [ "${{{n}+set}}" = set ]; then echo {n}; fi\n' for n in names)
    return f"{prelude}{evaluate}\nenv -0 > @ENVDUMP@\n{{\n{checks}}} > @SETFILE@\n"


def fish_script(evaluate: str, names) -> str:
    checks = "".join(f"if set -q {n}; echo {n}; end\n" for n in names)
    return f"{evaluate}\nenv -0 > @ENVDUMP@\nbegin\n{checks}end > @SETFILE@\n"


def as_bytes(values: dict[str, str]) -> dict[str, bytes]:
    return {name: value.encode("utf-8", "surrogateescape") for name, value in values.items()}


def numbered(values: list[str]) -> dict[str, str]:
    return {f"NASTY_{i}": value for i, value in enumerate(values)}


# --- values: nasty characters, bait file names, and anything else in Unicode ------------------

nasty_char = st.sampled_from(list(" \t\n\r*?[]{}()<>|&;$`'\"\\#~!^%=-+@,.:/"))
any_char = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
value_text = st.one_of(
    st.text(alphabet=st.one_of(nasty_char, any_char), max_size=30),
    st.sampled_from(BAIT_FILES + ["x*", "a*", "'a*'", "[ab]"]),
)
twine_values = st.fixed_dictionaries({name: value_text for name in NAMES})
SHELL_SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


# --- POSIX shells ---------------------------------------------------------------------------


@pytest.mark.parametrize("evaluate", POSIX_EVALS)
@pytest.mark.parametrize("run", POSIX_RUNS)
def test_posix_shells_get_the_nastiest_values_byte_for_byte(shell_dirs, run, evaluate):
    argv0, syntax, prelude = POSIX_RUNS[run]
    values = numbered(NASTIEST)
    script = posix_script(prelude, POSIX_EVALS[evaluate], values)
    exported, still_set = run_shell(argv0, script, shellenv.render_set(values, syntax), shell_dirs, values)
    assert exported == as_bytes(values)
    assert still_set == set(values)


@pytest.mark.parametrize("run", ["bash", "zsh", "dash"])
@SHELL_SETTINGS
@given(values=twine_values)
def test_posix_shells_get_any_values_byte_for_byte(shell_dirs, run, values):
    argv0, syntax, prelude = POSIX_RUNS[run]
    rendered = shellenv.render_set(values, syntax)
    for evaluate in ("eval-unquoted", "eval-quoted"):
        script = posix_script(prelude, POSIX_EVALS[evaluate], NAMES)
        exported, _ = run_shell(argv0, script, rendered, shell_dirs, NAMES)
        assert exported == as_bytes(values), evaluate


@pytest.mark.parametrize("evaluate", POSIX_EVALS)
@pytest.mark.parametrize("run", POSIX_RUNS)
def test_posix_unset_removes_the_variables(shell_dirs, run, evaluate):
    argv0, syntax, prelude = POSIX_RUNS[run]
    inherited = {"TWINE_USERNAME": "__token__", "TWINE_PASSWORD": TOKEN, "TWINE_REPOSITORY_URL": "https://x/"}
    # One inherited and exported, one set only in the shell, one never set: all must end unset.
    prelude += "TWINE_REPOSITORY_URL=local\n"
    script = posix_script(prelude, POSIX_EVALS[evaluate], NAMES)
    rendered = shellenv.render_unset(NAMES, syntax)
    exported, still_set = run_shell(argv0, script, rendered, shell_dirs, NAMES, inherited=inherited)
    assert exported == dict.fromkeys(NAMES)
    assert still_set == set()


def test_the_harness_catches_naive_quoting(shell_dirs):
    """Plain single quotes (the usual `export X='...'`) lose double spaces and hit globs in
    `eval $(...)`: proof that the tests above would see a broken encoding."""
    values = {"SPACES": "a  b", "GLOB": "x*"}
    naive = "export SPACES='a  b';\nexport GLOB='x*';\n"
    script = posix_script("shopt -s nullglob\n", POSIX_EVALS["eval-unquoted"], values)
    exported, _ = run_shell("bash", script, naive, shell_dirs, values)
    assert exported["SPACES"] == b"a b"
    assert exported["GLOB"] is None  # the word GLOB='x*'; matched no file: nullglob dropped it


# --- fish -----------------------------------------------------------------------------------


@pytest.mark.parametrize("evaluate", FISH_EVALS)
def test_fish_gets_the_nastiest_values_byte_for_byte(shell_dirs, evaluate):
    values = numbered(NASTIEST)
    script = fish_script(FISH_EVALS[evaluate], values)
    exported, still_set = run_shell("fish", script, shellenv.render_set(values, "fish"), shell_dirs, values)
    assert exported == as_bytes(values)
    assert still_set == set(values)


@SHELL_SETTINGS
@given(values=twine_values)
def test_fish_gets_any_values_byte_for_byte(shell_dirs, values):
    rendered = shellenv.render_set(values, "fish")
    for evaluate in ("source", "eval-list"):
        exported, _ = run_shell("fish", fish_script(FISH_EVALS[evaluate], NAMES), rendered, shell_dirs, NAMES)
        assert exported == as_bytes(values), evaluate


@pytest.mark.parametrize("evaluate", FISH_EVALS)
def test_fish_unset_removes_the_variables(shell_dirs, evaluate):
    inherited = {"TWINE_USERNAME": "__token__", "TWINE_PASSWORD": TOKEN}
    script = fish_script("set -g TWINE_REPOSITORY_URL local\n" + FISH_EVALS[evaluate], NAMES)
    rendered = shellenv.render_unset(NAMES, "fish")
    exported, still_set = run_shell("fish", script, rendered, shell_dirs, NAMES, inherited=inherited)
    assert exported == dict.fromkeys(NAMES)
    assert still_set == set()


# --- the text itself --------------------------------------------------------------------------


@settings(max_examples=300)
@given(values=twine_values)
def test_posix_text_survives_word_splitting_and_globbing(values):
    text = shellenv.render_set(values, "sh")
    assert text.isascii()
    assert not set(text) & set("*?[(\t\r"), "no glob character, no tab"
    assert "  " not in text
    assert all(line.endswith(";") for line in text.splitlines())
    assert len(text.splitlines()) == len(values)


def test_plain_values_stay_readable():
    values = {"TWINE_USERNAME": "__token__", "TWINE_PASSWORD": TOKEN, "TWINE_REPOSITORY_URL": "https://test.pypi.org/legacy/"}
    assert shellenv.render_set(values, "bash").splitlines() == [f"export {n}='{v}';" for n, v in values.items()]
    assert shellenv.render_set(values, "fish").splitlines() == [f"set -gx {n} '{v}';" for n, v in values.items()]
    assert shellenv.render_set(values, "powershell").splitlines() == [f"$Env:{n} = '{v}';" for n, v in values.items()]
    assert shellenv.render_set(values, "dotenv").splitlines() == [f"{n}={v}" for n, v in values.items()]


def test_unset_never_assigns():
    for shell in ("sh", "bash", "zsh", "fish", "powershell"):
        text = shellenv.render_unset(NAMES, shell)
        assert "=" not in text and len(text.splitlines()) == 3
        assert all(line.endswith(";") and name in line for line, name in zip(text.splitlines(), NAMES))
    assert shellenv.render_unset(NAMES, "powershell").splitlines()[1] == (
        "Remove-Item Env:TWINE_PASSWORD -ErrorAction SilentlyContinue;"
    )


# --- PowerShell, as text ------------------------------------------------------------------------

_PS_TERM = r"'(?:[^']|'')*'|\[char\]0x[0-9A-F]{4}"
_PS_LINE = re.compile(rf"\$Env:(?P<name>[A-Za-z_][A-Za-z0-9_]*) = (?P<expr>'(?:[^']|'')*'(?: \+ (?:{_PS_TERM}))*);")


def powershell_value(expr: str) -> str:
    """Evaluate a concatenation of single-quoted strings and [char] code units, as PowerShell does."""
    units = bytearray()
    for term in re.findall(_PS_TERM, expr):
        if term.startswith("'"):
            units += term[1:-1].replace("''", "'").encode("utf-16-be", "surrogatepass")
        else:
            units += bytes.fromhex(term[len("[char]0x"):])
    return units.decode("utf-16-be", "surrogatepass")


@settings(max_examples=300)
@given(values=twine_values)
def test_powershell_text_evaluates_to_the_values(values):
    text = shellenv.render_set(values, "powershell")
    assert text.isascii()  # no console code page can mangle it
    lines = text.splitlines()  # one statement per line: also fine for `| Invoke-Expression` line by line
    assert len(lines) == len(values)
    parsed = {}
    for line in lines:
        match = _PS_LINE.fullmatch(line)
        assert match, line
        parsed[match["name"]] = powershell_value(match["expr"])
    assert parsed == values


def test_powershell_doubles_quotes_and_escapes_newlines():
    text = shellenv.render_set({"TWINE_PASSWORD": "it's\na\u2019b"}, "powershell")
    assert text == "$Env:TWINE_PASSWORD = 'it''s' + [char]0x000A + 'a' + [char]0x2019 + 'b';\n"


# --- dotenv and json ----------------------------------------------------------------------------



def dotenv_can_spell(value: str) -> bool:
    return not set(value) & set("\n\r'\\") and "${" not in value


dotenv_value = value_text.filter(dotenv_can_spell)


def read_with_python_dotenv(text: str) -> dict[str, str | None]:
    from dotenv import dotenv_values  # PyPI python-dotenv, a test dependency

    with tempfile.TemporaryDirectory() as tmp:  # a real file, read the way applications do
        path = Path(tmp, ".env")
        path.write_text(text, encoding="utf-8")
        return dotenv_values(path)


@settings(max_examples=300)
@given(values=st.fixed_dictionaries({name: dotenv_value for name in NAMES}))
def test_dotenv_is_read_back_by_python_dotenv(values):
    assert read_with_python_dotenv(shellenv.render_set(values, "dotenv")) == values


def test_dotenv_nastiest_values_are_read_back_by_python_dotenv():
    values = numbered(list(filter(dotenv_can_spell, NASTIEST)))
    assert read_with_python_dotenv(shellenv.render_set(values, "dotenv")) == values


def test_dotenv_plain_values_are_bare_so_docker_env_file_reads_them_literally():
    values = {"TWINE_USERNAME": "__token__", "TWINE_PASSWORD": TOKEN, "URL": "https://h:8080/a%20b/+@,=x"}
    text = shellenv.render_set(values, "dotenv")
    assert dict(line.split("=", 1) for line in text.splitlines()) == values


def test_dotenv_is_read_back_by_sh_with_set_a(shell_dirs):
    values = numbered(list(filter(dotenv_can_spell, NASTIEST)))
    script = posix_script("set -a\n", POSIX_EVALS["dot"], values)
    exported, _ = run_shell("dash", script, shellenv.render_set(values, "dotenv"), shell_dirs, values)
    assert exported == as_bytes(values)


@pytest.mark.parametrize("value", ["a\nb", "a\r", "it's", "back\\slash", "${HOME}", "a${b"])
def test_dotenv_refuses_values_it_cannot_spell(value):
    with pytest.raises(UsageError) as info:
        shellenv.render_set({"TWINE_PASSWORD": value}, "dotenv")
    assert info.value.hint and value not in str(info.value) and value not in info.value.hint


def test_dotenv_refuses_unset():
    with pytest.raises(UsageError) as info:
        shellenv.render_unset(NAMES, "dotenv")
    assert "json" in info.value.hint


@settings(max_examples=200)
@given(values=twine_values)
def test_json_round_trips(values):
    text = shellenv.render_set(values, "json")
    assert text.endswith("}\n") and text.count("\n") == 1 and text.isascii()
    assert json.loads(text) == values
    assert list(json.loads(text)) == list(values)


def test_json_unset_is_nulls():
    assert json.loads(shellenv.render_unset(NAMES, "json")) == dict.fromkeys(NAMES)


# --- shell names ----------------------------------------------------------------------------------


@pytest.mark.parametrize("shell", ["cmd", "", "Bash", "pwsh"])
def test_unknown_shells_are_usage_errors_listing_the_valid_ones(shell):
    for render in (lambda: shellenv.render_set({"A": "b"}, shell), lambda: shellenv.render_unset(["A"], shell)):
        with pytest.raises(UsageError) as info:
            render()
        assert all(name in info.value.hint for name in shellenv.SHELLS)
    assert shellenv.check_shell("fish") == "fish"


def test_bad_variable_names_are_programming_errors():
    with pytest.raises(ValueError):
        shellenv.render_set({"A B": "x"}, "sh")
    with pytest.raises(ValueError):
        shellenv.render_unset(["$(id)"], "sh")


def test_default_shell_is_posix_whatever_shell_runs():
    assert shellenv.default_shell() == "sh"
    assert "--shell fish" in shellenv.detect_shell_hint({"SHELL": "/usr/bin/fish"})
    assert "--shell powershell" in shellenv.detect_shell_hint({"SHELL": "/opt/microsoft/powershell/7/pwsh"})
    assert shellenv.detect_shell_hint({"SHELL": "/bin/bash"}) is None
    assert shellenv.detect_shell_hint({}) is None
