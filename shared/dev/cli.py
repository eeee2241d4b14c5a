"""The ``bridge`` command: dev server, tokens, migrations, demo data, evaluation."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bridge", description="Bridge local tooling")
    sub = parser.add_subparsers(dest="cmd", required=True)
    tok = sub.add_parser("token", help="print a local dev token for EMAIL")
    tok.add_argument("email")
    dev = sub.add_parser("dev", help="run every function locally on one server")
    dev.add_argument("--host", default="127.0.0.1")
    dev.add_argument("--port", type=int, default=8080)
    dev.add_argument(
        "--task-processes",
        type=int,
        default=None,
        help="processes that run chat steps and warm-ups (0: threads in the server);"
        " default BRIDGE_TASK_PROCESSES, else 2 per CPU, 2 to 4",
    )
    sub.add_parser("migrate", help="apply database migrations")
    rebind = sub.add_parser(
        "rebind", help="move EMAIL's sign-in binding to SUBJECT, or clear it (the next sign-in binds)"
    )
    rebind.add_argument("email")
    rebind.add_argument("subject", nargs="?", default=None, help="the account's uid (sub); omit to clear")
    sub.add_parser("seed", help="create the demo warehouse, team and connection")
    mcp = sub.add_parser("mcp", help="serve Bridge's tools to an MCP client over stdio")
    mcp.add_argument("--url", default=None, help="Bridge's base URL (default BRIDGE_PUBLIC_URL)")
    mcp.add_argument("--token", default=None, help="bearer token (default the BRIDGE_TOKEN variable)")
    from shared.evaluation.command import add_arguments

    add_arguments(sub.add_parser("eval", help="run evaluation cases through the chat path and score them"))
    args = parser.parse_args(argv)
    if args.cmd == "mcp":
        import os

        from shared.entry.mcp.server import run as run_mcp
        from shared.settings import get_settings

        token = args.token or os.environ.get("BRIDGE_TOKEN", "")
        if not token:
            parser.error("bridge mcp needs a token: --token or BRIDGE_TOKEN (bridge token EMAIL locally)")
        run_mcp(args.url or get_settings().public_url, token)
        return 0
    if args.cmd == "eval":
        from shared.evaluation.command import run as run_eval

        return run_eval(args)

    from shared.bootstrap import get_container, set_container

    if args.cmd == "dev":
        from shared.dev.server import dev_container, run

        c = dev_container(args.task_processes)
        set_container(c)
        run(c, host=args.host, port=args.port)
        return 0
    c = get_container()
    if args.cmd == "token":
        print(c.local_identity.issue(args.email))
    elif args.cmd == "migrate":
        from shared.db.migrate import upgrade

        upgrade(c.db.engine)
    elif args.cmd == "rebind":
        from shared.adapters.identity.binding import rebind as rebind_email

        old = rebind_email(c.db, args.email, args.subject)
        print(f"{args.email.strip().lower()}: {old or '(unbound)'} -> {args.subject or '(unbound)'}")
    elif args.cmd == "seed":
        from shared.db.migrate import upgrade
        from shared.dev.seed import seed_demo

        upgrade(c.db.engine)
        print("team={} connection={}".format(*seed_demo(c)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
