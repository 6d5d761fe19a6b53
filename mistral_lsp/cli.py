"""The `mistral-lsp` command: the server (stdio or TCP), `doctor`, and `demo`.

    mistral-lsp                      serve LSP over stdio (what editors run)
    mistral-lsp --tcp 127.0.0.1:2087 serve LSP over TCP
    mistral-lsp doctor               check settings, key and model against the API
    mistral-lsp demo                 review, fix and test a sample file through the real server
    mistral-lsp review --diff BASE   review the definitions a git diff changed (pre-commit, CI)
    mistral-lsp rules                list and check the project's rules and custom actions
"""

from __future__ import annotations

import argparse
import sys

from mistral_lsp import __version__
from mistral_lsp.ci.command import add_arguments, run_review
from mistral_lsp.ci.rules_command import add_arguments as add_rules_arguments
from mistral_lsp.ci.rules_command import run_rules
from mistral_lsp.logs import setup_logging


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mistral-lsp",
        description="A language server bringing Mistral's models into any editor as code actions.",
    )
    parser.add_argument("--version", action="version", version=f"mistral-lsp {__version__}")
    parser.add_argument("--tcp", metavar="HOST:PORT", help="serve over TCP instead of stdio")
    # Many clients (vscode-languageclient's stdio transport among them) append --stdio.
    parser.add_argument("--stdio", action="store_true", help="serve over stdio (the default)")
    parser.add_argument("--log-file", metavar="FILE", help="write the log here (default: stderr)")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="-v info, -vv debug")
    sub = parser.add_subparsers(dest="command")
    doctor = sub.add_parser("doctor", help="check settings, API key and model against the configured API")
    doctor.add_argument("--settings", metavar="JSON", help="a `mistral` settings object, as an editor would send it")
    demo = sub.add_parser("demo", help="run review, fix and generate tests on a sample file, as an editor would")
    demo.add_argument("--offline", action="store_true", help="use the bundled fake API even when MISTRAL_API_KEY is set")
    demo.add_argument("--workdir", metavar="DIR", help="where to write the sample project (default: a temporary folder)")
    review = sub.add_parser("review", help="review files or the definitions a git diff changed (pre-commit, CI)")
    add_arguments(review)
    rules = sub.add_parser("rules", help="list and check .mistral/rules and .mistral/actions (exit 2 on a problem)")
    add_rules_arguments(rules)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    setup_logging(args.verbose, args.log_file)
    if args.command == "doctor":
        from mistral_lsp.doctor import run_doctor

        return run_doctor(args.settings)
    if args.command == "review":
        return run_review(args)
    if args.command == "rules":
        return run_rules(args)
    if args.command == "demo":
        from mistral_lsp.demo import run_demo

        return run_demo(offline=args.offline, workdir=args.workdir)
    from mistral_lsp.lsp.features import create_server

    server = create_server()
    if args.tcp:
        host, _, port = args.tcp.rpartition(":")
        if not host or not port.isdigit():
            print(f"mistral-lsp: --tcp expects HOST:PORT, got {args.tcp!r}", file=sys.stderr)
            return 2
        server.start_tcp(host, int(port))
    else:
        server.start_io()
    return 0
