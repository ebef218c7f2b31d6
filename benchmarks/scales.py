"""Benchmark sizes: how many rows a day, and how big the bucket for the listing-cost check is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from core.synth import ExportSpec

ACCOUNT = "1234567890"
START = date(2026, 11, 1)
LISTING_DAYS = 60


@dataclass(frozen=True)
class Scale:
    name: str
    decisions_per_day: int
    conversions_per_day: int
    days: int = 2
    listing_experiments: int = 20  # 20 experiments + 6 events + 2 markers = 28 keys a day
    listing_events: tuple[str | None, ...] | None = None  # None: the synth default (6 events)

    def export_spec(self) -> ExportSpec:
        """The export the runs load: every day complete (`_SUCCESS` written)."""
        return ExportSpec(account_id=ACCOUNT, start=START, days=self.days,
                          decisions_per_day=self.decisions_per_day,
                          conversions_per_day=self.conversions_per_day,
                          newest_day_ready=True, seed=7, track_uuids=False)

    def listing_target_spec(self) -> ExportSpec:
        """The one day a listing run asks for; present byte-identical in both listing buckets."""
        return self._listing_spec(START, 1)

    def listing_filler_spec(self) -> ExportSpec:
        """The other 59 days of the 60-day bucket (all before the target day)."""
        return self._listing_spec(START - timedelta(days=LISTING_DAYS - 1), LISTING_DAYS - 1, seed=8)

    def _listing_spec(self, start: date, days: int, seed: int = 7) -> ExportSpec:
        extra = {"events": self.listing_events} if self.listing_events is not None else {}
        return ExportSpec(account_id=ACCOUNT, start=start, days=days, decisions_per_day=40,
                          conversions_per_day=20, experiments=self.listing_experiments,
                          newest_day_ready=True, seed=seed, track_uuids=False, **extra)

    @property
    def rows_per_day(self) -> int:
        return self.decisions_per_day + self.conversions_per_day


SCALES: dict[str, Scale] = {
    # the smoke test: seconds; 60 days x 4 keys keeps the listing bucket small
    "tiny": Scale("tiny", 3_000, 1_500, listing_experiments=1, listing_events=("purchase",)),
    "small": Scale("small", 200_000, 100_000),
    "default": Scale("default", 1_000_000, 500_000),
}
