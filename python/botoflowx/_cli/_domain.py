"""``botoflowx domain register|describe|list``."""

from __future__ import annotations

import argparse
from typing import Any

from botoflowx._cli._common import (
    EXIT_OK,
    CliError,
    UsageError,
    print_fields,
    print_json,
    print_table,
    require_domain,
)

DEFAULT_RETENTION_DAYS = 1


def add_parser(commands: Any, common: list[argparse.ArgumentParser]) -> None:
    """Register ``botoflowx domain``."""
    domain = commands.add_parser(
        "domain", parents=common, help="register, describe and list domains"
    )
    actions = domain.add_subparsers(title="actions", metavar="ACTION", dest="action")
    register = actions.add_parser(
        "register",
        parents=common,
        help="register a domain",
        description="Register a domain (SWF domains cannot be deleted, only deprecated).",
    )
    register.add_argument("name", nargs="?", metavar="NAME", help="the domain (default: --domain)")
    register.add_argument(
        "--retention-days",
        type=int,
        default=DEFAULT_RETENTION_DAYS,
        metavar="DAYS",
        help="how long closed runs are kept, 0..90 (default: %(default)s)",
    )
    register.add_argument("--description", help="a description (1024 characters)")
    register.set_defaults(func=run_register)
    describe = actions.add_parser("describe", parents=common, help="show a domain")
    describe.add_argument("name", nargs="?", metavar="NAME", help="the domain (default: --domain)")
    describe.set_defaults(func=run_describe)
    listing = actions.add_parser("list", parents=common, help="list domains")
    listing.add_argument(
        "--deprecated", action="store_true", help="list deprecated domains instead"
    )
    listing.set_defaults(func=run_list)
    domain.set_defaults(func=lambda args: _missing_action(domain))


def _missing_action(parser: argparse.ArgumentParser) -> int:
    raise UsageError("domain needs an action: register, describe or list (see domain --help)")


def _name(args: argparse.Namespace) -> str:
    if args.name:
        return str(args.name)
    return require_domain(args)


def run_register(args: argparse.Namespace) -> int:
    """Register a domain."""
    from botoflowx.client._errors import error_code

    name = _name(args)
    if not 0 <= args.retention_days <= 90:
        raise UsageError(f"--retention-days must be 0..90, got {args.retention_days}")
    kwargs: dict[str, Any] = {
        "name": name,
        "workflowExecutionRetentionPeriodInDays": str(args.retention_days),
    }
    if args.description:
        kwargs["description"] = args.description
    try:
        args.connection.client.register_domain(**kwargs)
    except Exception as exc:
        if error_code(exc) == "DomainAlreadyExistsFault":
            raise CliError(f"the domain {name!r} is already registered") from None
        raise
    if args.output == "json":
        print_json({"name": name, "status": "REGISTERED"})
    else:
        print(f"registered domain {name} (closed runs kept {args.retention_days} day(s))")
    return EXIT_OK


def run_describe(args: argparse.Namespace) -> int:
    """Describe a domain."""
    name = _name(args)
    response = args.connection.client.describe_domain(name=name)
    response.pop("ResponseMetadata", None)
    if args.output == "json":
        print_json(response)
        return EXIT_OK
    info = response.get("domainInfo", {})
    config = response.get("configuration", {})
    print_fields(
        [
            ("name", info.get("name")),
            ("status", info.get("status")),
            ("description", info.get("description")),
            ("retention", f"{config.get('workflowExecutionRetentionPeriodInDays')} day(s)"),
            ("arn", info.get("arn")),
        ]
    )
    return EXIT_OK


def run_list(args: argparse.Namespace) -> int:
    """List domains."""
    client = args.connection.client
    status = "DEPRECATED" if args.deprecated else "REGISTERED"
    infos: list[dict[str, Any]] = []
    token = None
    while True:
        kwargs: dict[str, Any] = {"registrationStatus": status, "maximumPageSize": 1000}
        if token:
            kwargs["nextPageToken"] = token
        page = client.list_domains(**kwargs)
        infos += page.get("domainInfos", [])
        token = page.get("nextPageToken")
        if not token:
            break
    if args.output == "json":
        print_json(infos)
    elif not infos:
        print(f"no {status.lower()} domains")
    else:
        print_table(
            ("NAME", "STATUS", "DESCRIPTION"),
            [(i["name"], i.get("status", ""), i.get("description", "")) for i in infos],
        )
    return EXIT_OK
