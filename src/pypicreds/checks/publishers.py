"""`pypicreds doctor --for uv|hatch|pdm|flit|poetry`: where that publisher would take the URL,
username and password from right now, as doctor.py does for twine.

Each resolver follows the tool's own order, read from its source (docs/publishers/*.md names the
files and versions); what a resolver cannot see (a tool's own configuration file, a terminal
prompt, Trusted Publishing) is a source of its own, with a note. Keyring answers come from the
keyring pypicreds can reach and from pypicreds' vault backend when it is active (doctor.py
`_Keyring`), as the publisher's keyring would give them where pypicreds is installed beside it.
"""

from __future__ import annotations

from collections.abc import Mapping

from .. import repositories
from ..paths import shown
from ..pypirc import index_servers
from .diagnosis import Diagnosis, Value, secret_value

PYPI = repositories.BUILTIN_URLS["pypi"]
TESTPYPI = repositories.BUILTIN_URLS["testpypi"]
TOKEN = repositories.DEFAULT_USERNAME


def resolve(publisher: str, d: Diagnosis, parser, environ: Mapping[str, str], keyring, path) -> None:
    """Fill `d` (url, username, password, notes) by `publisher`'s rules for repository `d.name`,
    as if the publisher were pointed at it on its command line (the note says how)."""
    {"uv": _uv, "hatch": _hatch, "pdm": _pdm, "flit": _flit, "poetry": _poetry}[publisher](
        d, parser, environ, keyring, path)


def _target(d: Diagnosis) -> str | None:
    """The upload URL pypicreds knows for `d.name` (its entry's, or the built-in one)."""
    return d.held.url if d.held is not None else repositories.BUILTIN_URLS.get(d.name)


def _as(d: Diagnosis, command: str) -> None:
    d.notes.insert(0, f"as `{command}`")


def _section(parser, name: str) -> dict:
    return dict(parser.items(name)) if parser.has_section(name) else {}


def _env_then_section(environ, variable: str, section: dict, key: str, *, secret: bool = False) -> Value | None:
    """A non-empty variable, else a non-empty key of the .pypirc section (hatch's and flit's
    order; both take an empty value as none), else None."""
    for source, mapping, name in (("env", environ, variable), ("pypirc", section, key)):
        if mapping.get(name):
            where = Value(source, None if secret else mapping[name], variable=variable if source == "env" else None)
            return secret_value(where, mapping[name]) if secret else where
    return None


def _keyring_password(d: Diagnosis, keyring, url: str, username: str | None, otherwise: Value) -> Value:
    if username:
        found = keyring.password(url, username)
        if found:
            return secret_value(Value("keyring", vault=keyring.from_vault), found)
    return otherwise


def _uv(d, parser, environ, keyring, path) -> None:
    """uv publish (crates/uv/src/commands/publish.rs): --publish-url / UV_PUBLISH_URL, default
    PyPI; UV_PUBLISH_TOKEN, else UV_PUBLISH_USERNAME + UV_PUBLISH_PASSWORD; the keyring only with
    --keyring-provider subprocess and a username; Trusted Publishing on GitHub and GitLab. It
    never reads .pypirc."""
    url = environ.get("UV_PUBLISH_URL")
    if url:
        d.url = Value("env", url, variable="UV_PUBLISH_URL")
        _as(d, "uv publish")
    else:
        d.url = Value("command", _target(d) or PYPI)
        _as(d, f"uv publish --publish-url {d.url.value}")
    if environ.get("UV_PUBLISH_TOKEN"):
        d.username = Value("forced", TOKEN)
        d.password = secret_value(Value("env", variable="UV_PUBLISH_TOKEN"), environ["UV_PUBLISH_TOKEN"])
        return
    user = environ.get("UV_PUBLISH_USERNAME")
    d.username = Value("env", user, variable="UV_PUBLISH_USERNAME") if user else Value("forced", TOKEN)
    if environ.get("UV_PUBLISH_PASSWORD") is not None:
        d.password = secret_value(Value("env", variable="UV_PUBLISH_PASSWORD"), environ["UV_PUBLISH_PASSWORD"])
    elif environ.get("UV_KEYRING_PROVIDER") == "subprocess" and user:
        d.password = _keyring_password(d, keyring, d.url.value, user, Value("trusted-publishing"))
    else:
        d.password = Value("trusted-publishing")
        d.notes.append("uv asks the keyring only with --keyring-provider subprocess and a username; "
                       f"`pypicreds exec {d.name} -- uv publish` hands it the token")


