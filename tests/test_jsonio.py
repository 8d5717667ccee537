"""jsonio reads and writes exactly what the json package does, without importing it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pypicreds import jsonio

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
                    st.text())
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=5),
                                                       st.dictionaries(st.text(max_size=8), inner, max_size=5)),
                      max_leaves=30)


@settings(max_examples=400)
@given(value=values, indent=st.sampled_from([None, 2]), ascii_only=st.booleans())
def test_loads_reads_what_json_writes(value, indent, ascii_only):
    text = json.dumps(value, indent=indent, ensure_ascii=ascii_only)
    assert jsonio.loads(text) == json.loads(text)
    assert jsonio.loads(("\n " + text + " \n").encode()) == json.loads(text)


@settings(max_examples=400)
@given(value=values)
def test_canonical_is_json_dumps_sorted_compact_ascii(value):
    assert jsonio.canonical(value) == json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


@pytest.mark.parametrize("text", ["", "{", '{"a": 1} x', "[1,]", "NaN", "[Infinity]", '{"a": -Infinity}',
                                  "\ufeff{}", "{'a': 1}", '"\x01"', "01"])
def test_what_json_refuses_loads_refuses(text):
    with pytest.raises(ValueError):
        jsonio.loads(text)


def test_duplicate_keys_reach_the_pairs_hook():
    pairs = []
    jsonio.loads('{"a": 1, "a": 2}', pairs_hook=lambda p: pairs.append(p) or dict(p))
    assert pairs == [[("a", 1), ("a", 2)]]


def test_importing_and_using_it_imports_no_json_re_or_enum():
    code = ("import sys; from pypicreds import jsonio; jsonio.loads('{\"a\": [1]}'); jsonio.canonical({'b': 1});"
            "print(sorted({'json', 're', 'enum'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_broken_documents_are_refused_in_a_process_that_never_imported_json():
    """_json reports errors through json.decoder, found only when imported: the error path
    must still give a ValueError (a truncated vault or index is damage, not a crash)."""
    code = ("from pypicreds import jsonio\n"
            "for text in ['{\"a\": [1, 2', '{\"a\"', '[', '{\"a\": \"x', '{\"a\": tru']:\n"
            "    try:\n        jsonio.loads(text)\n    except ValueError:\n        pass\n"
            "    else:\n        raise SystemExit('accepted: ' + text)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
