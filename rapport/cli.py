"""The `rapport` command: run the assistant, set up the database, import the catalogue, export
or erase a profile, prune old transcripts."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from profile_store.audit import AuditAction, record_access
from profile_store.db import ensure_database, make_engine, make_sessionmaker, migrate
from profile_store.export import export_customer
from profile_store.repository import find_customer, upsert_catalogue
from rapport.settings import Settings


def _sessionmaker(settings: Settings) -> sessionmaker[Session]:
    return make_sessionmaker(make_engine(settings.database_url))


def cmd_migrate(settings: Settings, _args: argparse.Namespace) -> int:
    for url in (settings.database_url, settings.tracker_db_url):
        if ensure_database(url):
            print(f"created the database {_safe_url(url)}")
    migrate(settings.database_url)
    print(f"database is up to date ({_safe_url(settings.database_url)})")
    return 0


def cmd_catalogue_import(settings: Settings, args: argparse.Namespace) -> int:
    from offers.catalogue import CatalogueError, load_catalogue

    path = Path(args.path or settings.catalogue_path)
    offers = getattr(args, "offers", None)
    try:
        catalogue = load_catalogue(path, offers=offers)
    except FileNotFoundError as exc:
        print(f"error: catalogue file not found: {exc.filename or path}", file=sys.stderr)
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
        record_access(session, customer.id, AuditAction.EXPORT, by=f"cli:{_login()}")
    text = json.dumps(document, indent=2, ensure_ascii=False)
    if args.output:
        Path(args.output).write_text(text + "\n", encoding="utf-8")
        print(f"wrote {args.output}")
    else:
        print(text)
    return 0


def cmd_profile_erase(settings: Settings, args: argparse.Namespace) -> int:
    from profile_store.erasure import erase_everything
    from profile_store.privacy import compact_sqlite

    if not args.yes:
        print("error: erasing a customer cannot be undone; add --yes to confirm", file=sys.stderr)
        return 2
    engine = make_engine(settings.database_url)
    try:
        with make_sessionmaker(engine).begin() as session:
            customer = find_customer(session, args.ref)
            if customer is None:
                print(f"error: no customer matches {args.ref!r}", file=sys.stderr)
                return 1
            customer_id = customer.id
            report = erase_everything(
                session,
                customer_id,
                tracker_url=settings.tracker_db_url,
                by=args.by or f"cli:{_login()}",
                key=settings.suppression_key,
            )
        # Committed: now no deleted byte may stay in a SQLite file.
        compact_sqlite(engine)
    finally:
        engine.dispose()
    print(
        f"erased customer {customer_id} and everything stored about them: "
        f"{report.total_profile_rows} rows in the profile store, "
        f"{report.tracker_events} tracker events of {len(report.sender_ids)} sender id(s); "
        f"{report.suppressed} opted-out address(es) kept only as a keyed hash"
    )
    return 0


def _login() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def cmd_retention_prune(settings: Settings, args: argparse.Namespace) -> int:
    from profile_store.models import utcnow
    from profile_store.privacy import make_tracker_engine
    from profile_store.retention import forget_expired_health_facts, prune_transcripts

    days = settings.transcript_retention_days if args.days is None else args.days
    if days < 1:
        print("error: give a retention period of at least 1 day (--days N)", file=sys.stderr)
        return 2
    engine = make_engine(settings.database_url)
    tracker = make_tracker_engine(settings.tracker_db_url)
    try:
        with make_sessionmaker(engine).begin() as session:
            now = utcnow()
            counts = prune_transcripts(session, tracker, now=now, days=days)
            counts["health_facts_forgotten"] = forget_expired_health_facts(session, now=now)
    finally:
        tracker.dispose()
        engine.dispose()
    print(
        f"pruned transcripts older than {days} days: "
        + ", ".join(f"{n} {what.replace('_', ' ')}" for what, n in counts.items())
    )
    return 0


def cmd_staff_add(settings: Settings, args: argparse.Namespace) -> int:
    import getpass

    from profile_store.handoff import UsernameTaken, add_staff, hash_password

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass(f"password for {args.username}: ")
        if getpass.getpass("again: ") != password:
            print("error: the two passwords differ", file=sys.stderr)
            return 2
    try:
        password_hash = hash_password(password)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        with _sessionmaker(settings).begin() as session:
            add_staff(session, args.username, args.first_name, password_hash)
    except UsernameTaken:
        print(f"error: there is already a staff account {args.username!r}", file=sys.stderr)
        return 1
    print(f"staff account {args.username!r} ({args.first_name}) can log in at /console")
    return 0


def cmd_run(settings: Settings, _args: argparse.Namespace) -> int:
    """The whole assistant on this machine, supervised (rapport.supervisor)."""
    import os
    from urllib.parse import urlsplit

    from rapport.cluster import ClusterError, GatewayCluster, RasaCluster
    from rapport.processes import Ports, commands, environment, plan
    from rapport.settings import ROOT
    from rapport.supervisor import Supervisor, port_taken

    def port_of(url: str, default: int) -> int:
        return urlsplit(url).port or default

    ports = Ports(
        rasa=port_of(settings.rasa_url, 5005),
        actions=port_of(settings.action_url, 5055),
        gateway=settings.gateway_port,
    )
    taken = [
        f"{name} port {port}"
        for name, port in (("Rasa", ports.rasa), ("action server", ports.actions))
        if port_taken(port)
    ]
    if port_taken(ports.gateway, settings.gateway_host):
        taken.append(f"gateway port {ports.gateway}")
    if taken:
        print(
            f"rapport run: {', '.join(taken)} already in use, by another Rapport still running "
            "or another program. Stop it (e.g. `fuser -k 5055/tcp`), or choose other ports "
            "with RAPPORT_RASA_URL, RAPPORT_ACTION_URL (and endpoints.yml) and RAPPORT_PORT.",
            file=sys.stderr,
        )
        return 1
    env = {**os.environ, **environment(os.environ.get("RAPPORT_ACTION_HOST", "127.0.0.1"))}
    env.setdefault("RAPPORT_REST_TOKEN_FILE", str(ROOT / "var" / "rest_token"))
    plain = settings.rasa_replicas <= 1 and settings.gateway_replicas <= 1
    if plain and not settings.rabbitmq_url:
        argv = commands(ports=ports, endpoints=ROOT / "endpoints.yml")
        return Supervisor(argv, env, cwd=str(ROOT)).run()
    try:
        rasa = gateways = None
        if settings.rasa_replicas > 1:
            rasa = RasaCluster(
                replicas=settings.rasa_replicas,
                front_port=ports.rasa,
                tracker_db_url=settings.tracker_db_url,
                redis_url=settings.redis_url,
            )
        if settings.gateway_replicas > 1:
            gateways = GatewayCluster(
                replicas=settings.gateway_replicas,
                front_host=settings.gateway_host,
                front_port=ports.gateway,
                redis_url=settings.redis_url,
            )
    except ClusterError as exc:
        print(f"rapport run: {exc}", file=sys.stderr)
        return 2
    replica_ports = [
        *(rasa.replica_ports if rasa else []),
        *(gateways.replica_ports if gateways else []),
    ]
    busy = [port for port in replica_ports if port_taken(port)]
    if busy:
        print(f"rapport run: replica ports {busy} already in use", file=sys.stderr)
        return 1
    folder = ROOT / "var" / "cluster"
    folder.mkdir(parents=True, exist_ok=True)
    try:
        argv = plan(
            folder,
            ports=ports,
            action_url=settings.action_url,
            tracker_db_url=settings.tracker_db_url,
            rabbitmq_url=settings.rabbitmq_url,
            rasa=rasa,
            gateways=gateways,
            stats_socket=folder / "haproxy.sock",
        )
    except ValueError as exc:
        print(f"rapport run: {exc}", file=sys.stderr)
        return 2
    if settings.rabbitmq_url:
        print("==> Rasa's events to RabbitMQ, kept by the events consumer (rapport.events)")
    if rasa:
        print(
            f"==> {rasa.replicas} Rasa replicas on {rasa.replica_ports} behind HAProxy on "
            f"{ports.rasa} (trackers: {_safe_url(settings.tracker_db_url)}, locks: Redis)"
        )
    if gateways:
        print(
            f"==> {gateways.replicas} gateways on {gateways.replica_ports} behind HAProxy on "
            f"{ports.gateway} (shared state: Redis)"
        )
    env.setdefault("RAPPORT_PUBLIC_URL", settings.gateway_public_url)
    return Supervisor(argv, env, cwd=str(ROOT)).run()


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rapport", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser(
        "run", help="start Rasa, the action server and the gateway; restart any that dies"
    ).set_defaults(func=cmd_run)
    sub.add_parser("migrate", help="bring the database schema up to date").set_defaults(
        func=cmd_migrate
    )
    setup = sub.add_parser("setup", help="migrate, then import the catalogue")
    setup.add_argument("path", nargs="?", help="catalogue file (default: the demo catalogue)")
    setup.set_defaults(func=cmd_setup)

    catalogue = sub.add_parser("catalogue", help="the product and offer catalogue")
    catalogue_sub = catalogue.add_subparsers(dest="action", required=True)
    imp = catalogue_sub.add_parser("import", help="import or update products and offers")
    imp.add_argument(
        "path", nargs="?", help="a .yml/.yaml or products .csv file, or a folder (default: demo)"
    )
    imp.add_argument("--offers", help="also import the offers of this .csv/.yml file")
    imp.set_defaults(func=cmd_catalogue_import)

    profile = sub.add_parser("profile", help="one customer's profile")
    profile_sub = profile.add_subparsers(dest="action", required=True)
    exp = profile_sub.add_parser("export", help="print the JSON export of a customer")
    exp.add_argument("ref", help="customer id, or channel:address (e.g. whatsapp:+33612345678)")
    exp.add_argument("-o", "--output", help="write to this file instead of stdout")
    exp.set_defaults(func=cmd_profile_export)
    erase = profile_sub.add_parser(
        "erase", help="erase a customer and all their data, Rasa's transcripts included"
    )
    erase.add_argument("ref", help="customer id, or channel:address")
    erase.add_argument("--yes", action="store_true", help="confirm the erasure")
    erase.add_argument("--by", help='who asked, for the audit log (default: "cli:<login>")')
    erase.set_defaults(func=cmd_profile_erase)

    retention = sub.add_parser("retention", help="how long transcripts are kept")
    retention_sub = retention.add_subparsers(dest="action", required=True)
    prune = retention_sub.add_parser("prune", help="delete transcripts past the retention period")
    prune.add_argument(
        "--days",
        type=int,
        help="keep this many days (default: RAPPORT_TRANSCRIPT_RETENTION_DAYS, 180)",
    )
    prune.set_defaults(func=cmd_retention_prune)

    staff = sub.add_parser("staff", help="staff accounts for the console")
    staff_sub = staff.add_subparsers(dest="action", required=True)
    add = staff_sub.add_parser("add", help="create a staff account (asks for the password)")
    add.add_argument("username")
    add.add_argument("--first-name", required=True, help="shown to customers with each answer")
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    add.set_defaults(func=cmd_staff_add)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(Settings.from_env(), args))


if __name__ == "__main__":
    sys.exit(main())
