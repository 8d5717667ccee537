"""`pypicreds scan`: real tokens in several kinds of file, next to lookalikes that are not tokens."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import yaml

from macaroon_mint import current, mint
from realparts import VENV_BIN, assert_no_secret, run_cli

ROOT = Path(__file__).resolve().parents[1]
PROJECT = mint([current([1, ["demo-pkg"]])], location="pypi.org", identifier="11111111-1111-4111-8111-111111111111")
ACCOUNT = mint([current([3, "0a9a1b7e-0000-4000-8000-000000000001"])], location="test.pypi.org",
               identifier="22222222-2222-4222-8222-222222222222")
LEGACY = mint(['{"version": 1, "permissions": "user"}'], identifier="33333333-3333-4333-8333-333333333333")


def _broken(token: str) -> str:
    """Valid prefix and alphabet, but the macaroon inside no longer parses."""
    body = token[len("pypi-AgE"):]
    return "pypi-AgE" + body[:20] + "____" + body[24:]


LOOKALIKES = [
    "pypi-XgE" + PROJECT[8:],  # wrong prefix
    PROJECT[:8 + 79],  # too short for the pattern
    PROJECT[:-7],  # truncated: the signature is cut
    _broken(PROJECT),  # broken base64 / macaroon
    "pypi-AgE" + "A" * 120,  # the right shape, nonsense inside
]


def make_tree(root: Path) -> dict[str, int]:
    """Files with tokens (path -> line) and files with lookalikes only."""
    (root / "src/pkg").mkdir(parents=True)
    (root / "logs").mkdir()
    (root / ".git/objects").mkdir(parents=True)
    (root / ".env").write_text(f"# secrets\nDEBUG=1\nTWINE_PASSWORD={PROJECT}\n")
    (root / "src/pkg/settings.py").write_text(f'API = "x"\n\n\nTOKEN = "{ACCOUNT}"  # oops\n')
    (root / "logs/ci.log").write_bytes(b"step 1\r\nstep 2\r\n" + f"export X='{LEGACY}'\r\n".encode())
    (root / "config.json").write_text(json.dumps({"password": PROJECT, "other": LOOKALIKES[0]}, indent=1))
    (root / "latin1.txt").write_bytes(b"caf\xe9\n" + LEGACY.encode() + b"\n")
    (root / "lookalikes.txt").write_text("\n".join(LOOKALIKES) + "\n")
    (root / ".git/objects/pack.txt").write_text(PROJECT + "\n")  # .git is skipped
    (root / "image.bin").write_bytes(b"\x89PNG\0\0" + PROJECT.encode())  # binary is skipped
    return {".env": 3, "src/pkg/settings.py": 4, "logs/ci.log": 3, "config.json": 2, "latin1.txt": 2}


def test_finds_tokens_and_ignores_lookalikes(cli_env, tmp_path):
    expected = make_tree(tmp_path / "tree")
    result = run_cli(["scan", "--json", str(tmp_path / "tree")], cli_env)
    assert result.returncode == 1, result.stderr
    hits = json.loads(result.stdout)
    found = {(str(Path(h["path"]).relative_to(tmp_path / "tree")), h["line"]) for h in hits}
    assert found == set(expected.items())
    by_path = {Path(h["path"]).name: h for h in hits}
    assert by_path[".env"]["host"] == "pypi.org" and by_path[".env"]["scope"] == "project"
    assert by_path[".env"]["token_id"] == "11111111-1111-4111-8111-111111111111"
    assert by_path["settings.py"]["host"] == "test.pypi.org" and by_path["settings.py"]["scope"] == "unrestricted"
    assert by_path["settings.py"]["column"] == 10
    assert set(hits[0]) == {"path", "line", "column", "host", "token_id", "scope", "projects", "expires", "fingerprint",
                            "unknown_caveats"}
    human = run_cli(["scan", str(tmp_path / "tree")], cli_env)
    assert human.returncode == 1
    assert f"{tmp_path / 'tree' / '.env'}:3: PyPI token for pypi.org, id 11111111-" in human.stdout
    for token in (PROJECT, ACCOUNT, LEGACY, *LOOKALIKES):
        assert_no_secret(token, result.stdout, result.stderr, human.stdout, human.stderr)


def test_clean_tree_exits_0_and_default_path_is_cwd(cli_env, tmp_path):
    (tmp_path / "a.txt").write_text("\n".join(LOOKALIKES))
    result = subprocess.run([str(VENV_BIN / "pypicreds"), "scan"], cwd=tmp_path, env=cli_env,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and "no tokens (1 file read)" in result.stderr
    (tmp_path / "b.txt").write_text(PROJECT)
    assert subprocess.run([str(VENV_BIN / "pypicreds"), "scan"], cwd=tmp_path, env=cli_env,
                          capture_output=True).returncode == 1


def test_missing_path_is_an_error(cli_env, tmp_path):
    result = run_cli(["scan", str(tmp_path / "nope")], cli_env)
    assert result.returncode == 2 and "no such file" in result.stderr


def test_a_big_log_is_read_in_chunks_without_losing_a_token(cli_env, tmp_path):
    from pypicreds.checks import scan

    log = tmp_path / "big.log"
    line = b"x" * 99 + b"\n"
    lines_before = scan.CHUNK // len(line)  # the token's line straddles the first chunk boundary
    with open(log, "wb") as f:
        f.write(line * lines_before)
        f.write(b"yy" + PROJECT.encode() + b"\n")
        f.write(line * 10)
    assert log.stat().st_size > scan.CHUNK
    [hit] = scan.scan([log]).hits
    assert hit.line == lines_before + 1 and hit.column == 3


def test_ten_thousand_files_quickly(cli_env, tmp_path):
    tree = tmp_path / "many"
    for d in range(100):
        sub = tree / f"pkg{d}"
        sub.mkdir(parents=True)
        for n in range(100):
            (sub / f"mod{n}.py").write_text(f"# module {n}\n" + "value = 1\n" * 40)
    (tree / "pkg7" / "mod7.py").write_text(f"T = '{PROJECT}'\n")
    start = time.monotonic()
    result = run_cli(["scan", "--json", str(tree)], cli_env)
    elapsed = time.monotonic() - start
    assert result.returncode == 1
    assert [Path(h["path"]).name for h in json.loads(result.stdout)] == ["mod7.py"]
    assert "1 token in 1 file (10000 files read)" in result.stderr
    print(f"scan of 10,000 files: {elapsed:.2f}s (whole process; speed is the benchmark's business)")


def test_pre_commit_hook_definition_runs_scan(cli_env, tmp_path):
    [hook] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "pypicreds-scan" and hook["language"] == "python"
    clean, leaky = tmp_path / "clean.py", tmp_path / "leaky.env"
    clean.write_text("x = 1\n")
    leaky.write_text(f"PW={ACCOUNT}\n")
    # pre-commit runs `entry` with the staged file names appended
    argv = hook["entry"].split() + hook.get("args", [])
    argv[0] = str(VENV_BIN / argv[0])
    ok = subprocess.run([*argv, str(clean)], env=cli_env, capture_output=True, text=True)
    bad = subprocess.run([*argv, str(clean), str(leaky)], env=cli_env, capture_output=True, text=True)
    assert ok.returncode == 0 and bad.returncode == 1
    assert f"{leaky}:1:" in bad.stdout
    assert_no_secret(ACCOUNT, bad.stdout, bad.stderr)


def test_utf16_files_as_powershell_writes_them(cli_env, tmp_path):
    """Out-File's default is UTF-16 LE with a BOM (NULs everywhere: no longer taken for binary)."""
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "ps.log").write_bytes("\ufeffline one\r\n$env:TWINE_PASSWORD = '{}'\r\n".format(PROJECT).encode("utf-16-le"))
    (tree / "nobom.log").write_bytes(f"x\n{ACCOUNT}\n".encode("utf-16-le"))
    (tree / "be.log").write_bytes("\ufeff{}\n".format(LEGACY).encode("utf-16-be"))
    result = run_cli(["scan", "--json", str(tree)], cli_env)
    found = {(Path(h["path"]).name, h["line"], h["fingerprint"]) for h in json.loads(result.stdout)}
    from pypicreds.tokens import fingerprint

    assert found == {("ps.log", 2, fingerprint(PROJECT)), ("nobom.log", 2, fingerprint(ACCOUNT)),
                     ("be.log", 1, fingerprint(LEGACY))}


