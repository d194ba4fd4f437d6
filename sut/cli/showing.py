"""``python -m sut demo`` and ``python -m sut races``: every race the tool finds, shown on
the terminal (and drawn), or written down as docs/RACES.md and its pictures.

Both search (Hypothesis): the report modules are imported when one of them runs,
not with the command line."""

from __future__ import annotations

import argparse
import os

from sut.cli.common import (
    EXIT_HELD,
    Command,
    UsageError,
    check_writable,
    check_writable_folder,
    emit,
    exit_code,
    note,
    start_method_option,
    write_all,
    write_whole,
)
from sut.drive import catalogue


def _demo_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("scenarios", nargs="*", metavar="SCENARIO",
                         help="scenarios to show (default: every one)")
    start_method_option(command)
    command.add_argument("--svg", metavar="PATH",
                         help="also draw every race found, as one SVG picture, to PATH")


def _demo(args: argparse.Namespace) -> int:
    for name in args.scenarios:  # an unknown one refused, with the known ones, at once
        catalogue.get(name)
    if args.svg is not None:
        check_writable(args.svg)  # before the searches (and their imports), not after
    from sut.report import demo
    from sut.report.picture import svg

    verdicts = demo.show(args.scenarios, start_method=args.start_method, say=emit,
                         progress=note)
    drawings = [verdict.broken for verdict in verdicts if verdict.broken is not None]
    if args.svg is not None:
        write_whole(args.svg, svg(drawings))
        note(f"drew {len(drawings)} races to {args.svg}")
    return exit_code(not all(verdict.as_expected for verdict in verdicts))


def _races_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--out", default="docs", metavar="DIR",
                         help="the folder to write RACES.md and races/*.svg in "
                              "(default: %(default)s)")
    start_method_option(command)


def _check_races_folders(out: str, pictures: str) -> None:
    """Refuse ``out``, or the pictures' folder in it, before the searches (a minute), not
    after: each must be a folder a file can be made in (the pictures' folder may be
    missing: it is made when written)."""
    check_writable_folder(out)
    if os.path.lexists(pictures):
        check_writable_folder(pictures)


def _make_folder(folder: str) -> None:
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot write in {folder!r}: {exc.strerror or exc}") from None


def _races(args: argparse.Namespace) -> int:
    from sut.report import races

    pictures = os.path.join(args.out, races.PICTURES)
    _check_races_folders(args.out, pictures)
    files = races.document(start_method=args.start_method, progress=note)
    _make_folder(pictures)
    write_all({os.path.join(args.out, name): text for name, text in files.items()})
    emit(f"wrote {', '.join(sorted(files))} in {args.out}")
    return EXIT_HELD


DEMO = Command("demo", "every race, drawn: each broken variant's minimal counterexample, and "
                       "each correct variant holding (in every interleaving, or on every input "
                       "that broke its siblings and more)", _demo_options, _demo)
RACES = Command("races", "write docs/RACES.md and its pictures from what the tool finds",
                _races_options, _races)
