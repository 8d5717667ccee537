#!/usr/bin/env bash
# The project's one test command: `bash tests/run.sh [pytest args]`.
# Sets up what the tests need (system packages, .venv, an editable install), skipping
# whatever is already in place, then runs pytest on 2 workers and exits with its code.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf 'tests/run.sh: %s\n' "$*" >&2; }

# --- system packages: the real parts the tests start (Secret Service, D-Bus, shells) ---
missing=()
have() { command -v "$1" >/dev/null 2>&1; }
have gnome-keyring-daemon || missing+=(gnome-keyring)
have dbus-daemon || missing+=(dbus-daemon)
have dbus-send || missing+=(dbus-bin)
have zsh || missing+=(zsh)
have fish || missing+=(fish)
have python3 || missing+=(python3)
[ -x /usr/bin/time ] || missing+=(time)  # the benchmark's peak memory
if [ ! -x .venv/bin/python ] && ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
    missing+=(python3-venv)
fi
if ((${#missing[@]})); then
    sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        have sudo || { say "need root (or sudo) to install: ${missing[*]}"; exit 1; }
        sudo=(sudo)
    fi
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq </dev/null >/dev/null
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null >/dev/null
fi

# --- the virtualenv and an editable install, redone only when pyproject.toml changes ---
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
if [ ! -x .venv/bin/python ]; then
    say "creating .venv"
    python3 -m venv .venv
    # a current pip, as pipx and uv users have: the pip a venv bundles (23 here) writes console
    # scripts that import `re`, 5 ms of every `pypicreds` run the benchmark would then measure
    .venv/bin/python -m pip install -q --upgrade pip </dev/null
fi
stamp=.venv/.pypicreds-install-stamp
want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ ! -x .venv/bin/pypicreds ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    say "installing pypicreds and its test dependencies into .venv"
    .venv/bin/python -m pip install -q -e ".[test]" </dev/null
    printf '%s\n' "$want" >"$stamp"
fi

# --- the publishers, in an environment of their own (as on users' machines): twine, hatch, pdm,
# flit, uv, poetry and keyring, with pypicreds installed beside them from this tree, so that
# their keyring finds pypicreds' backend (tests/test_publishers.py). pdm 2.29 needs hishel < 2.
# Redone when pyproject.toml or this list changes.
publishers=(twine hatch pdm 'hishel[httpx2]>=1.4,<2' flit uv poetry keyring)
pstamp=.venv-publishers/.pypicreds-install-stamp
pwant="$(printf '%s\n' "$want" "${publishers[@]}" | sha256sum | cut -d' ' -f1)"
if [ ! -x .venv-publishers/bin/python ] || [ "$(cat "$pstamp" 2>/dev/null)" != "$pwant" ]; then
    say "installing twine, hatch, pdm, flit, uv, poetry and pypicreds into .venv-publishers"
    if [ ! -x .venv-publishers/bin/python ]; then
        python3 -m venv .venv-publishers
        .venv-publishers/bin/python -m pip install -q --upgrade pip </dev/null
    fi
    .venv-publishers/bin/python -m pip install -q "${publishers[@]}" -e . </dev/null
    printf '%s\n' "$pwant" >"$pstamp"
fi

# --- the tests ---
rc=0
.venv/bin/python -m pytest -n 2 "$@" </dev/null || rc=$?
if [ "$rc" -eq 5 ]; then
    say "pytest collected no tests: counting that as a failure"
    exit 1
fi
[ "$rc" -eq 0 ] || exit "$rc"

# --- the start-up budgets, doubled to absorb a shared machine's noise (the README has the real ones) ---
say "benchmark (budgets doubled)"
.venv/bin/python tests/bench/bench.py --rounds 15 --upload-rounds 8 --slack 2 </dev/null