def test_a_token_glued_to_more_url_safe_characters_is_found(cli_env, tmp_path):
    log = tmp_path / "glued.txt"
    log.write_text(f"A={PROJECT}_old\nB={ACCOUNT}-x9\nC={LEGACY}{PROJECT}\n")
    hits = json.loads(run_cli(["scan", "--json", str(log)], cli_env).stdout)
    from pypicreds.tokens import fingerprint

    assert [(h["line"], h["fingerprint"]) for h in hits] == [
        (1, fingerprint(PROJECT)), (2, fingerprint(ACCOUNT)), (3, fingerprint(LEGACY)), (3, fingerprint(PROJECT))]


def test_symlinked_files_are_followed_and_each_file_is_read_once(cli_env, tmp_path):
    """A `.env` linked to a secrets file elsewhere is exactly what leaks; a file reached through
    its own name and a link is one file; a linked directory is not entered (no loops)."""
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "env").write_text(f"TWINE_PASSWORD={ACCOUNT}\n")
    (tree / ".env").symlink_to(secrets / "env")
    (tree / "sub" / "real.txt").write_text(PROJECT)
    (tree / "again.txt").symlink_to(tree / "sub" / "real.txt")
    (tree / "loop").symlink_to(tree)
    (tree / "dir-link").symlink_to(secrets)
    (tree / "dangling").symlink_to(tmp_path / "gone")
    result = run_cli(["scan", "--json", str(tree)], cli_env)
    from pypicreds.tokens import fingerprint

    assert sorted(h["fingerprint"] for h in json.loads(result.stdout)) == sorted(
        [fingerprint(PROJECT), fingerprint(ACCOUNT)])
    assert "(2 files read)" in result.stderr and "unexpected" not in result.stderr


def test_a_token_cut_by_the_read_buffer_is_found_in_a_file_without_newlines(cli_env, tmp_path):
    from pypicreds.checks import scan

    log = tmp_path / "minified.js"
    with open(log, "wb") as f:
        f.write(b"x;" * ((scan.CHUNK - 50) // 2))
        f.write(PROJECT.encode())  # straddles the first block's end
        f.write(b";y" * 1000)
    [hit] = scan.scan([log]).hits
    assert hit.line == 1 and hit.column == (scan.CHUNK - 50) // 2 * 2 + 1


def test_a_fifo_named_on_the_command_line_is_not_waited_for(cli_env, tmp_path):
    import os

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    result = run_cli(["scan", str(fifo)], cli_env, timeout=20)
    assert result.returncode == 0 and "FIFO" in result.stderr and "unexpected" not in result.stderr
