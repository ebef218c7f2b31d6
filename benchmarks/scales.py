"""Benchmark sizes: the measured day, a day twice as large, the small-day history around them, and
the bucket sizes of the listing-cost check."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from courier.core.devtools.synth import ExportSpec

ACCOUNT = "1234567890"
START = date(2026, 11, 1)  # the measured day; the 2x day is the next one, the history the days before


@dataclass(frozen=True)
class Scale:
    name: str
    decisions_per_day: int
    conversions_per_day: int
    experiments: int  # decision objects per day (plus about 6-14 event objects)
    history_days: int = 30  # small days before the measured day, in the same bucket
    history_decisions: int = 2_000
    history_conversions: int = 1_000
    listing_days: int = 365  # the big listing bucket: this many days vs 1
    listing_experiments: int = 20  # 20 experiments + 6 events + 2 markers = 28 keys a day
    listing_events: tuple[str | None, ...] | None = None  # None: the synth default (6 events)
    tui_files: int = 100_000  # ledger rows behind the sample-files screen
    tui_runs: int = 5  # median over this many TUI starts

    def day_spec(self) -> ExportSpec:
        """The measured day (`_SUCCESS` written)."""
        return self._spec(START, 1, self.decisions_per_day, self.conversions_per_day, self.experiments, seed=7)

    def double_spec(self) -> ExportSpec:
        """The day after: twice the rows in twice the objects (the memory check)."""
        return self._spec(START + timedelta(days=1), 1, 2 * self.decisions_per_day, 2 * self.conversions_per_day,
                          2 * self.experiments, seed=9)

    def history_spec(self) -> ExportSpec:
        """Small days before the measured day: a bucket with history, as an account has."""
        return self._spec(START - timedelta(days=self.history_days), self.history_days, self.history_decisions,
                          self.history_conversions, min(self.experiments, 5), seed=11)

    @staticmethod
    def _spec(start: date, days: int, decisions: int, conversions: int, experiments: int, seed: int) -> ExportSpec:
        return ExportSpec(account_id=ACCOUNT, start=start, days=days, decisions_per_day=decisions,
                          conversions_per_day=conversions, experiments=experiments, newest_day_ready=True,
                          seed=seed, track_uuids=False)

    def listing_target_spec(self) -> ExportSpec:
        """The one day a listing run asks for; present byte-identical in both listing buckets."""
        return self._listing_spec(START, 1)

    def listing_filler_spec(self) -> ExportSpec:
        """The other days of the big listing bucket (all before the target day)."""
        return self._listing_spec(START - timedelta(days=self.listing_days - 1), self.listing_days - 1, seed=8)

    def _listing_spec(self, start: date, days: int, seed: int = 7) -> ExportSpec:
        extra = {"events": self.listing_events} if self.listing_events is not None else {}
        return ExportSpec(account_id=ACCOUNT, start=start, days=days, decisions_per_day=40,
                          conversions_per_day=20, experiments=self.listing_experiments,
                          newest_day_ready=True, seed=seed, track_uuids=False, **extra)

    @property
    def rows_per_day(self) -> int:
        return self.decisions_per_day + self.conversions_per_day


SCALES: dict[str, Scale] = {
    # the smoke test: seconds; no peers, a small listing bucket and file list
    "tiny": Scale("tiny", 3_000, 1_500, experiments=2, history_days=3, history_decisions=40, history_conversions=20,
                  listing_experiments=1, listing_events=("purchase",), tui_files=2_000, tui_runs=1),
    # `make bench`: a few minutes
    "small": Scale("small", 500_000, 200_000, experiments=40),
    # issue 8's scale: >= 5M decisions + 2M conversions in >= 200 objects, 30 small days of history
    "full": Scale("full", 5_000_000, 2_000_000, experiments=200),
}
