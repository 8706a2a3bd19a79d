"""`room-server`: init, serve, demo, content check and import, print, results, export, verify.

Every failure a user can cause ends with a plain message and exit code 1 or 2, never a
traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path

DEFAULT_PORT = 8765


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:2] == ["content", "check"]:
        from content.check import main as check_main
        return check_main(argv[2:])
    if argv[:2] == ["content", "import"]:
        from content.importers.write import main as import_main
        return import_main(argv[2:])
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return args.run(args) or 0
    except KeyboardInterrupt:
        return 130
    except UserError as exc:
        print(f"room-server: {exc}", file=sys.stderr)
        return 1


class UserError(Exception):
    pass


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="room-server", description="Synaq room server")
    sub = parser.add_subparsers(dest="command")

    init = sub.add_parser("init", help="create a room: its database, the pack, the roster")
    init.add_argument("--data", required=True, help="the room's folder (new or empty)")
    init.add_argument("--roster", required=True, help="the roster: an Excel .xlsx, CSV or Unicode text file")
    init.add_argument("--pack", required=True, action="append", help="a test pack folder (repeat for kk and ru)")
    init.add_argument("--questionnaire", required=True, action="append",
                      help="the analysis centre's questionnaire file, naming its key (repeat for kk and ru)")
    init.add_argument("--school", default="", help="the school's name")
    init.add_argument("--room", default="1", help="the room number")
    init.add_argument("--sitting", default="1", help="the sitting's number (for a room of one sitting)")
    init.add_argument("--stream", type=int, help="make this stream of a day in --data (a day holds several: "
                                                 "grade 4 and grade 9 apart, each with its roster and pack)")
    init.add_argument("--region", default="", help="the school's region code for the analysis centre, e.g. KZ-ALM")
    init.add_argument("--school-bin", default="", help="the school's BIN (12 digits), for the analysis centre")
    init.set_defaults(run=cmd_init)

    serve = sub.add_parser("serve", help="serve the room and advertise it on the LAN")
    _server_args(serve)
    serve.set_defaults(run=cmd_serve)

    demo = sub.add_parser("demo", help="a demo room (grade 9, 30 students, teachers' slips), open at once, served")
    _server_args(demo)
    demo.add_argument("--no-open", action="store_true", help="leave the sitting for the proctor to open")
    demo.add_argument("--streams", type=int, choices=[1, 2], default=1,
                      help="2: a day of two streams, grade 9 then grade 4")
    demo.set_defaults(run=cmd_demo)

    content = sub.add_parser("content", help="content tools: room-server content check PATH... | "
                                              "content import FILE... --to PACK_DIR")
    content.add_argument("action", choices=["check", "import"])
    content.add_argument("paths", nargs="*")

    staff = sub.add_parser("staff", help="teachers' and principals' questionnaire slips (no test, no name)")
    staff.add_argument("--data", required=True, help="the room's folder")
    _stream_arg(staff)
    staff.add_argument("--teachers", type=int, default=0, help="how many teachers' slips to add")
    staff.add_argument("--principals", type=int, default=0, help="how many principals' slips to add")
    staff.add_argument("--questionnaire", action="append", default=[],
                       help="a teacher's or principal's questionnaire from the analysis centre (repeat for kk and ru)")
    staff.set_defaults(run=cmd_staff)

    printing = sub.add_parser("print", help="print slips, staff slips, seating, acts or protocol to a PDF")
    printing.add_argument("what", choices=["slips", "staff", "seating", "acts", "protocol"])
    printing.add_argument("--data", required=True)
    _stream_arg(printing)
    printing.add_argument("--out", required=True)
    printing.add_argument("--browser-address", metavar="HOST:PORT",
                          help="slips: also print where browsers open a seat (the console's Print adds the running "
                               "server's by itself)")
    printing.set_defaults(run=cmd_print)

    export = sub.add_parser("export", help="write the signed results bundle (e.g. to a USB stick)")
    export.add_argument("--data", required=True)
    _stream_arg(export)
    export.add_argument("--to", required=True)
    export.set_defaults(run=cmd_export)

    results = sub.add_parser("results", help="write the results as an Excel workbook (.xlsx)")
    results.add_argument("--data", required=True)
    _stream_arg(results)
    results.add_argument("--out", required=True, help="the .xlsx file to write")
    results.add_argument("--lang", choices=["kk", "ru", "en"], help="the sheet's language (default: the room's)")
    results.set_defaults(run=cmd_results)

    kit = sub.add_parser("kit", help="the offline kit that installs the student app on computers without internet")
    kit.add_argument("--to", required=True, help="a new or empty folder (e.g. on a USB stick)")
    kit.add_argument("--wheels", help="a folder of wheels to build from instead of the package registry")
    kit.add_argument("--target", action="append", choices=["windows", "linux"], help="only this system (repeat)")
    kit.add_argument("--python", action="append", choices=["3.11", "3.12", "3.13"], help="only this Python (repeat)")
    kit.set_defaults(run=cmd_kit)

    verify = sub.add_parser("verify", help="check a results bundle against its manifest and signature")
    verify.add_argument("bundle")
    verify.add_argument("--fingerprint", action="append", default=[],
                        help="the room key the bundle must be signed with, as printed on the protocol (repeatable)")
    verify.add_argument("--keys", help="a file of the expected room keys, one fingerprint a line")
    verify.set_defaults(run=cmd_verify)
    return parser


def _stream_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stream", type=int, help="in a day of streams: which one (default: the live one)")


def _server_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", required=True, help="the room's folder")
    parser.add_argument("--host", default="0.0.0.0", help="the address to listen on (default: every interface)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--no-zeroconf", action="store_true", help="do not advertise (typed address only)")
    parser.add_argument("--no-browser", action="store_true",
                        help="do not serve the student app to browsers at http://HOST:PORT/")
    parser.add_argument("--max-browser-seats", type=int, default=None,
                        help="browser seats at once (default: the roster plus a fifth, at least 5 more)")


def cmd_init(args) -> int:
    from content.model import Problem  # noqa: F401  (content loads before the room is made)
    from .newroom import SetupError, init_room
    from .roster import RosterError

    def show(roster) -> None:
        print(f"Roster {args.roster}: {roster.source}, {len(roster.rows)} students. Columns understood:")
        for line in roster.columns:
            print(f"  {line}")

    try:
        room = asyncio.run(init_room(args.data, args.roster, args.pack, questionnaire_paths=args.questionnaire,
                                     school=args.school, room=args.room, sitting=args.sitting, stream=args.stream,
                                     region=args.region, school_bin=args.school_bin, on_roster=show))
    except RosterError as exc:
        if exc.columns:
            print(f"Roster {exc.path}: columns understood:", file=sys.stderr)
            for line in exc.columns:
                print(f"  {line}", file=sys.stderr)
        print(f"room-server: the roster {exc.path} is refused; nothing was imported:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    except SetupError as exc:
        raise UserError(str(exc)) from None
    print(f"Room created in {room.data_dir}: {room.students} students.")
    print(f"Login slips: {room.data_dir / 'login-slips.csv'} (print them with 'room-server print slips').")
    print(f"Proctor key: {room.proctor_key}")
    return 0


def cmd_staff(args) -> int:
    from .newroom import STAFF_SLIPS_FILE, SetupError, add_staff

    try:
        slips = asyncio.run(add_staff(_check_room(args.data, args.stream), teachers=args.teachers,
                                      principals=args.principals, questionnaire_paths=args.questionnaire))
    except SetupError as exc:
        raise UserError(str(exc)) from None
    if slips:
        print(f"Added {len(slips)} slips: " + ", ".join(s["login"] for s in slips) + ".")
        print(f"Their passwords are in {Path(args.data) / STAFF_SLIPS_FILE}; print the slips with "
              f"'room-server print staff --data {args.data} --out staff-slips.pdf'.")
    else:
        print("Questionnaires added; no slips (use --teachers N, --principals N).")
    return 0


def _check_room(data: str, stream: int | None = None) -> Path:
    """The room a command works on: the folder, or the stream of a day (room_server.day)."""
    from .day import DayError, room_folder
    try:
        return room_folder(data, stream)
    except DayError as exc:
        raise UserError(str(exc)) from None


def cmd_serve(args) -> int:
    from .newroom import make_private
    _check_room(args.data)  # a room, or a day of streams (the live one is served)
    data = Path(args.data)
    os.umask(0o077)  # whatever the server writes (the database's files, prints, exports) is the owner's
    make_private(data)
    return asyncio.run(serve(data, args.host, args.port, zeroconf=not args.no_zeroconf,
                             browser=not args.no_browser, max_seats=args.max_browser_seats))


def seat_options(host: str, port: int, max_seats: int | None = None):
    """Browser seats' processes run here and reach the room over loopback (or the one address bound)."""
    from .seats.web import SeatOptions
    local = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host
    changes = {"max_seats": max_seats} if max_seats else {}
    return SeatOptions(room_address=f"[{local}]:{port}" if ":" in local else f"{local}:{port}", limit_changes=changes)


