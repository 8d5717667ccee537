"""Every mainstream publisher, the real tool, uploading a fresh package to a local pypiserver that
requires a login, with the token found only through pypicreds:

(a) with no keyring at all (no D-Bus): twine, hatch, pdm, flit, `keyring get` and
    `uv publish --keyring-provider subprocess` through pypicreds' vault backend;
(b) with gnome-keyring running: keyring's writes still go to the Secret Service, never into the
    vault, while twine finds the vault's token;
(c) through `pypicreds exec` for each publisher, recognised from the command, with the
    publisher's own keyring switched off (so only the variables can carry the token);
(d) `flit publish` picking a per-project token by itself, in both stores.

The publishers run from .venv-publishers (tests/helpers/publishing.py), pypicreds from .venv:
another environment, as on users' machines. No request leaves 127.0.0.1 (dead proxies).
"""

from __future__ import annotations

import pytest

from publishing import (
    PUBLISHERS_BIN, PUBLISHERS_PYTHON, make_project, new_token, publisher_env, require_publishers, run_tool,
    uploaded,
)
from realparts import VENV_BIN, assert_no_secret

PYPICREDS = str(VENV_BIN / "pypicreds")
BESIDE = str(PUBLISHERS_BIN / "pypicreds")  # pypicreds installed beside the publishers
FAIL = "keyring.backends.fail.Keyring"


@pytest.fixture(autouse=True)
def publishers_installed():
    require_publishers()


def add_local(env, server, token, *extra, pypicreds: str = PYPICREDS) -> str:
    done = run_tool([pypicreds, "add", "local", "--url", server.url, *extra, "--token-stdin"], env,
                    env.get("HOME"), input=token)
    assert done.returncode == 0, done.stderr
    return done.stderr


def assert_upload(done, server, version, *secrets) -> None:
    assert done.returncode == 0, f"{done.args}:\n{done.stdout}\n{done.stderr}"
    assert uploaded(server, version), f"{done.args}: nothing of {version} reached the index\n{done.stderr}"
    for secret in secrets:
        assert_no_secret(secret, done.stdout, done.stderr)


def test_a_publishers_find_a_vault_token_through_the_backend_with_no_keyring(cli_env, pypiserver, tmp_path, tmp_home):
    """(a) No keyring at all: `pypicreds add` puts the token in the vault, says who finds it,
    and then twine, hatch, pdm, flit, `keyring get` and uv's keyring subprocess all find it,
    with no password in .pypirc and nothing in the environment."""
    token = new_token()
    server = pypiserver(token)
    env = publisher_env(cli_env)  # no D-Bus, no keyring configured: as on a CI runner
    said = add_local(env, server, token, pypicreds=BESIDE)  # no keyring backend: the file store
    assert (tmp_home / ".config/pypicreds/vault.json").is_file()
    assert "twine, hatch, pdm and flit find it through the keyring" in said
    assert "password" not in (tmp_home / ".pypirc").read_text()
    assert not any(token in value for value in env.values())
    listed = run_tool([str(PUBLISHERS_BIN / "keyring"), "--list-backends"], env, tmp_path)
    assert "pypicreds.store.backend.VaultKeyring (priority: 0.25)" in listed.stdout, listed.stdout
    cases = {
        "1.1": ["twine", "upload", "-r", "local", "--non-interactive", "--disable-progress-bar", "dist/{wheel}"],
        "1.2": ["hatch", "publish", "-r", server.url, "--no-prompt"],  # user from [local]: repository = that URL
        "1.3": ["pdm", "publish", "--no-build", "-r", server.url],
        "1.4": ["flit", "publish", "--repository", "local"],
        "1.5": ["uv", "publish", "--publish-url", server.url, "--keyring-provider", "subprocess", "-u", "__token__"],
    }
    for version, argv in cases.items():
        project = make_project(tmp_path / version, version)
        wheel = f"demo_pkg-{version}-py3-none-any.whl"
        done = run_tool([a.format(wheel=wheel) for a in argv], env, project)
        assert_upload(done, server, version, token)
    got = run_tool([str(PUBLISHERS_BIN / "keyring"), "get", server.url, "__token__"], env, tmp_path)
    assert got.returncode == 0 and got.stdout.strip() == token


