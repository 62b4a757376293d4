"""Progress lines for logs (crds_deliver/cli/progress.py): a line per tenth of a large file,
or every 30 s while a tenth takes longer; nothing for small files."""

from __future__ import annotations

from crds_deliver.cli.progress import progress_lines

MB = 1024 * 1024


class Clock:
    """Seconds the test sets by hand, so the 30 s rule is checked without waiting."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_one_line_per_tenth_and_none_for_small_files() -> None:
    lines: list[str] = []
    report = progress_lines("uploading", lines.append, min_bytes=10 * MB, clock=Clock())
    total = 100 * MB
    for done in range(0, total + 1, MB):  # a chunk per MB
        report("big.fits", done, total)
    report("small.fits", MB, MB)
    assert len(lines) == 10
    assert lines[0] == f"-- uploading big.fits: 10% ({10 * MB} of {total} bytes)"
    assert lines[-1] == f"-- uploading big.fits: 100% ({total} of {total} bytes)"


def test_a_slow_tenth_still_prints_every_30_seconds() -> None:
    lines: list[str] = []
    clock = Clock()
    report = progress_lines("hashing", lines.append, min_bytes=1, clock=clock)
    report("slow.fits", 0, 1000)
    for second in range(1, 95):
        clock.now = float(second)
        report("slow.fits", 50, 1000)  # stuck at 5 %
    assert lines == ["-- hashing slow.fits: 5% (50 of 1000 bytes)"] * 3  # at 30, 60 and 90 s
