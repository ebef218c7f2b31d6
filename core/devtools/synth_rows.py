"""How one synthetic Optimizely row looks: the simulated account and its row maker.

Split from core/devtools/synth.py (which owns layout, files and upload) so each file holds one idea:
here, the experiments, events, visitors and attribute vocabulary of a simulated account, and the
seeded generator of decision and conversion rows in Arrow batches.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import pyarrow as pa
from courier.core import optimizely as opt

if TYPE_CHECKING:
    pass

DAY_MS = 86_400_000

# --- the simulated account: experiments, events, visitors, attribute vocabulary --------------

_WEB_AGENTS = (  # user agent, browserId value, device
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/131.0.0.0 Safari/537.36", "gc", "desktop"),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/17.6 Safari/605.1.15", "safari", "desktop"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0", "ff",
     "desktop"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
     "Gecko) Version/17.6 Mobile/15E148 Safari/604.1", "safari", "mobile"),
    ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/131.0.0.0 Mobile Safari/537.36", "gc", "mobile"),
    ("Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/17.6 Mobile/15E148 Safari/604.1", "safari", "tablet"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0", "edge", "desktop"),
)
_SDKS = (  # client_engine, client_version, user agent of the HTTP client that posted events
    ("python-sdk", "3.5.2", "python-requests/2.24.0"),
    ("node-sdk", "4.9.2", "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)"),
    ("java-sdk", "3.10.4", "Apache-HttpClient/4.5.13 (Java/11.0.12)"),
)
_WEB_ENGINE = ("js", "0.188.1")
_REFERERS = ((None, "direct"), ("https://www.google.com/", "search"),
             ("https://news.example.org/deals", "referral"),
             ("https://shop.example.com/?utm_campaign=spring", "campaign"))
_PRODUCTS = (("phone case", "39.95", "789", "accessories"), ("iphone", "999.99", "123", "electronics"),
             ("android", "799.99", "456", "electronics"), ("charger", "19.99", "321", "accessories"),
             ("headphones", "149.00", "654", "audio"))
_CAPTURED = (None, "attribution/captured", "metadata", "true")
_ENRICHED = (None, "attribution/enriched", "metadata", "true")
_NOT_ENRICHED = (None, "attribution/enriched", "metadata", "false")
_BOT = ("$opt_bot_filtering", "$opt_bot_filtering", "custom", "false")
_ENRICH_DECISIONS = ("$opt_enrich_decisions", "$opt_enrich_decisions", "custom", "true")
_MASK64 = (1 << 64) - 1


def _mix(*parts: int) -> int:
    """A stable 64-bit hash (splitmix64 steps): per-visitor traits without per-visitor state."""
    z = 0x9E3779B97F4A7C15
    for part in parts:
        z = ((z ^ (part & _MASK64)) + 0x9E3779B97F4A7C15) & _MASK64
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
        z ^= z >> 31
    return z


@dataclass(frozen=True)
class _Experiment:
    campaign_id: str
    experiment_id: str
    variations: tuple[str, ...]
    personalization: bool  # only Personalization campaigns have holdback rows


@dataclass
class World:
    """Everything fixed for one account and seed; rows draw from it."""

    salt: int
    account_id: str
    experiments: list[_Experiment]
    events: tuple[str | None, ...]
    entity_ids: list[str]
    event_weights: list[float]
    visitors: int
    revision: int
    attributes: list[tuple[str | None, ...]]
    attribute_index: dict[tuple[str | None, ...], int]
    attribute_array: pa.Array

    @classmethod
    def build(cls, seed: int, account_id: str, experiments: int, events: tuple[str | None, ...],
              rows_per_day: int) -> World:
        rng = random.Random(f"{seed}:world")

        def ident() -> str:
            return str(rng.randrange(10**10, 10**11))

        exps = [_Experiment(ident(), ident(), tuple(ident() for _ in range(rng.randint(2, 4))),
                            personalization=(i == experiments - 1 and experiments > 1))
                for i in range(experiments)]
        entity_ids = [ident() for _ in events]
        weights = [0.3 if e is None else rng.uniform(0.5, 3.0) for e in events]
        browser_id = ident()
        attrs: list[tuple[str | None, ...]] = [_CAPTURED, _ENRICHED, _NOT_ENRICHED, _BOT, _ENRICH_DECISIONS]
        attrs += [(browser_id, "browser", "custom", b) for b in ("chrome", "safari", "firefox")]
        attrs += [("100", None, "browserId", b) for b in ("gc", "safari", "ff", "edge")]
        attrs += [("300", None, "device", d) for d in ("desktop", "mobile", "tablet")]
        attrs += [("600", None, "source_type", s) for _, s in _REFERERS]
        attrs += [("200", None, "campaign", c) for c in ("spring_sale", "newsletter")]
        array = pa.array([dict(zip(("id", "name", "type", "value"), a, strict=True)) for a in attrs],
                         type=opt.ATTRIBUTE_TYPE)
        return cls(rng.getrandbits(63), account_id, exps, events, entity_ids, weights,
                   max(20, rows_per_day // 4), rng.randint(80, 120), attrs,
                   {a: i for i, a in enumerate(attrs)}, array)

    def visitor(self, idx: int) -> tuple[str, bool, str, str, str, str, tuple[int, ...]]:
        """visitor_id, is_web, user_agent, user_ip, engine, version, fixed attribute indices."""
        h = _mix(self.salt, idx)
        a, b, c = (h >> 16) % 223 + 1, (h >> 24) % 256, (h >> 32) % 256
        at = self.attribute_index
        if h % 5 < 3:  # Web snippet: cookie visitor id, anonymised IP, browser built-ins
            agent, browser, device = _WEB_AGENTS[(h >> 8) % len(_WEB_AGENTS)]
            vid = f"oeu{1_600_000_000_000 + (h >> 3) % 10**11}r0.{(h >> 20) % 10**15:015d}"
            web = (at[("100", None, "browserId", browser)], at[("300", None, "device", device)])
            return vid, True, agent, f"{a}.{b}.{c}.0", *_WEB_ENGINE, web
        engine, version, agent = _SDKS[(h >> 8) % len(_SDKS)]
        fixed: tuple[int, ...] = (at[_BOT], at[_ENRICH_DECISIONS], at[_CAPTURED])
        if (h >> 48) & 1:
            fixed += (at[self.attributes[5 + (h >> 50) % 3]],)
        return f"user_{idx}", False, agent, f"{a}.{b}.{c}.{(h >> 40) % 254 + 1}", engine, version, fixed

    def variation(self, visitor: int, experiment: int) -> str:
        """Sticky bucketing: a visitor sees the same variation of an experiment every time."""
        variations = self.experiments[experiment].variations
        return variations[_mix(self.salt, visitor, experiment + 1) % len(variations)]


class RowMaker:
    """Makes rows in schema order; replays earlier rows (same uuid and payload) as duplicates."""

    RING = 16  # rows remembered per partition for replay (so duplicates also cross days)

    def __init__(self, world: World, duplicate_share: float, rng: random.Random) -> None:
        self.world, self.duplicate_share, self.rng = world, duplicate_share, rng
        self.recent: dict[tuple[str, int], list[list[Any]]] = {}

    def partition_value(self, dataset: str, index: int) -> str | None:
        if dataset == opt.DECISIONS:
            return self.world.experiments[index].experiment_id
        return self.world.events[index]

    def batch(self, dataset: str, index: int, day: date,
              times: list[int]) -> tuple[pa.RecordBatch, int]:
        rng, recent = self.rng, self.recent.setdefault((dataset, index), [])
        enriched = day < opt.SESSION_ID_CUTOFF
        rows: list[list[Any]] = []
        dups = 0
        for pts in times:
            if recent and rng.random() < self.duplicate_share:
                row = list(rng.choice(recent))  # a redelivery: new process_timestamp only
                row[2] = pts
                if not enriched:
                    row[4] = None
                    if dataset == opt.EVENTS and row[6]:
                        row[6] = None
                dups += 1
            else:
                row = self._fresh(dataset, index, day, pts, enriched)
                if rng.random() < 0.05:
                    recent.append(row)
                    if len(recent) > self.RING:
                        recent.pop(0)
            rows.append(row)
        return self._arrays(dataset, rows), dups

    def _fresh(self, dataset: str, index: int, day: date, pts: int, enriched: bool) -> list[Any]:
        rng, world = self.rng, self.world
        u = rng.random()
        if u < 0.01:  # client clock ahead of the server
            lag = -rng.randrange(1_000, 56 * 60_000)
        elif u < 0.04:  # retro / batched sends: hours to days late
            lag = rng.randrange(3_600_000, 3 * DAY_MS)
        else:
            lag = rng.randrange(2_000, 90_000)
        who = rng.randrange(world.visitors)
        vid, web, agent, ip, engine, version, fixed = world.visitor(who)
        session = None
        if enriched:
            sid = _mix(world.salt, who, day.toordinal()) & 0xFFFFFFFF
            session = str(sid - (1 << 32) if sid >= 1 << 31 else sid)
        at = world.attribute_index
        if web:
            referer, source = _REFERERS[rng.randrange(len(_REFERERS))]
            attrs = fixed + (at[("600", None, "source_type", source)],)
            if rng.random() < 0.3:
                attrs += (at[("200", None, "campaign", "spring_sale")],)
            attrs += (at[_CAPTURED], at[_ENRICHED if rng.random() < 0.9 else _NOT_ENRICHED])
        else:
            referer, attrs = None, fixed + (at[_ENRICHED],)
        revision = str(world.revision + (day.toordinal() // 7) % 5 - (rng.random() < 0.1))
        head = [_uuid4(rng), pts - lag, pts, vid, session, world.account_id]
        tail = [revision, engine, version]
        if dataset == opt.DECISIONS:
            exp = world.experiments[index]
            holdback = exp.personalization and rng.random() < 0.05
            return head + [exp.campaign_id, exp.experiment_id, world.variation(who, index), attrs,
                           ip, agent, referer, holdback] + tail
        if enriched:
            picks = rng.sample(range(len(world.experiments)),
                               min(rng.choice((0, 1, 1, 2)), len(world.experiments)))
            experiments: tuple[Any, ...] | None = tuple(
                (world.experiments[e].campaign_id, world.experiments[e].experiment_id,
                 world.variation(who, e), False) for e in picks)
        else:
            experiments = None if rng.random() < 0.5 else ()
        name = world.events[index]
        revenue, value, quantity, tags = self._tags(name or "", web)
        return head + [experiments, world.entity_ids[index], attrs, ip, agent, referer, None, name,
                       revenue, value, quantity, tags] + tail

    def _tags(self, name: str, web: bool) -> tuple[int | None, float | None, int | None, tuple]:
        """Reserved tags as columns and every tag stringified in `tags` (empty when none)."""
        rng = self.rng
        if "purchase" not in name and "cart" not in name:
            return None, None, None, ()
        product, price, sku, category = _PRODUCTS[rng.randrange(len(_PRODUCTS))]
        qty = 1 if rng.random() < 0.8 else rng.randint(2, 3)
        tags: tuple[tuple[str, str], ...] = (("product", product), ("sku", sku))
        quantity = qty if qty > 1 else None
        if quantity:
            tags += (("quantity", str(qty)),)
        if "cart" in name:
            return (None if web else 0), None, quantity, tags
        cents = round(float(price) * 100) * qty
        tags = (("revenue", str(cents)),) + tags + (("price", price), ("category", category))
        value = round(rng.uniform(1.0, 5.0), 1) if rng.random() < 0.3 else None
        if value is not None:
            tags += (("value", str(value)),)
        return cents, value, quantity, tags

    def _arrays(self, dataset: str, rows: list[list[Any]]) -> pa.RecordBatch:
        schema = opt.SCHEMAS[dataset]
        columns = list(zip(*rows, strict=True)) if rows else [() for _ in schema]
        arrays: list[pa.Array] = []
        for f, col in zip(schema, columns, strict=True):
            if f.name == "attributes":
                offsets, flat = _flatten(col)
                child = self.world.attribute_array.take(pa.array(flat, pa.int32()))
                arrays.append(pa.ListArray.from_arrays(offsets, child, type=f.type))
            elif f.name == "experiments":
                offsets, flat = _flatten(col)
                parts = list(zip(*flat, strict=True)) if flat else [(), (), (), ()]
                child = pa.StructArray.from_arrays(
                    [pa.array(p, t.type) for p, t in zip(parts, opt.EXPERIMENT_TYPE, strict=True)],
                    fields=list(opt.EXPERIMENT_TYPE))
                mask = pa.array([c is None for c in col], pa.bool_())
                arrays.append(pa.ListArray.from_arrays(offsets, child, type=f.type, mask=mask))
            elif f.name == "tags":
                offsets, flat = _flatten(col)
                keys = pa.array([k for k, _ in flat], pa.string())
                items = pa.array([v for _, v in flat], pa.string())
                arrays.append(pa.MapArray.from_arrays(offsets, keys, items, type=f.type))
            else:
                arrays.append(pa.array(col, f.type))
        return pa.RecordBatch.from_arrays(arrays, schema=schema)


def _flatten(col: tuple[Any, ...]) -> tuple[pa.Array, list[Any]]:
    """Offsets and flat values of a column of tuples (None counts as empty)."""
    offsets, flat = [0], []
    for items in col:
        if items:
            flat.extend(items)
        offsets.append(len(flat))
    return pa.array(offsets, pa.int32()), flat


def _apportion(total: int, weights: list[float]) -> list[int]:
    """Split `total` rows by weight (largest remainder); every partition gets one if it can."""
    if total <= 0:
        return [0] * len(weights)
    floor_each = 1 if total >= len(weights) else 0
    rest = total - floor_each * len(weights)
    shares = [rest * w / sum(weights) for w in weights]
    counts = [int(s) for s in shares]
    order = sorted(range(len(weights)), key=lambda i: (counts[i] - shares[i], i))
    for i in order[: rest - sum(counts)]:
        counts[i] += 1
    return [c + floor_each for c in counts]


def _uuid4(rng: random.Random) -> str:
    bits = rng.getrandbits(128)
    bits = (bits & ~(0xF << 76)) | (0x4 << 76)
    bits = (bits & ~(0x3 << 62)) | (0x2 << 62)
    h = f"{bits:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
