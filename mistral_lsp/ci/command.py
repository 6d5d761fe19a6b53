"""`mistral-lsp review`: review on save's engine over files or a git diff, for pre-commit and CI.

    mistral-lsp review [PATH ... | --all] [--diff BASE | --staged] [--batch | --resume JOB_ID]
                       [--format text|json|sarif|github]
                       [--output FILE] [--fail-on error|warning|never] [--max-tokens N] [--jobs N]

Serves no LSP method and loads no pygls: `cli.py` hands it the parsed arguments. It finds the
repository (`diff.py`), reads the settings (`config.py`), runs the review
(`batch.py`; `--batch`: one Batch API job, `batch_command.py`) with a progress bar on stderr (rich, on a terminal), and writes the report
(`report.py`, `sarif.py`). Exit codes: 0 clean, 1 findings at or above `--fail-on`,
2 usage or configuration error, 3 API failure (docs/ci.md).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from mistral_lsp.logs import redactor

if TYPE_CHECKING:
    from mistral_lsp.ci.batch import SourceFile
    from mistral_lsp.ci.batch_run import JobRecord

# Only the standard library at import: `cli.py` builds this parser when the server starts.
FORMATS = ("text", "json", "sarif", "github")
FAIL_ON_CHOICES = ("error", "warning", "never")  # report.SEVERITY_RANK knows them
EXIT_USAGE = 2


class UsageError(Exception):
    """The command cannot run as asked; exit 2 with this message."""


EPILOG = """\
exit codes: 0 clean; 1 a finding at or above --fail-on; 2 usage or configuration error;
3 API failure (after retries). Settings: --jobs, then MISTRAL_API_KEY / MISTRAL_BASE_URL,
then mistral-lsp.toml, else [tool.mistral-lsp] in pyproject.toml. See docs/ci.md."""


def add_arguments(review: argparse.ArgumentParser) -> None:
    review.description = "Review files, or only the definitions a git diff changed, as review on save does."
    review.epilog = EPILOG
    review.formatter_class = argparse.RawDescriptionHelpFormatter
    review.add_argument("paths", nargs="*", metavar="PATH", help="files or directories to review (with --diff/--staged: limit the diff to them)")
    which = review.add_mutually_exclusive_group()
    which.add_argument("--diff", metavar="BASE", help="review only the definitions changed since the git revision BASE")
    which.add_argument("--staged", action="store_true", help="review only the definitions changed in the git index (pre-commit)")
    which.add_argument("--all", action="store_true", help="review every file of the repository (git ls-files), as if named")
    which.add_argument("--resume", metavar="JOB_ID", help="fold in the results of a --batch job that was interrupted")
    review.add_argument("--batch", action="store_true", help="send the requests as one Batch API job: half the price, answers within hours")
    review.add_argument("--format", choices=FORMATS, help="output format (default: text; github under GitHub Actions)")
    review.add_argument("-o", "--output", metavar="FILE", help="write the report here instead of stdout")
    review.add_argument("--fail-on", choices=FAIL_ON_CHOICES, default="error", help="exit 1 when a finding is this severe or more (default: error)")
    review.add_argument("--max-tokens", type=int, metavar="N", help="stop sending requests before the tokens spent would pass N")
    # Also after `review` (`mistral-lsp review -v`); SUPPRESS keeps a count given before it.
    review.add_argument("-v", "--verbose", action="count", default=argparse.SUPPRESS, help="-v info, -vv debug (on stderr)")
    review.add_argument("--jobs", type=int, metavar="N", help="requests at a time (default: the maxConcurrentRequests setting)")


def run_review(args: argparse.Namespace) -> int:
    """The whole command; the exit code."""
    from mistral_lsp.ci.batch_run import RecordError
    from mistral_lsp.ci.config import ConfigError
    from mistral_lsp.ci.diff import GitError
    from mistral_lsp.mistral import ConfigurationError

    try:
        return _run(args)
    except (UsageError, ConfigError, GitError, ConfigurationError, RecordError) as exc:
        print(f"mistral-lsp review: {redactor.redact(str(exc))}", file=sys.stderr)
        return EXIT_USAGE


def _run(args: argparse.Namespace) -> int:
    from mistral_lsp.ci.batch import BatchReview
    from mistral_lsp.ci.config import load_settings
    from mistral_lsp.ci.report import (
        exit_code,
        notes,
        render_github,
        render_json,
        render_text,
        usage_line,
    )
    from mistral_lsp.ci.sarif import render_sarif

    if args.max_tokens is not None and args.max_tokens < 1:
        raise UsageError("--max-tokens must be at least 1")
    root, files, record = _target(args, Path.cwd())
    settings, _source = load_settings(root, jobs=args.jobs)
    redactor.add_secret(settings.resolved_api_key())
    fmt = args.format or ("github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text")
    if args.batch or record is not None:
        from mistral_lsp.ci.batch_command import run_batch

        result = run_batch(root, settings, files, max_tokens=args.max_tokens, resume=record)
    else:
        with _progress() as (on_total, on_advance):
            batch = BatchReview(
                root, settings, files, max_tokens=args.max_tokens, on_total=on_total, on_advance=on_advance
            )
            result = asyncio.run(batch.run())
    for problem in result.rule_problems:  # a bad rule is skipped, and said (`mistral-lsp rules` checks them)
        print(f"mistral-lsp review: rule skipped: {problem}", file=sys.stderr)
    left = notes(result, args.max_tokens)
    if fmt == "text":
        report = render_text(result) + "".join(line + "\n" for line in left) + usage_line(result.usage) + "\n"
        left = []
    elif fmt == "json":
        report = render_json(result)
    elif fmt == "github":
        report = render_github(result, left)
    else:
        report = render_sarif(result, root)
    _write(redactor.redact(report), args.output)
    for line in left:
        print(redactor.redact(line), file=sys.stderr)
    if fmt != "text":
        print(usage_line(result.usage), file=sys.stderr)
    return exit_code(result, args.fail_on)


def _target(args: argparse.Namespace, cwd: Path) -> tuple[Path, list[SourceFile], JobRecord | None]:
    """The root, the files, and with `--resume` the batch job's record."""
    if not args.resume:
        return (*_collect(args, cwd), None)
    from mistral_lsp.ci.batch_command import resume_target

    if args.paths or args.batch:
        raise UsageError("--resume takes no paths and implies --batch: the job's record says what it reviews")
    return resume_target(args.resume, lambda path: _decode(_read(path)))


