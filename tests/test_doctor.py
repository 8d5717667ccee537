"""`pypicreds doctor`: checked against twine 7 itself, in the same situation, on a real keyring.

The oracle runs twine's own settings code (`twine upload`'s argument parser with its TWINE_*
environment defaults, `Settings.from_argparse`, `--non-interactive`) in a subprocess and says
which URL, username and password twine ends up with (the password as a fingerprint). The only
thing changed in twine is Trusted Publishing, which would ask upload.pypi.org for an OIDC
audience over the network: it answers "not in CI" at once, as it would on this machine anyway.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from macaroon_mint import current, mint
from realparts import assert_no_secret, make_wheel, run_cli, write_pypirc

from pypicreds.tokens import fingerprint

PYPI = "https://upload.pypi.org/legacy/"
TOKEN = mint([current([1, ["demo-pkg"]])], location="pypi.org")
OTHER = mint([current([1, ["other-pkg"]])], location="pypi.org")
CORP = "https://pkgs.example.org/upload/"

ORACLE = r"""
import argparse, hashlib, json, sys
from twine import auth, settings
auth.Resolver.make_trusted_publishing_token = lambda self: None  # no network: not in CI
def fp(value):
    return None if value is None else hashlib.sha256(value.encode()).hexdigest()[:8]
out = {"error": None, "url": None, "username": None, "password": None, "empty": False}
parser = argparse.ArgumentParser()
settings.Settings.register_argparse_arguments(parser)
try:
    s = settings.Settings.from_argparse(parser.parse_args(["-r", sys.argv[1], "--non-interactive"]))
except Exception as e:
    out["error"] = type(e).__name__
else:
    out["url"] = s.repository_config["repository"]
    try:
        out["username"] = s.username
        password = s.password
        out["password"], out["empty"] = fp(password) if password else None, password == ""
    except Exception as e:
        out["error"] = type(e).__name__