def test_a_twine_keeps_working_after_import_moves_its_token_into_the_vault(cli_env, pypiserver, tmp_path, tmp_home):
    """The issue's own complaint: a plaintext .pypirc that twine used, `pypicreds import` into the
    vault (no keyring), and the same plain `twine upload -r local` still works."""
    token = new_token()
    server = pypiserver(token)
    pypirc = tmp_home / ".pypirc"
    pypirc.write_text(f"[distutils]\nindex-servers =\n    local\n\n[local]\nrepository = {server.url}\n"
                      f"username = __token__\npassword = {token}\n")
    pypirc.chmod(0o600)
    env = publisher_env(cli_env)
    argv = ["twine", "upload", "-r", "local", "--non-interactive", "--disable-progress-bar"]
    before = run_tool([*argv, "dist/demo_pkg-2.0-py3-none-any.whl"], env, make_project(tmp_path / "p1", "2.0"))
    assert_upload(before, server, "2.0")
    moved = run_tool([BESIDE, "import"], env, tmp_path)
    assert moved.returncode == 0, moved.stderr
    assert token not in pypirc.read_text()
    assert "twine, hatch, pdm and flit find it through the keyring" in moved.stderr
    after = run_tool([*argv, "dist/demo_pkg-2.1-py3-none-any.whl"], env, make_project(tmp_path / "p2", "2.1"))
    assert_upload(after, server, "2.1", token)


def test_b_a_secret_service_stays_the_default_for_writes(cli_env, keyring_service, pypiserver, tmp_path, tmp_home):
    """(b) gnome-keyring running, keyring choosing by itself: keyring's default is the chainer
    with the Secret Service first; a plain `keyring set` lands there and the vault's bytes do
    not change; twine still finds the vault's token."""
    token = new_token()
    server = pypiserver(token)
    add_local({**cli_env, **keyring_service.env}, server, token, "--store", "file")
    vault = tmp_home / ".config/pypicreds/vault.json"
    vault_bytes = vault.read_bytes()
    bus = {k: keyring_service.env[k] for k in ("DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR")}
    env = publisher_env(cli_env, **bus)
    code = ("import keyring; k = keyring.get_keyring(); "
            "print(type(k).__name__, *[type(b).__module__ + '.' + type(b).__name__ for b in getattr(k, 'backends', [k])])")
    chosen = run_tool([str(PUBLISHERS_PYTHON), "-c", code], env, tmp_path)
    assert chosen.stdout.split() == ["ChainerBackend", "keyring.backends.SecretService.Keyring",
                                     "pypicreds.store.backend.VaultKeyring"], chosen.stdout + chosen.stderr
    keyring_cli = str(PUBLISHERS_BIN / "keyring")
    stored = run_tool([keyring_cli, "set", "other-program", "alice"], env, tmp_path, input="their-secret\n")
    assert stored.returncode == 0, stored.stderr
    assert keyring_service.item_count() == 1
    assert vault.read_bytes() == vault_bytes
    assert run_tool([keyring_cli, "get", "other-program", "alice"], env, tmp_path).stdout.strip() == "their-secret"
    done = run_tool(["twine", "upload", "-r", "local", "--non-interactive", "--disable-progress-bar",
                     "dist/demo_pkg-3.0-py3-none-any.whl"], env, make_project(tmp_path / "p", "3.0"))
    assert_upload(done, server, "3.0", token)


EXEC_CASES = {
    "twine": ("4.1", ["twine", "upload", "--non-interactive", "--disable-progress-bar", "dist/{wheel}"]),
    "python -m twine": ("4.2", [str(PUBLISHERS_PYTHON), "-m", "twine", "upload", "--disable-progress-bar", "dist/{wheel}"]),
    "uv": ("4.3", ["uv", "publish", "dist/{wheel}"]),
    "hatch": ("4.4", ["hatch", "publish", "--no-prompt", "dist/{wheel}"]),
    "pdm": ("4.5", ["pdm", "publish", "--no-build"]),
    "flit": ("4.6", ["flit", "publish"]),
    "poetry": ("4.7", ["poetry", "publish", "-r", "local", "--no-interaction"]),
}


@pytest.mark.parametrize("label", list(EXEC_CASES))
def test_c_exec_hands_each_publisher_its_own_variables(label, cli_env, pypiserver, tmp_path):
    """(c) `pypicreds exec local -- <publisher command>` with no --for: exec recognises the
    publisher and sets its variables. The publisher's keyring is the failing backend, so the
    variables are its only way to the token."""
    token = new_token()
    server = pypiserver(token)
    add_local({**cli_env, "PYPICREDS_STORE": "file"}, server, token, "--no-pypirc")
    version, argv = EXEC_CASES[label]
    project = make_project(tmp_path / "p", version)
    env = publisher_env(cli_env, PYTHON_KEYRING_BACKEND=FAIL)
    argv = [a.format(wheel=f"demo_pkg-{version}-py3-none-any.whl") for a in argv]
    done = run_tool([PYPICREDS, "exec", "local", "--", *argv], env, project)
    assert_upload(done, server, version, token)


