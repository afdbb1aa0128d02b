"""The command language: words with quotes, every command parsed and written back, and a
clear reason for each bad line."""

from __future__ import annotations

import shlex

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.ui.graph.commands import (
    AddLink,
    AddNode,
    CommandError,
    DelAll,
    DelLink,
    DelNode,
    Freeze,
    GetAll,
    GetName,
    SetLinkLabel,
    Unfreeze,
    UpdateName,
    format_command,
    parse,
    parse_line,
    quote,
    split,
)

words = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\x00"),
                max_size=20)
ids = words.filter(bool)


def test_plain_and_quoted_words():
    assert split('ADD NODE greet "Hello there!" auto -') == [
        "ADD", "NODE", "greet", "Hello there!", "auto", "-"]
    assert split("ADD NODE 'a b' 'it''s'") == ["ADD", "NODE", "a b", "its"]
    assert split(r'ADD NODE x "say \"hi\"\n" y') == ["ADD", "NODE", "x", 'say "hi"\n', "y"]
    assert split("  spaced   out  ") == ["spaced", "out"]


@pytest.mark.parametrize("line", ['ADD NODE "open', "ADD NODE 'open", "ADD NODE x\\"])
def test_an_unbalanced_quote_is_an_error(line):
    with pytest.raises(CommandError, match="unbalanced quote"):
        split(line)


@given(words)
def test_quote_reads_back_as_itself(word):
    assert split(f"A {quote(word)} B") == ["A", word, "B"]


@given(words.filter(lambda w: "\n" not in w))
def test_what_shlex_quote_writes_reads_back(word):  # the Introspector quotes with shlex
    assert split(f"A {shlex.quote(word)} B") == ["A", word, "B"]


@pytest.mark.parametrize("line, command", [
    ("ADD NODE a A auto -", AddNode("a", "A", "auto", "-")),
    ("add node a A", AddNode("a", "A", "auto", "-")),
    ("ADD NODE a A randompos square", AddNode("a", "A", "randompos", "square")),
    ("ADD NODE a A 10,-20.5 component", AddNode("a", "A", (10.0, -20.5), "component")),
    ("DEL NODE a", DelNode("a")),
    ("ADD LINK a b", AddLink("a", "b")),
    ("DEL LINK a b", DelLink("a", "b")),
    ("DEL ALL", DelAll()),
    ("GET ALL", GetAll()),
    ("UPDATE_NAME NODE a 'new name'", UpdateName("a", "new name")),
    ("GET_NAME NODE a", GetName("a")),
    ("FREEZE ALL", Freeze()),
    ("UNFREEZE ALL", Unfreeze()),
    ("UPDATE_NAME LINK a b 1234", SetLinkLabel("a", "b", "1234")),
])
def test_every_command(line, command):
    assert parse_line(line) == command
    assert parse_line(format_command(command)) == command
    assert parse(split(line)) == command  # as a token list


@pytest.mark.parametrize("line", ["", "   ", "# a comment", "  #ADD NODE a A"])
def test_blank_lines_and_comments_are_no_command(line):
    assert parse_line(line) is None


@pytest.mark.parametrize("line, reason", [
    ("FOO", "unknown command 'FOO'"),
    ("ADD", "usage: ADD NODE <id> <name> [<pos> [<type>]] | ADD LINK <from> <to>"),
    ("ADD NODE a", "usage: ADD NODE"),
    ("ADD NODE a b c d e", "usage: ADD NODE"),
    ("ADD NODE a b 10 -", "bad position '10'"),
    ("ADD NODE a b 1,x -", "bad position '1,x'"),
    ("ADD NODE a b inf,0 -", "must be finite"),
    ("ADD NODE '' b", "an empty id"),
    ("DEL LINK a", "usage: DEL LINK <from> <to>"),
    ("GET ALL now", "usage: GET ALL"),
    ("FREEZE", "usage: FREEZE ALL"),
    ("UPDATE_NAME THING a b", "usage: UPDATE_NAME NODE"),
])
def test_a_bad_line_says_what_is_wrong(line, reason):
    with pytest.raises(CommandError) as info:
        parse_line(line)
    assert reason in str(info.value)


@given(ids, words, st.sampled_from(["auto", "randompos"]) | st.tuples(
    st.floats(-1e6, 1e6), st.floats(-1e6, 1e6)), ids)
def test_add_node_round_trips_through_a_line(node, name, pos, type_name):
    cmd = AddNode(node, name, pos, type_name)
    assert parse_line(format_command(cmd)) == cmd
