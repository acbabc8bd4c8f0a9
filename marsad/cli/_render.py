"""Terminal rendering shared by the verbs: progress bars and summary tables (rich)."""
from __future__ import annotations

import contextlib
from typing import Callable, Iterator

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

console = Console(stderr=False)
err_console = Console(stderr=True)


@contextlib.contextmanager
def progress_bar(show: bool, label: str, total: int | None = None) -> Iterator[Callable[[int, int], None]]:
    """Yields ``advance(done, _)``; draws a live bar on stderr when ``show``."""
    if not show:
        yield lambda done, _=0: None
        return
    cols = [SpinnerColumn(), TextColumn(f"[bold]{label}"), BarColumn(), MofNCompleteColumn()
            if total else TextColumn("{task.completed} records"), TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn()]
    with Progress(*cols, console=err_console, transient=False) as prog:
        task = prog.add_task(label, total=total, rate="")

        def advance(done: int, _=0) -> None:
            elapsed = prog.tasks[0].elapsed or 1e-9
            prog.update(task, completed=done, rate=f"{done / elapsed:,.0f}/s")
        yield advance


def counter_table(title: str, counts, limit: int = 12) -> Table:
    table = Table(title=title, title_justify="left", show_edge=False)
    table.add_column(title.split()[0].lower())
    table.add_column("posts", justify="right")
    for key, n in counts.most_common(limit):
        table.add_row(str(key), f"{n:,}")
    return table


def print_summary(summary, db: str | None) -> None:
    from marsad.store.db import normalize_url
    console.print(f"[bold]marsad scan[/]: {summary.records:,} records from {summary.files} file(s) in "
                  f"{summary.seconds:.1f}s — {summary.new:,} new, {summary.already_stored:,} already stored, "
                  f"{summary.bad:,} bad, {sum(summary.skipped.values()):,} skipped on purpose → {normalize_url(db)}")
    for title, counts in (("Platform", summary.platforms), ("Language", summary.languages),
                          ("Label", summary.labels), ("Skipped (service/system messages)", summary.skipped)):
        if counts:
            console.print(counter_table(title, counts))
    if summary.accounts:
        table = Table(title="Top accounts (flagged posts this run)", title_justify="left", show_edge=False)
        table.add_column("account")
        table.add_column("flagged", justify="right")
        for acc, n in summary.accounts.most_common(10):
            table.add_row(acc, str(n))
        console.print(table)