@pytest.mark.parametrize("store", ["file", "keyring"])
def test_d_flit_picks_the_projects_own_token(store, request, cli_env, pypiserver, tmp_path):
    """(d) The repository's token is one the index refuses; the project's own token (`add
    --project`) is the one it accepts. `flit publish --repository local` finds the project's
    token by itself, under flit's own name, in the vault and in the Secret Service."""
    right, wrong = new_token(), new_token()
    server = pypiserver(right)
    env = {**cli_env, "PYPICREDS_STORE": store}
    tool_env = publisher_env(cli_env)
    if store == "keyring":
        service = request.getfixturevalue("keyring_service")
        env.update(service.env)
        tool_env.update(service.env)
    else:
        env = publisher_env(cli_env, PYPICREDS_STORE=store)
    add_local(env, server, wrong, pypicreds=BESIDE)
    said = add_local(env, server, right, "--project", "Demo_Pkg", pypicreds=BESIDE)
    assert "flit finds it" in said and "pypi_token:project:demo-pkg" in said
    done = run_tool(["flit", "publish", "--repository", "local"], tool_env, make_project(tmp_path / "p", "5.0"))
    assert_upload(done, server, "5.0", right, wrong)


def test_e_a_stale_secret_service_entry_is_named_not_claimed_away(cli_env, keyring_service, pypiserver, tmp_path):
    """(e) The Secret Service already holds an old token for the same URL and username: keyring
    asks it before the vault, so twine gets the old token. `add` says so (not "twine finds it")
    and gives the `keyring del` command; after running it, twine uploads with the vault's token."""
    token, stale = new_token(), new_token()
    server = pypiserver(token)
    bus = {k: keyring_service.env[k] for k in ("DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR")}
    env = publisher_env(cli_env, **bus)
    keyring_cli = str(PUBLISHERS_BIN / "keyring")
    assert run_tool([keyring_cli, "set", server.url, "__token__"], env, tmp_path, input=stale + "\n").returncode == 0
    said = add_local(env, server, token, "--store", "file", pypicreds=BESIDE)
    assert "find it through the keyring" not in said
    assert "twine, hatch, pdm and flit will get another token" in said
    command = f"keyring del {server.url} __token__"
    assert f"`{command}`" in said and said.count("\n") == len(said.splitlines())
    argv = ["twine", "upload", "-r", "local", "--non-interactive", "--disable-progress-bar"]
    doctor = run_tool([BESIDE, "doctor", "local"], env, tmp_path)
    assert doctor.returncode == 1 and "comes before pypicreds' vault" in doctor.stdout and f"`{command}`" in doctor.stdout
    refused = run_tool([*argv, "dist/demo_pkg-6.0-py3-none-any.whl"], env, make_project(tmp_path / "p1", "6.0"))
    assert refused.returncode != 0 and "403" in refused.stdout + refused.stderr  # the stale token went
    assert run_tool([keyring_cli, *command.split()[1:]], env, tmp_path).returncode == 0  # the hint, as given
    assert run_tool([BESIDE, "doctor", "local"], env, tmp_path).returncode == 0
    done = run_tool([*argv, "dist/demo_pkg-6.1-py3-none-any.whl"], env, make_project(tmp_path / "p2", "6.1"))
    assert_upload(done, server, "6.1", token)


def test_f_no_pypirc_names_what_finds_a_custom_index(cli_env, pypiserver, tmp_path):
    """(f) `add --no-pypirc` for an index of one's own writes no section: `twine upload -r NAME`
    cannot find it, so `add` must not say it can; it names `--repository-url URL`, which works."""
    token = new_token()
    server = pypiserver(token)
    env = publisher_env(cli_env)
    said = add_local(env, server, token, "--no-pypirc", "--store", "file", pypicreds=BESIDE)
    assert "twine, hatch, pdm and flit find it" not in said
    assert "`twine upload -r local` cannot find it" in said
    assert f"`twine upload --repository-url {server.url}`" in said and "`pypicreds upload local`" in said
    base = ["twine", "upload", "--non-interactive", "--disable-progress-bar"]
    by_name = run_tool([*base, "-r", "local", "dist/demo_pkg-7.0-py3-none-any.whl"], env,
                       make_project(tmp_path / "p1", "7.0"))
    assert by_name.returncode != 0 and "local" in by_name.stdout + by_name.stderr
    by_url = run_tool([*base, "--repository-url", server.url, "dist/demo_pkg-7.1-py3-none-any.whl"], env,
                      make_project(tmp_path / "p2", "7.1"))
    assert_upload(by_url, server, "7.1", token)