def _hatch(d, parser, environ, keyring, path) -> None:
    """hatch publish (src/hatch/publish/index.py, auth.py): repo HATCH_INDEX_REPO or `main`
    (`main`/`test` are PyPI/TestPyPI, anything else a URL); user HATCH_INDEX_USER, else the
    .pypirc section called like the repo or with `repository =` that URL; password
    HATCH_INDEX_AUTH, else that section's password, else keyring (URL, user), else a prompt."""
    repo = environ.get("HATCH_INDEX_REPO")
    if repo is None:
        repo = {"pypi": "main", "testpypi": "test"}.get(d.name) or _target(d) or "main"
        _as(d, f"hatch publish -r {repo}")
    else:
        _as(d, "hatch publish")
    url = {"main": PYPI, "test": TESTPYPI}.get(repo, repo)
    d.url = Value("env", url, variable="HATCH_INDEX_REPO") if "HATCH_INDEX_REPO" in environ else Value("command", url)
    section = _section(parser, repo or "main") or next(
        (_section(parser, s) for s in parser.sections() if _section(parser, s).get("repository") == url), {})
    d.username = _env_then_section(environ, "HATCH_INDEX_USER", section, "username") or Value("prompt")
    if d.username.source == "prompt":
        d.notes.append(f"hatch finds no username for {repositories.shown_url(url)}: pass `-u {TOKEN}` "
                       "(or HATCH_INDEX_USER), or give a .pypirc section `repository =` this URL")
    # hatch reads the section's password only while it reads the username from there
    pypirc_password = section if d.username.source == "pypirc" else {}
    d.password = _env_then_section(environ, "HATCH_INDEX_AUTH", pypirc_password, "password", secret=True)
    if d.password is None:
        user = d.username.value or (TOKEN if d.held is None else d.held.username)
        d.password = _keyring_password(d, keyring, url, user, Value("prompt"))


def _pdm(d, parser, environ, keyring, path) -> None:
    """pdm publish (src/pdm/cli/commands/publish/): repo PDM_PUBLISH_REPO or `pypi` (a name in
    pdm's config, or a URL); PDM_PUBLISH_USERNAME / PDM_PUBLISH_PASSWORD (a password alone goes
    as __token__); else keyring (URL, username), or with no username the keyring's credential
    for the URL; then Trusted Publishing; then a prompt."""
    repo = environ.get("PDM_PUBLISH_REPO")
    if repo:
        _as(d, "pdm publish")
    else:
        repo = d.name if d.name in ("pypi", "testpypi") else (_target(d) or "pypi")
        _as(d, f"pdm publish -r {repo}")
    url = {"pypi": PYPI, "testpypi": TESTPYPI}.get(repo, repo)
    d.url = Value("env", url, variable="PDM_PUBLISH_REPO") if environ.get("PDM_PUBLISH_REPO") else Value("command", url)
    if "://" not in url:
        d.notes.append(f"pdm takes the URL of {repo!r} from its own configuration (`pdm config repository.{repo}.url`)")
    user, password = environ.get("PDM_PUBLISH_USERNAME"), environ.get("PDM_PUBLISH_PASSWORD")
    if password:
        d.username = Value("env", user, variable="PDM_PUBLISH_USERNAME") if user else Value("forced", TOKEN)
        d.password = secret_value(Value("env", variable="PDM_PUBLISH_PASSWORD"), password)
        return
    d.username = Value("env", user, variable="PDM_PUBLISH_USERNAME") if user else Value("keyring")
    if user:
        d.password = _keyring_password(d, keyring, url, user, Value("trusted-publishing"))
        return
    found = keyring.credential(url)
    if found:
        d.username = Value("keyring", found[0], vault=keyring.from_vault)
        d.password = secret_value(Value("keyring", vault=keyring.from_vault), found[1])
    else:
        d.username, d.password = Value("prompt"), Value("trusted-publishing")