async def serve(data_dir: Path, host: str, port: int, *, zeroconf: bool = True, ready=None,
                browser: bool = True, max_seats: int | None = None) -> int:
    from aiohttp import web

    from .app import SERVED, create_app
    from .discovery import Advertiser, room_addresses
    from .newroom import read_proctor_key

    addresses = room_addresses(host, port)
    app = create_app(data_dir, addresses[0], seats=seat_options(host, port, max_seats) if browser else None)
    runner = web.AppRunner(app, handle_signals=False)
    try:
        await runner.setup()
    except Exception as exc:
        raise UserError(f"the room in {data_dir} cannot be opened: {exc}") from None
    site = web.TCPSite(runner, host, port, reuse_address=True)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        raise UserError(f"cannot listen on {host}:{port} ({exc.strerror}); is another server running? try --port") from None
    room = app[SERVED].room
    advertiser = None
    if zeroconf:
        advertiser = Advertiser(host, port, {"school": room.meta.get("school", ""), "room": room.meta.get("room", ""),
                                             "grade": room.meta.get("grade", ""), "sitting": room.meta.get("sitting", "")})
        try:
            await advertiser.start()
        except Exception as exc:  # multicast may be unavailable: the typed address still works
            print(f"Zeroconf is not available here ({exc}); students type the address.", flush=True)
            advertiser = None
    print(f"Synaq room server: school {room.meta.get('school') or '-'}, room {room.meta.get('room')}, "
          f"grade {room.meta.get('grade')}, {len(room.students)} students.", flush=True)
    print("Students connect to: " + "  ".join(addresses), flush=True)
    if browser:
        from .seats.web import page_url
        print("Browser seats open: " + "  ".join(page_url(address) for address in addresses), flush=True)
    print(f"Proctor key: {read_proctor_key(data_dir)}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # Windows
            pass
    if ready is not None:
        ready.set()
    try:
        await stop.wait()
    finally:
        if advertiser is not None:
            await advertiser.stop()
        await runner.cleanup()
    return 0


def cmd_demo(args) -> int:
    from .demo import make_demo_room
    from .newroom import SetupError

    data = Path(args.data)
    try:
        asyncio.run(make_demo_room(data, open_sitting=not args.no_open, streams=args.streams))
    except SetupError as exc:
        raise UserError(str(exc)) from None
    print(f"Demo logins: {data / 'demo-logins.csv'}", flush=True)
    print(f"Questionnaires are sealed to a trial centre key; its private key is {data / 'demo-centre' / 'centre.key'}",
          flush=True)
    return asyncio.run(serve(data, args.host, args.port, zeroconf=not args.no_zeroconf, browser=not args.no_browser,
                             max_seats=args.max_browser_seats))


def cmd_print(args) -> int:
    from . import paperwork
    browser_url = ""
    if args.browser_address:
        from .seats.web import page_url
        try:
            browser_url = page_url(args.browser_address)
        except ValueError as exc:
            raise UserError(f"--browser-address: {exc}") from None
    return paperwork.cli_print(_check_room(args.data, args.stream), args.what, Path(args.out), browser_url=browser_url)


def cmd_export(args) -> int:
    from . import paperwork
    return paperwork.cli_export(_check_room(args.data, args.stream), Path(args.to))


def cmd_results(args) -> int:
    from . import paperwork
    return paperwork.cli_results(_check_room(args.data, args.stream), Path(args.out), args.lang)


def cmd_kit(args) -> int:
    from .kit import cli_kit
    return cli_kit(Path(args.to), Path(args.wheels) if args.wheels else None, args.target, args.python)


def cmd_verify(args) -> int:
    from . import paperwork
    return paperwork.cli_verify(Path(args.bundle), fingerprints=args.fingerprint, keys_file=args.keys)


if __name__ == "__main__":
    sys.exit(main())