def _collect(args: argparse.Namespace, cwd: Path) -> tuple[Path, list[SourceFile]]:
    """The workspace root and the files to review (`batch.SourceFile`s)."""
    from mistral_lsp.ci.batch import SourceFile
    from mistral_lsp.ci.diff import diff_changes, expand_paths, repository_root, staged_text

    repository = repository_root(cwd)
    diff_mode = args.diff is not None or args.staged
    if diff_mode and repository is None:
        raise UsageError("--diff and --staged need a git repository; run it inside one")
    root = repository or cwd
    files: list[SourceFile] = []
    if diff_mode:
        limit = [_relative_to(root, cwd / p) for p in args.paths]
        for change in diff_changes(root, base=args.diff, staged=args.staged, paths=limit):
            data = staged_text(root, change.path) if args.staged else _read(root / change.path)
            text = _decode(data)
            if text is not None:
                files.append(SourceFile(change.path, text, change.lines, change.deleted_after))
        return root, files
    names, missing = expand_paths(root, _named(args, root), cwd)
    if missing:
        raise UsageError(f"no such file or directory: {', '.join(missing)}")
    for name in names:
        text = _decode(_read(root / name))
        if text is not None:
            files.append(SourceFile(name, text))
    return root, files


def _named(args: argparse.Namespace, root: Path) -> list[str]:
    """The paths to review whole: those named, or with `--all` the repository."""
    if args.all and args.paths:
        raise UsageError("--all reviews the whole repository; name no paths with it")
    if not args.paths and not args.all:
        raise UsageError("name the files to review, or use --all, --diff BASE or --staged")
    return [str(root)] if args.all else list(args.paths)


def _relative_to(root: Path, path: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        raise UsageError(f"{path} is outside the repository {root}") from None


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _decode(data: bytes | None) -> str | None:
    """The text of a file, or None for what is not reviewable text (unreadable, binary)."""
    if data is None or b"\0" in data[:8192]:
        return None
    try:
        return data.decode("utf-8").replace("\r\n", "\n")
    except UnicodeDecodeError:
        return None


@contextlib.contextmanager
def _progress() -> Iterator[tuple[Callable[[int], None], Callable[[str], None]]]:
    """A progress bar on stderr, only when stderr is a terminal (CI logs stay clean)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    console = Console(stderr=True)
    progress = Progress(
        TextColumn("reviewing"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
        console=console, transient=True, disable=not console.is_terminal,
    )
    task = progress.add_task("", total=None)

    def on_total(total: int) -> None:
        progress.update(task, total=total)

    def on_advance(path: str) -> None:
        progress.update(task, advance=1, description=path)

    with progress:
        yield on_total, on_advance


def _write(report: str, output: str | None) -> None:
    stream: TextIO
    if output is None:
        sys.stdout.write(report)
        sys.stdout.flush()
        return
    with open(output, "w", encoding="utf-8") as stream:
        stream.write(report)
