"""`synaq-centre`: keys, questionnaires, ingest, compact, stats, report, simulate.

Every failure a user can cause ends with a plain message and exit code 1 or 2, never a
traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


class UserError(Exception):
    pass


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    from .dataset import DatasetError
    from .itembank import ItemBankError
    from .keys import CentreKeyError
    from .figures import ReportError
    from .questionnaires import QuestionnairesError
    from room_server.bundle_verify import KeysFileError
    try:
        return args.run(args) or 0
    except KeyboardInterrupt:
        return 130
    except (UserError, DatasetError, ItemBankError, CentreKeyError, ReportError, QuestionnairesError,
            KeysFileError) as exc:
        print(f"synaq-centre: {exc}", file=sys.stderr)
        return 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="synaq-centre", description="Synaq analysis centre: bundles in, "
                                     "a national dataset, item analysis and feedback out")
    sub = parser.add_subparsers(dest="command")

    keys = sub.add_parser("keys", help="the centre's key pair")
    keys_sub = keys.add_subparsers(dest="action")
    new = keys_sub.add_parser("new", help="make the centre's X25519 key pair")
    new.add_argument("--dir", default="centre-key", help="folder for centre.key (0600) and centre.pub")
    new.set_defaults(run=cmd_keys_new)

    quest = sub.add_parser("questionnaires", help="the shipped questionnaires naming the centre's key, for the schools")
    quest.add_argument("--key", required=True, help="the centre's public key (centre.pub)")
    quest.add_argument("--out", required=True, help="folder for the questionnaire files (new or empty)")
    quest.set_defaults(run=cmd_questionnaires)

    ingest = sub.add_parser("ingest", help="verify bundles and add them to the dataset")
    ingest.add_argument("paths", nargs="+", help="bundle folders, sticks, or folders of sticks")
    _dataset_arg(ingest)
    ingest.add_argument("--key", required=True,
                        help="the centre's private key (centre.key): the bundles' personal files and questionnaire "
                             "responses are sealed to it")
    ingest.add_argument("--keys", help="a file of the registered room keys, one fingerprint a line (as "
                                       "'room-server verify --keys'): a bundle signed by any other key is refused")
    ingest.add_argument("--region", help="region code of these bundles (e.g. KZ-ALM) when they do not name one")
    ingest.add_argument("--packs", nargs="*", help="the test packs of the item bank (default: the packs Synaq ships)")
    ingest.add_argument("--quiet", action="store_true", help="no progress bar")
    ingest.add_argument("--jobs", type=int, default=None, help="processes reading bundles (default: one per core)")
    ingest.set_defaults(run=cmd_ingest)

    compact = sub.add_parser("compact", help="merge small files in every partition")
    _dataset_arg(compact)
    compact.set_defaults(run=cmd_compact)

    stats = sub.add_parser("stats", help="item analysis: Parquet tables and a PDF item report")
    _dataset_arg(stats)
    stats.add_argument("--out", help="folder for the results (default: DATASET/_stats)")
    stats.add_argument("--year", type=int, help="only this year")
    stats.set_defaults(run=cmd_stats)

    report = sub.add_parser("report", help="feedback PDFs: per school, per class, per student")
    _dataset_arg(report)
    report.add_argument("--out", required=True, help="folder for the reports, one folder per school")
    report.add_argument("--year", type=int, help="only this year (default: the latest)")
    report.add_argument("--school", action="append", help="only this school id (repeat)")
    report.add_argument("--min-group", type=int, default=None, help="smallest group shown (default 10)")
    report.add_argument("--jobs", type=int, default=None, help="processes drawing the PDFs (default: one per core)")
    report.set_defaults(run=cmd_report)

    sim = sub.add_parser("simulate", help="signed bundles of simulated schools, written by the room's bundle writer")
    sim.add_argument("--out", required=True, help="folder for the bundles (one folder per region)")
    sim.add_argument("--schools", type=int, default=10, help="how many schools")
    sim.add_argument("--seed", type=int, default=1)
    sim.add_argument("--year", type=int, default=2027)
    sim.add_argument("--grades", type=int, nargs="+", default=[4, 9], choices=[4, 9], help="the grades to simulate")
    sim.add_argument("--dif-item", default="A-m2", help="an item made harder in the Russian form (none: --dif-item '')")
    sim.add_argument("--centre-key", help="the centre's public key (centre.pub) to seal to "
                                          "(default: a new key pair in OUT/centre-key)")
    sim.set_defaults(run=cmd_simulate)
    return parser


def _dataset_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dataset", required=True, help="the dataset's folder")


def cmd_keys_new(args) -> int:
    from .keys import PRIVATE_FILE, PUBLIC_FILE, new_key_pair
    key = new_key_pair(Path(args.dir))
    print(f"The centre's key pair is in {args.dir}:")
    print(f"  {PRIVATE_FILE}  private (readable by you only): keep it at the centre, back it up offline")
    print(f"  {PUBLIC_FILE}  public: the questionnaires name it "
          f"(synaq-centre questionnaires --key {Path(args.dir) / PUBLIC_FILE} --out DIR)")
    print(f"Fingerprint: {key.for_paper}")
    print("Rooms print this fingerprint on their protocol: a coordinator compares it on paper.")
    return 0


def cmd_questionnaires(args) -> int:
    from .keys import load_public
    from .questionnaires import write_questionnaires
    key = load_public(Path(args.key))
    written = write_questionnaires(key, Path(args.out))
    print(f"{len(written)} questionnaires naming the centre's key {key.for_paper} written to {args.out}:")
    for path in written:
        print(f"  {path.name}")
    print("Send them to the schools: room-server init ... --questionnaire FILE (one per language).")
    return 0


def cmd_ingest(args) -> int:
    from .dataset import Dataset
    from .ingest import ADDED, ALREADY, REFUSED, ingest
    from .itembank import ItemBank
    from .keys import load_key
    from .regions import is_region
    if args.region and not is_region(args.region.upper()):
        raise UserError(f"--region {args.region}: not a region code (e.g. KZ-ALM; see docs/dataset.md)")
    from room_server.bundle_verify import read_keys_file
    key = load_key(Path(args.key))
    rooms = read_keys_file(Path(args.keys)) if args.keys else None
    bank = ItemBank.load(args.packs)
    report = ingest(args.paths, Dataset(args.dataset), bank, key=key, region=args.region, room_keys=rooms,
                    progress=not args.quiet, jobs=args.jobs)
    for o in report.outcomes:
        if o.status != ADDED:
            print(f"{o.status}: {o.path}: {o.reason}", file=sys.stderr if o.status == REFUSED else sys.stdout)
        elif o.reason:  # added, with a note (questionnaire responses set aside)
            print(f"note: {o.path}: {o.reason}")
    added = report.count(ADDED)
    rate = f", {added / report.seconds:.1f} bundles/s" if report.seconds and added else ""
    print(f"{added} bundles added ({report.students} students), {report.count(ALREADY)} already in the dataset, "
          f"{report.count(REFUSED)} refused{rate}.")
    if report.refused:
        print(f"The refused bundles are listed in {Path(args.dataset) / 'quarantine.csv'}.", file=sys.stderr)
    return 1 if report.refused else 0


def cmd_compact(args) -> int:
    from .dataset import Dataset
    dataset = Dataset(args.dataset)
    with dataset.writer():
        merged = dataset.compact()
    print(f"{merged} small files merged.")
    return 0


def cmd_stats(args) -> int:
    from .item_analysis import run_stats
    if not any((Path(args.dataset) / "responses").rglob("*.parquet")):
        raise UserError(f"{args.dataset} holds no responses yet: ingest some bundles first")
    out = run_stats(Path(args.dataset), Path(args.out) if args.out else None, year=args.year)
    print(f"Item analysis written to {out}.")
    return 0


def cmd_report(args) -> int:
    from .report import run_reports
    if args.min_group is not None and args.min_group < 1:
        raise UserError("--min-group must be 1 or more")
    written = run_reports(Path(args.dataset), Path(args.out), year=args.year, schools=args.school,
                          min_group=args.min_group, jobs=args.jobs)
    print(f"Reports for {written} schools written to {args.out}.")
    return 0


def cmd_simulate(args) -> int:
    from .keys import PRIVATE_FILE, PUBLIC_FILE, load_public, new_key_pair
    from .simulate import KEY_DIR, simulate_bundles
    out = Path(args.out)
    made_here = out / KEY_DIR
    if args.centre_key:
        key, private = load_public(Path(args.centre_key)), "CENTRE.KEY"
    else:  # a key pair of its own, kept beside the bundles (and used again by a second run)
        key = load_public(made_here) if (made_here / PUBLIC_FILE).exists() else new_key_pair(made_here)
        private = str(made_here / PRIVATE_FILE)
    made = simulate_bundles(out, schools=args.schools, seed=args.seed, year=args.year,
                            dif_item=args.dif_item or None, grades=tuple(args.grades), centre_key=key.public)
    print(f"{made.bundles} bundles ({made.students} students) sealed to {key.for_paper} written to {args.out}.")
    print(f"Ingest them: synaq-centre ingest {args.out} --dataset DATASET --key {private}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
