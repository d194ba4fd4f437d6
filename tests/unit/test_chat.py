"""Chat: the framed server holds for any text, cuts and hang-ups; the tutorial's handler is caught.

The server runs for real on a loopback port; clients are real sockets. Besides
the scenario's properties: bad input next to good clients, the command line
(serve, client, SIGTERM, Ctrl-C), a real peer (socat) and a load test.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from hypothesis import given

from sut.chat.protocol import MAX_LINE
from sut.cli import main
from sut.engine.invariants import CLEAN_EXIT, NO_HANG
from sut.engine.params import describe_params, parse_params
from sut.scenarios.chat import Params, check, clean_shutdown, max_clients, served, server_alive
from sut.scenarios.chat import search as chat_search
from tests import handmade
from tests.pinned.minima import TUTORIAL_COUNTEREXAMPLES

# --- the checker, on hand-made results -------------------------------------

CLEAN_STOP: dict[str, list[str]] = {"children": [], "fds": []}
RUNNING = {"alive_at_stop": True, "exitcode": 0, "stopped_in": 0.01}


def _served(*clients: int):
    """The server's and the handlers' events of serving ``clients``, one after the other."""
    steps = []
    for i in clients:
        steps += [("server", "accept", {"handler": f"handler {i}"}),
                  (f"handler {i}", "begin", {}), (f"handler {i}", "end", {}),
                  ("server", "reap", {"handler": f"handler {i}", "exitcode": 0})]
    return steps


def _session(*clients, steps=None, max_clients=4, max_line=MAX_LINE, server=None,
             stopped=CLEAN_STOP, statuses=None):
    """A hand-made run: ``clients`` are (sent, received, how it ended)."""
    final = {"clients": [{"port": 40000 + i, "sent": sent.hex(), "received": got.hex(),
                          "end": end} for i, (sent, got, end) in enumerate(clients)],
             "server": server or RUNNING, "stopped": stopped}
    params = Params(messages=tuple(() for _ in clients) or ((),), max_clients=max_clients,
                    max_line=max_line)
    if steps is None:
        steps = _served(*range(len(clients)))
    return handmade.result("chat", params, list(steps), statuses=statuses, final=final)


def _found(session, invariant=None):
    return [(v.invariant, v.detail) for v in check(session)
            if invariant is None or v.invariant == invariant]


def test_check_accepts_every_line_answered_and_the_connection_closed() -> None:
    session = _session((b"hi\n\xc3\xa9\n", b"hi_ok\n\xc3\xa9_ok\n", "eof"),
                       (b"a\nunfinished", b"a_ok\n", "eof"), (b"x\n", b"", "hung-up"))
    assert check(session) == []


def test_check_finds_a_lost_reply_and_an_extra_one() -> None:
    session = _session((b"a\nb\n", b"a_ok\n", "eof"), (b"a\n", b"a_ok\na_ok\n", "eof"),
                       (b"123456789\nc\n", b"ERR line too long (over 8 bytes)\nc_ok\n", "eof"),
                       max_line=8)
    assert _found(session) == [
        ("one-reply-per-line", "client 0 sent 2 lines and got 1 reply: no reply to line 1 'b'"),
        ("one-reply-per-line", "client 1 sent 1 line and got 2 replies"),
        ("one-reply-per-line", "client 2 sent 2 lines, was owed 1 reply, and got 2 replies")]


def test_check_finds_a_reply_that_is_not_its_line_plus_the_suffix() -> None:
    session = _session((b"\n", b"\n_ok", "eof"))
    assert _found(session) == [
        ("intact-replies", "client 0's reply to line 0 '' was '', not '_ok'"),
        ("clean-close", "client 0 got 3 bytes with no line end ('_ok') after its replies")]


def test_check_finds_a_reply_meant_for_another_client() -> None:
    session = _session((b"a\n", b"b_ok\n", "eof"), (b"b\n", b"a_ok\n", "eof"))
    assert _found(session) == [
        ("no-cross-talk", "client 0 got 'b_ok', the reply to client 1's line 0 'b'"),
        ("no-cross-talk", "client 1 got 'a_ok', the reply to client 0's line 0 'a'")]


def test_check_wants_the_server_to_close_the_connection_and_nothing_more() -> None:
    session = _session((b"", b"_ok_ok_ok", "gave-up"), (b"a\n", b"a_ok\n", "reset"),
                       (b"a\n", b"a_ok\n", "timeout"))
    assert _found(session) == [
        ("clean-close", "client 0 was done sending, but the server went on sending "
                        "('_ok_ok_ok', over 256 bytes more than it owed) and never closed the "
                        "connection"),
        ("clean-close", "client 1 was done sending, but the connection was reset instead of "
                        "closed"),
        ("clean-close", "client 2 was done sending, but the server had not closed the "
                        "connection by the deadline")]


def test_check_wants_every_client_served() -> None:
    session = _session((b"", b"", "could not connect: [Errno 111] Connection refused"),
                       (b"", b"", "eof"), steps=[])
    assert _found(session, served.name) == [
        ("served", "client 0 could not connect: [Errno 111] Connection refused"),
        ("served", "client 1 connected but no handler ever took its connection")]


def test_check_reports_a_handler_that_crashed_or_had_to_be_terminated() -> None:
    session = _session((b"", b"", "eof"), (b"", b"", "eof"),
                       statuses={"handler 0": "crashed", "handler 1": "hung"})
    assert _found(session, CLEAN_EXIT) == [
        ("clean-exit", "handler 0 crashed after 'end': ValueError: boom")]
    assert _found(session, NO_HANG) == [
        ("no-hang", "handler 1 hung after 'end' and was stopped at the deadline: it was still "
                    "running when the server shut its connection down")]


def test_check_counts_the_handlers_alive_at_once() -> None:
    overlapping = [("server", "accept", {"handler": "handler 0"}),
                   ("server", "accept", {"handler": "handler 1"}),
                   ("handler 0", "begin", {}), ("handler 1", "begin", {}),
                   ("handler 0", "end", {}), ("handler 1", "crash", {})]
    session = _session((b"", b"", "eof"), (b"", b"", "eof"), steps=overlapping, max_clients=1)
    assert _found(session, max_clients.name) == [
        ("max-clients", "2 handlers alive at once with max_clients=1: handler 0 and handler 1")]
    # A handler killed before its "end" ends when the server reaps it.
    one_after_the_other = [("server", "accept", {"handler": "handler 0"}),
                           ("handler 0", "begin", {}),
                           ("server", "reap", {"handler": "handler 0", "exitcode": -9}),
                           ("server", "accept", {"handler": "handler 1"}),
                           ("handler 1", "begin", {}), ("handler 1", "end", {})]
    session = _session((b"", b"", "eof"), (b"", b"", "eof"), steps=one_after_the_other,
                       max_clients=1)
    assert _found(session, max_clients.name) == []


def test_check_wants_the_server_alive_until_told_to_stop() -> None:
    session = _session((b"", b"", "eof"),
                       server={"alive_at_stop": False, "exitcode": 1, "stopped_in": None})
    assert _found(session, server_alive.name) == [
        ("server-alive", "the server had exited (code 1) before it was told to stop")]


def test_check_wants_nothing_left_after_shutdown() -> None:
    session = _session((b"", b"", "eof"), stopped={
        "children": ["pid 12 python (state Z)"], "fds": ["fd 7 -> socket:[99]"]})
    assert _found(session, clean_shutdown.name) == [
        ("clean-shutdown", "after SIGTERM the server left 1 child process behind: "
                           "pid 12 python (state Z)"),
        ("clean-shutdown", "after SIGTERM the server left 1 open file descriptor behind: "
                           "fd 7 -> socket:[99]")]
    assert _found(_session((b"", b"", "eof"), stopped=None), clean_shutdown.name) == [
        ("clean-shutdown", "the server never reported that it had stopped after SIGTERM")]


# --- params ------------------------------------------------------------------

def test_params_come_as_json_from_the_command_line_and_drop_trailing_defaults() -> None:
    params = parse_params(Params, ['messages=[["h\\u00e9", "\\udcff"], []]', "chunking=[[1], []]",
                                   "disconnects=[null, 0]", "resets=[false, false]"])
    assert params == Params(messages=(("hé", "\udcff"), ()), chunking=((1,),),
                            disconnects=(None, 0))
    assert params.script(1).stop_at == 0


@given(params=chat_search.scripts())
def test_params_are_spelled_as_the_command_line_takes_them_back(params: Params) -> None:
    # What the demo and RACES.md print, a user pastes into `python -m sut run chat`.
    spelled = describe_params(params)
    assert parse_params(Params, shlex.split(spelled)) == params
    assert spelled.isprintable()


def test_params_spell_only_what_differs_from_the_defaults_and_escape_raw_bytes() -> None:
    assert describe_params(Params()) == ""
    assert describe_params(Params(messages=(("é\x80", "\udcff"),), max_clients=1)) == (
        """messages='[["é\\u0080", "\\udcff"]]' max_clients=1""")


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"messages": ()}, "messages must list, for one client or more"),
    ({"messages": "[[1]]"}, "messages: client 0's line 0 must be text, got 1"),
    ({"messages": (("a\nb",),)}, "messages: client 0's line 0 holds a line break"),
    ({"messages": (("\ud800",),)}, "lone surrogate that stands for no byte"),
    ({"messages": "[[", }, "messages must be JSON on the command line"),
    ({"chunking": ((0,),)}, "chunking: client 0 must have a list of send sizes"),
    ({"chunking": ((), (), ())}, "chunking has 3 entries, but there are only 2 clients"),
    ({"disconnects": (99,)}, "disconnects: client 0 sends 13 bytes, so it can stop after 0 to 13"),
    ({"resets": (1,)}, "resets: client 0 must be true or false, got 1"),
    ({"max_clients": 0}, "max_clients must be a whole number >= 1, got 0"),
    ({"max_line": -1}, "max_line must be a whole number >= 1, got -1"),
    ({"suffix": "a\nb"}, "suffix must be text without a line break"),
])
def test_params_name_the_bad_value(kwargs, message) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        Params(**kwargs)


# --- the tutorial's handler is caught --------------------------------------------

RACES = (Path(__file__).resolve().parents[2] / "docs" / "RACES.md").read_text("utf-8")


@pytest.mark.parametrize("bug", list(TUTORIAL_COUNTEREXAMPLES))
def test_the_searches_found_each_pinned_counterexample(bug) -> None:
    # test_races.py checks that RACES.md is what the searches find today.
    params, evidence = TUTORIAL_COUNTEREXAMPLES[bug]
    [row] = [line for line in RACES.splitlines()
             if line.startswith("| `tutorial` | violates | violates | ")
             and line.endswith(f", with {params.arguments()} |")]
    assert set(row.split(" | ")[3].partition(", with")[0].split(" and ")) == set(evidence)


# --- the command line ------------------------------------------------------------


# Each option's bad values, each with the start of the one line that refuses it.
BAD_OPTIONS: dict[str, dict[str, str]] = {
    "--port": {"70000": "--port must be at most 65535, got 70000",
               "x": "--port must be a whole number from 0 to 65535 in digits 0-9, got 'x'",
               "٣": "--port must be a whole number from 0 to 65535 in digits 0-9"},
    "--max-clients": {"0": "--max-clients must be >= 1, got 0",
                      "1_0": "--max-clients must be a whole number from 1 to 1024",
                      "100000": "--max-clients must be at most 1024, got 100000"},
    "--max-line": {"0": "--max-line must be >= 1, got 0",
                   "99999999": "--max-line must be at most 16777216, got 99999999"},
    "--idle-timeout": {"0": "--idle-timeout must be > 0 seconds, got 0",
                       "inf": "--idle-timeout must be > 0 seconds and at most 86400"},
    "--line-timeout": {"1e9": "--line-timeout must be > 0 seconds and at most 86400",
                       "90000": "--line-timeout must be at most 86400 seconds, got 90000"},
    "--suffix": {"x" * 1025: "--suffix must be at most 1024 bytes, got 1025",
                 "a\nb": "--suffix must not hold a line break, got 'a\\nb'",
                 "\udcff": "--suffix must be UTF-8 text, got '\\udcff'"},
    "--variant": {"nosuch": "argument --variant: invalid choice: 'nosuch'"},
    "--log": {"/nonexistent/dir/log": "cannot write the log '/nonexistent/dir/log'"},
    "--host": {"192.0.2.1": "cannot listen on 192.0.2.1:9595: "},
}


@pytest.mark.parametrize(("args", "message"), [
    *(([option, value], message) for option, refused in BAD_OPTIONS.items()
      for value, message in refused.items()),
    (["extra"], "unrecognized arguments: extra"),
])
def test_serve_rejects_bad_input_in_one_line_with_exit_2(capsys, args, message) -> None:
    assert main(["chat", "serve", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"sut: error: {message}"), err
    assert err.count("\n") == 1
