"""The `rapport` command: set up the database, import the catalogue, export or erase a profile."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from profile_store.db import make_engine, make_sessionmaker, migrate
from profile_store.export import export_customer
from profile_store.repository import erase_customer, find_customer, upsert_catalogue
from rapport.settings import Settings


def _sessionmaker(settings: Settings) -> sessionmaker[Session]:
    return make_sessionmaker(make_engine(settings.database_url))


def cmd_migrate(settings: Settings, _args: argparse.Namespace) -> int:
    migrate(settings.database_url)
    print(f"database is up to date ({_safe_url(settings.database_url)})")
    return 0


def cmd_catalogue_import(settings: Settings, args: argparse.Namespace) -> int:
    from offers.catalogue import CatalogueError, load_catalogue

    path = Path(args.path or settings.catalogue_path)
    try:
        catalogue = load_catalogue(path)
    except FileNotFoundError:
        print(f"error: catalogue file not found: {path}", file=sys.stderr)
        return 2
    except CatalogueError as exc:
        print(
            f"error: {path} has {len(exc.problems)} problem(s); nothing was imported:",
            file=sys.stderr,
        )
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        return 2
    with _sessionmaker(settings).begin() as session:
        counts = upsert_catalogue(
            session,
            (asdict(p) for p in catalogue.products),
            (asdict(o) for o in catalogue.offers),
        )
    print(
        f"imported {path.name}: products {counts['products_created']} new, "
        f"{counts['products_updated']} updated, {counts['products_unchanged']} unchanged; "
        f"offers {counts['offers_created']} new, {counts['offers_updated']} updated, "
        f"{counts['offers_unchanged']} unchanged"
    )
    return 0


def cmd_setup(settings: Settings, args: argparse.Namespace) -> int:
    return cmd_migrate(settings, args) or cmd_catalogue_import(settings, args)


def cmd_profile_export(settings: Settings, args: argparse.Namespace) -> int:
    with _sessionmaker(settings).begin() as session:
        customer = find_customer(session, args.ref)
        if customer is None:
            print(
                f"error: no customer matches {args.ref!r} (give an id or channel:address)",
                file=sys.stderr,
            )
            return 1
        document = export_customer(session, customer.id)
    text = json.dumps(document, indent=2, ensure_ascii=False)
    if args.output:
        Path(args.output).write_text(text + "\n", encoding="utf-8")
        print(f"wrote {args.output}")
    else:
        print(text)
    return 0


def cmd_profile_erase(settings: Settings, args: argparse.Namespace) -> int:
    if not args.yes:
        print("error: erasing a customer cannot be undone; add --yes to confirm", file=sys.stderr)
        return 2
    with _sessionmaker(settings).begin() as session:
        customer = find_customer(session, args.ref)
        if customer is None:
            print(f"error: no customer matches {args.ref!r}", file=sys.stderr)
            return 1
        erase_customer(session, customer.id)
    print(f"erased customer {customer.id} and everything stored about them")
    return 0


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rapport", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("migrate", help="bring the database schema up to date").set_defaults(
        func=cmd_migrate
    )
    setup = sub.add_parser("setup", help="migrate, then import the catalogue")
    setup.add_argument("path", nargs="?", help="catalogue file (default: the demo catalogue)")
    setup.set_defaults(func=cmd_setup)

    catalogue = sub.add_parser("catalogue", help="the product and offer catalogue")
    catalogue_sub = catalogue.add_subparsers(dest="action", required=True)
    imp = catalogue_sub.add_parser("import", help="import or update products and offers")
    imp.add_argument("path", nargs="?", help="a .yml/.yaml or .csv file (default: demo)")
    imp.set_defaults(func=cmd_catalogue_import)

    profile = sub.add_parser("profile", help="one customer's profile")
    profile_sub = profile.add_subparsers(dest="action", required=True)
    exp = profile_sub.add_parser("export", help="print the JSON export of a customer")
    exp.add_argument("ref", help="customer id, or channel:address (e.g. whatsapp:+33612345678)")
    exp.add_argument("-o", "--output", help="write to this file instead of stdout")
    exp.set_defaults(func=cmd_profile_export)
    erase = profile_sub.add_parser("erase", help="erase a customer and all their data")
    erase.add_argument("ref")
    erase.add_argument("--yes", action="store_true", help="confirm the erasure")
    erase.set_defaults(func=cmd_profile_erase)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(Settings.from_env(), args))


if __name__ == "__main__":
    sys.exit(main())
