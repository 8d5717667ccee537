"""hypothesis strategies for .pypirc files: sections (some indented), options with
continuation lines, comments, blank lines, `[distutils] index-servers` lists, and every
line-ending style, with or without a final newline."""

from __future__ import annotations

from hypothesis import strategies as st

NAMES = st.sampled_from(["pypi", "testpypi", "mine", "a", "b.c", "x_1", "distutils", "server-login"])
KEYS = st.sampled_from(["username", "repository", "ca_cert", "foo", "Some Key", "index-servers", "x"])
VALUES = st.text(alphabet="abc:/=.#; %-_", min_size=0, max_size=12).map(str.strip)
INDENTS = st.sampled_from(["", " ", "  ", "\t", "    "])
SPACES = st.sampled_from(["", " ", "  ", "\t"])


@st.composite
def comment_or_blank(draw):
    kind = draw(st.sampled_from(["#", ";", "blank"]))
    if kind == "blank":
        return draw(st.sampled_from(["", " ", "\t"]))
    return draw(st.sampled_from(["", "  "])) + kind + draw(VALUES)


@st.composite
def option_lines(draw, key):
    indent = draw(INDENTS)
    lines = [f"{indent}{key}{draw(SPACES)}{draw(st.sampled_from(['=', ':']))}{draw(SPACES)}{draw(VALUES)}"]
    for _ in range(draw(st.integers(0, 2))):  # continuation lines, deeper than the key
        lines.append(indent + draw(st.sampled_from([" ", "  ", "\t", "    "])) + (draw(VALUES) or "v"))
    return lines


@st.composite
def index_servers_lines(draw):
    names = draw(st.lists(NAMES.filter(lambda n: n not in ("distutils", "server-login")), max_size=4))
    if draw(st.booleans()):
        return [f"index-servers{draw(SPACES)}={draw(SPACES)}{' '.join(names)}"]
    indent = draw(st.sampled_from(["  ", "    ", "\t"]))
    lines = ["index-servers ="]
    for name in names:
        if draw(st.booleans()):
            lines.append(indent + "# " + draw(VALUES))
        lines.append(indent + name)
    return lines


@st.composite
def pypirc_texts(draw):
    lines = draw(st.lists(comment_or_blank(), max_size=2))
    for section in draw(st.lists(NAMES, unique=True, max_size=5)):
        lines.append(draw(st.sampled_from(["", " "])) + f"[{section}]")
        if section == "distutils" and draw(st.booleans()):
            lines += draw(index_servers_lines())
        for key in draw(st.lists(KEYS.filter(lambda k: k != "index-servers"), unique=True, max_size=3)):
            lines += draw(option_lines(key))
            lines += draw(st.lists(comment_or_blank(), max_size=1))
        lines += draw(st.lists(comment_or_blank(), max_size=2))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r", "mixed"]))
    if newline == "mixed":
        ends = [draw(st.sampled_from(["\n", "\r\n"])) for _ in lines]
    else:
        ends = [newline] * len(lines)
    text = "".join(line + end for line, end in zip(lines, ends))
    if lines and draw(st.booleans()):
        text = text[: -len(ends[-1])]  # no newline at the end of the file
    return text