print(json.dumps(out))
"""

KEYRING_SET = "import keyring, sys; keyring.set_password(sys.argv[1], sys.argv[2], sys.stdin.read())"


def twine_view(env, name: str) -> dict:
    out = subprocess.run([sys.executable, "-c", ORACLE, name], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def doctor_view(env, name: str) -> dict:
    result = run_cli(["doctor", name, "--json"], env)
    assert result.returncode in (0, 1), result.stderr
    [d] = json.loads(result.stdout)
    for secret in (TOKEN, OTHER, "corp-password", "pw-from-server-login", "url-password"):
        assert_no_secret(secret, result.stdout, result.stderr)
    return d


def as_twine_would_say(d: dict) -> dict:
    """doctor's answer in the oracle's terms."""
    if d["error"]:
        return {"error": "KeyError" if "KeyError" in d["error"] else "InvalidConfiguration"}
    out = {"error": None, "url": d["url"]["value"], "username": d["username"]["value"],
           "password": d["password"]["fingerprint"], "empty": d["password"]["empty"]}
    if d["username"]["source"] == "prompt" or d["password"]["source"] in ("prompt", "trusted-publishing"):
        out["error"] = "NonInteractive"
        del out["password"], out["empty"]
    return out


def comparable(oracle: dict) -> dict:
    if oracle["error"] in ("InvalidConfiguration", "KeyError"):
        return {"error": oracle["error"]}
    if oracle["error"] == "NonInteractive":
        return {k: v for k, v in oracle.items() if k not in ("password", "empty")}
    return oracle


@pytest.fixture
def kenv(cli_env, keyring_service):
    return {**cli_env, **keyring_service.env}


def keyring_set(env, url: str, username: str, secret: str) -> None:
    subprocess.run([sys.executable, "-c", KEYRING_SET, url, username], env=env, input=secret, text=True, check=True)


SCENARIOS = {
    # name: (.pypirc, extra environment, keyring entries, repository asked for, expected password source)
    "builtin-keyring": ("", {}, [(PYPI, "__token__", TOKEN)], "pypi", "keyring"),
    "env-password-wins": ("", {"TWINE_PASSWORD": OTHER}, [(PYPI, "__token__", TOKEN)], "pypi", "env"),
    "empty-env-password": ("", {"TWINE_PASSWORD": ""}, [(PYPI, "__token__", TOKEN)], "pypi", "env"),
    "empty-password-line": ("[distutils]\nindex-servers = pypi\n[pypi]\npassword =\n", {},
                            [(PYPI, "__token__", TOKEN)], "pypi", "pypirc"),
    "username-forced-for-pypi": ("[distutils]\nindex-servers = pypi\n[pypi]\nusername = someone\n", {},
                                 [(PYPI, "__token__", TOKEN), (PYPI, "someone", OTHER)], "pypi", "keyring"),
    "unlisted-pypi-section-ignored": (f"[distutils]\nindex-servers = testpypi\n[pypi]\npassword = {OTHER}\n", {},
                                      [(PYPI, "__token__", TOKEN)], "pypi", "keyring"),
    "server-login-defaults": ("[distutils]\nindex-servers = corp\n[corp]\nrepository = " + CORP + "\n"
                              "[server-login]\nusername = bob\npassword = pw-from-server-login\n", {}, [], "corp",
                              "pypirc"),
    "unlisted-section": ("[distutils]\nindex-servers = pypi\n[corp]\nrepository = " + CORP + "\n", {}, [], "corp",
                         None),
    "listed-without-twine-keys": ("[distutils]\nindex-servers = corp\n[corp]\ncomment = hi\n", {}, [], "corp", None),
    "no-repository-url": ("[distutils]\nindex-servers = corp\n[corp]\nusername = me\n", {}, [], "corp", None),
    "missing-trailing-slash": ("[distutils]\nindex-servers = corp\n[corp]\nrepository = " + CORP[:-1] + "\n"
                               "username = deploy\n", {}, [(CORP, "deploy", "corp-password")], "corp", "prompt"),
    "twine-username-env": ("[distutils]\nindex-servers = corp\n[corp]\nrepository = " + CORP + "\nusername = x\n",
                           {"TWINE_USERNAME": "deploy"}, [(CORP, "deploy", "corp-password")], "corp", "keyring"),
    "username-from-keyring": ("[distutils]\nindex-servers = corp\n[corp]\nrepository = " + CORP + "\n", {},
                              [(CORP, "deploy", "corp-password")], "corp", "keyring"),
    "repository-url-env": ("", {"TWINE_REPOSITORY_URL": "https://u:url-password@example.org/x"}, [], "pypi", "url"),
    "pypi-nothing-anywhere": ("", {}, [], "pypi", "trusted-publishing"),
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_doctor_agrees_with_twine(kenv, scenario):
    text, extra, entries, name, source = SCENARIOS[scenario]
    env = {**kenv, **extra}
    write_pypirc(env, text)
    for url, username, secret in entries:
        keyring_set(env, url, username, secret)
    d = doctor_view(env, name)
    oracle = twine_view(env, name)
    assert as_twine_would_say(d) == comparable(oracle), (d, oracle)
    if source is None:
        assert d["error"] and not d["ok"]
    else:
        assert d["password"]["source"] == source


def test_doctor_says_where_twine_and_pypicreds_differ(kenv):
    assert run_cli(["add", "pypi", "--token-stdin"], kenv, input=TOKEN).returncode == 0
    everything = {d["name"]: d for d in json.loads(run_cli(["doctor", "--json"], kenv).stdout)}
    assert set(everything) == {"pypi", "testpypi"}  # twine's default index-servers
    ok = everything["pypi"]
    assert ok["ok"] and ok["password"]["fingerprint"] == fingerprint(TOKEN)
    assert ok["pypicreds"] == {"url": PYPI, "username": "__token__", "store": "keyring",
                               "fingerprint": fingerprint(TOKEN)}
    leaked = run_cli(["doctor", "pypi"], {**kenv, "TWINE_PASSWORD": OTHER})
    assert leaked.returncode == 1
    assert "TWINE_PASSWORD" in leaked.stdout and fingerprint(OTHER) in leaked.stdout
    assert_no_secret(OTHER, leaked.stdout, leaked.stderr)
    assert_no_secret(TOKEN, leaked.stdout, leaked.stderr)


def test_doctor_json_keys_are_documented(kenv):
    import re

    section = (Path(__file__).resolve().parents[1] / "docs/json.md").read_text().split("## pypicreds doctor --json")[1]
    section = section.split("\n## ")[0]
    documented = set(re.findall(r"^\| `(\w+)` \|", section, flags=re.M))
    [d] = json.loads(run_cli(["doctor", "pypi", "--json"], kenv).stdout)
    assert set(d) <= documented and {"url", "username", "password", "pypicreds", "differences"} <= set(d)


def test_real_twine_upload_matches_doctor(kenv, pypiserver, tmp_path):
    """doctor says ok -> a real `twine upload` succeeds; doctor says the keyring entry is not
    found -> the same upload fails for want of a password."""
    server = pypiserver("corp-upload-password")
    assert run_cli(["add", "corp", "--url", server.url, "--store", "keyring", "--token-stdin"], kenv,
                   input="corp-upload-password").returncode == 0
    wheel = make_wheel(tmp_path / "dist")
    [good] = json.loads(run_cli(["doctor", "corp", "--json"], kenv).stdout)
    assert good["ok"] and good["password"]["source"] == "keyring"
    twine = [str(Path(sys.executable).parent / "twine"), "upload", "-r", "corp", "--non-interactive",
             "--disable-progress-bar", str(wheel)]
    uploaded = subprocess.run(twine, env=kenv, capture_output=True, text=True, timeout=120)
    assert uploaded.returncode == 0, uploaded.stdout + uploaded.stderr

    pypirc = Path(kenv["HOME"]) / ".pypirc"
    pypirc.write_text(pypirc.read_text().replace(server.url, server.url.rstrip("/")))
    bad = run_cli(["doctor", "corp", "--json"], kenv)
    [d] = json.loads(bad.stdout)
    assert bad.returncode == 1 and not d["ok"] and d["password"]["source"] == "prompt"
    assert any("finds nothing" in text or "uploads to" in text for text in d["differences"])
    failed = subprocess.run(twine, env=kenv, capture_output=True, text=True, timeout=120)
    assert failed.returncode != 0 and "Credential not found for password" in failed.stdout + failed.stderr