def _flit(d, parser, environ, keyring, path) -> None:
    """flit publish --repository NAME (flit/upload.py get_repository): the URL is FLIT_INDEX_URL
    (not with --repository), else the listed section's `repository =`, else PyPI; username
    FLIT_USERNAME, else the section's; password FLIT_PASSWORD, else the section's, else keyring
    (URL, pypi_token:project:NAME), (URL, pypi_token:user:USER), (URL, USER), else a prompt."""
    _as(d, "flit publish" if environ.get("FLIT_INDEX_URL") else f"flit publish --repository {d.name}")
    listed = d.name in index_servers(parser) if parser.has_section("distutils") else d.name == "pypi"
    section = _section(parser, d.name) if listed else {}
    if environ.get("FLIT_INDEX_URL"):
        d.url = Value("env", environ["FLIT_INDEX_URL"], variable="FLIT_INDEX_URL")
        d.notes.append("FLIT_INDEX_URL is set: run `flit publish` without --repository")
    elif section.get("repository"):
        d.url = Value("pypirc", section["repository"])
    else:
        d.url = Value("builtin", PYPI)
        if d.name != "pypi":
            d.notes.append(f"flit uploads `--repository {d.name}` to PyPI: [{d.name}] in {shown(path)} has no "
                           "`repository =` line (or is not listed)")
    d.username = _env_then_section(environ, "FLIT_USERNAME", section, "username") or Value("prompt")
    d.password = _env_then_section(environ, "FLIT_PASSWORD", section, "password", secret=True)
    if d.password is None:
        d.password = _keyring_password(d, keyring, d.url.value, d.username.value, Value("prompt"))
        d.notes.append("before that, flit asks the keyring for the project's own token "
                       "(pypi_token:project:NAME), which pypicreds keeps for `add --project`")


def _poetry(d, parser, environ, keyring, path) -> None:
    """poetry publish -r NAME (src/poetry/config/config.py, utils/password_manager.py): the URL is
    POETRY_REPOSITORIES_<NAME>_URL or poetry's config (`pypi` is built in); the token
    POETRY_PYPI_TOKEN_<NAME>, else POETRY_HTTP_BASIC_<NAME>_USERNAME/_PASSWORD, else poetry's
    own config or keyring entries (`poetry-repository-NAME`), which pypicreds does not keep."""
    from ..errors import UsageError
    from ..session.variables import poetry_key

    try:
        key = poetry_key(d.name)
    except UsageError as e:
        d.error = e.message
        return
    _as(d, "poetry publish" + ("" if d.name == "pypi" else f" -r {key.lower().replace('_', '-')}"))
    env_url = environ.get(f"POETRY_REPOSITORIES_{key}_URL")
    if d.name == "pypi":
        d.url = Value("builtin", PYPI)
    elif env_url:
        d.url = Value("env", env_url, variable=f"POETRY_REPOSITORIES_{key}_URL")
    else:
        d.url = Value("prompt")
        d.notes.append(f"poetry knows {d.name} only from POETRY_REPOSITORIES_{key}_URL or its own config")
    token = environ.get(f"POETRY_PYPI_TOKEN_{key}")
    if token:
        d.username = Value("forced", TOKEN)
        d.password = secret_value(Value("env", variable=f"POETRY_PYPI_TOKEN_{key}"), token)
    elif environ.get(f"POETRY_HTTP_BASIC_{key}_PASSWORD") is not None:
        d.username = Value("env", environ.get(f"POETRY_HTTP_BASIC_{key}_USERNAME"),
                           variable=f"POETRY_HTTP_BASIC_{key}_USERNAME")
        d.password = secret_value(Value("env", variable=f"POETRY_HTTP_BASIC_{key}_PASSWORD"),
                                  environ[f"POETRY_HTTP_BASIC_{key}_PASSWORD"])
    else:
        d.username, d.password = Value("prompt"), Value("prompt")
        d.notes.append(f"poetry reads tokens from POETRY_PYPI_TOKEN_{key} or its own store: "
                       f"`pypicreds exec {d.name} -- poetry publish` hands it the token")
