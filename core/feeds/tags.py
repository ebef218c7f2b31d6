"""Semantic tags: Amperity's vocabulary (amperity-couriers.md §4.5), validation and suggestions.

A tag says what a column *means* (an email, a primary key, an order id), so downstream work
(Stitch, the explorer's PII marks) does not guess from column names. Rules:

- Known tags: the profile (PII) tags, the key tags `pk`, `ck`, `sk`, and every `txn-item/<field>`
  Amperity documents.
- Namespaced key tags: `fk-<namespace>` and `bk-<label>` (lower-case words joined by hyphens).
- Other documented prefixes (`pc/`, `email-event/`, `email-summary/`, `email-opt/`, `sms-opt/`,
  `loy/`, `loy-event/`, `fiscal/`, `compliance/`, `blv/`) take any hyphenated field name, because
  Amperity does not publish a closed list for them.
- Custom tags are written `custom/<name>`. Amperity notes that a typo silently creates a new tag;
  here an unknown bare tag is an error with the closest suggestions instead.
Tags are case-insensitive and stored in lower case.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from courier.core.errors import ConfigError, did_you_mean

PROFILE_TAGS: tuple[str, ...] = (
    "address", "address2", "birthdate", "city", "company", "country", "create-dt", "email",
    "full-name", "gender", "generational-suffix", "given-name", "phone", "postal", "state",
    "surname", "title", "update-dt",
)
# Record timestamps are profile tags but say nothing about a person.
PII_TAGS: frozenset[str] = frozenset(PROFILE_TAGS) - {"create-dt", "update-dt"}
# Amperity allows these once per feed.
ONCE_PER_FEED: frozenset[str] = frozenset({"generational-suffix", "given-name", "surname"})

KEY_TAGS: tuple[str, ...] = ("pk", "ck", "sk")
KEY_PREFIXES: tuple[str, ...] = ("fk-", "bk-")

TXN_ITEM_FIELDS: tuple[str, ...] = (
    "order-id", "order-datetime", "product-id", "item-quantity", "item-revenue",
    "order-discount-amount", "is-cancellation", "is-return", "purchase-brand", "purchase-channel",
    "store-id", "currency", "digital-channel", "item-cost", "item-discount-amount",
    "item-discount-percent", "item-list-price", "item-profit", "item-subtotal", "item-tax-amount",
    "payment-method", "unit-cost", "unit-discount-amount", "unit-list-price", "unit-profit",
    "unit-revenue", "unit-subtotal", "unit-tax-amount",
)
TXN_ITEM_TAGS: tuple[str, ...] = tuple(f"txn-item/{field}" for field in TXN_ITEM_FIELDS)

OPEN_PREFIXES: tuple[str, ...] = (
    "pc/", "email-event/", "email-summary/", "email-opt/", "sms-opt/", "loy/", "loy-event/",
    "fiscal/", "compliance/", "blv/", "custom/",
)

VOCABULARY: frozenset[str] = frozenset(PROFILE_TAGS + KEY_TAGS + TXN_ITEM_TAGS)

_WORDS = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")


def validate_tag(tag: str) -> str:
    """Return the tag in its stored form, or raise ConfigError with the closest known tags."""
    value = tag.strip().lower()
    if value in VOCABULARY:
        return value
    for prefix in KEY_PREFIXES + OPEN_PREFIXES:
        if value.startswith(prefix):
            rest = value[len(prefix):]
            if _WORDS.fullmatch(rest):
                return value
            raise ConfigError(
                f'semantic tag "{tag}" needs a name after "{prefix}"',
                hint=f"write it as {prefix}<name> with lower-case letters, digits and hyphens, "
                     f"e.g. {prefix}{'web' if prefix.endswith('-') else 'my-field'}")
    if value.startswith("txn-item/"):
        raise ConfigError(f'unknown itemized-transaction tag "{tag}"', hint=_did_you_mean(value, TXN_ITEM_TAGS))
    raise ConfigError(f'unknown semantic tag "{tag}"', hint=_did_you_mean(value, sorted(VOCABULARY)))


def _did_you_mean(value: str, known: tuple[str, ...] | list[str]) -> str:
    close = did_you_mean(value, known, n=3, cutoff=0.5)
    custom = f"custom tags are written custom/{_slug(value) or 'name'}"
    if close:
        return f"{close} ({custom})"
    return f"see the tag list in `courier feeds suggest --help`; {custom}"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def is_pii(tag: str | None) -> bool:
    """True for tags that identify a person (shown as PII; only PII tables belong in Stitch)."""
    return bool(tag) and tag in PII_TAGS


# Column-name spellings (normalised: lower case, separators removed) -> tag.
_SUGGESTIONS: dict[str, tuple[str, ...]] = {
    "email": ("email", "emailaddress", "email1", "mail", "emailaddr"),
    "phone": ("phone", "phonenumber", "phone1", "mobile", "mobilephone", "cellphone", "cell",
              "telephone", "tel", "homephone"),
    "given-name": ("firstname", "givenname", "fname"),
    "surname": ("lastname", "surname", "familyname", "lname"),
    "full-name": ("fullname", "customername"),
    "postal": ("zip", "zipcode", "postalcode", "postcode", "postal", "zip5"),
    "address": ("address", "address1", "addressline1", "street", "streetaddress", "addr1"),
    "address2": ("address2", "addressline2", "addr2", "apartment", "suite"),
    "city": ("city", "town"),
    "state": ("state", "province", "stateprovince", "statecode"),
    "country": ("country", "countrycode"),
    "birthdate": ("birthdate", "dateofbirth", "dob", "birthday"),
    "gender": ("gender", "sex"),
    "company": ("company", "companyname", "organization", "organisation"),
    "title": ("title", "nameprefix", "salutation"),
    "generational-suffix": ("suffix", "namesuffix", "generationalsuffix"),
    "create-dt": ("createdat", "createdate", "created", "createdt", "creationdate", "createdon"),
    "update-dt": ("updatedat", "updatedate", "updated", "updatedt", "modifiedat", "lastmodified",
                  "modified", "updatedon"),
}
_BY_SPELLING: dict[str, str] = {spelling: tag for tag, names in _SUGGESTIONS.items() for spelling in names}
# Primary-key candidates, best first: Optimizely's decisions and events are keyed on `uuid`.
_PK_NAMES: tuple[str, ...] = ("uuid", "id", "eventid", "recordid")


def _normalise(column: str) -> str:
    return re.sub(r"[^a-z0-9]", "", column.lower())


def suggest_tags(columns: list[str]) -> dict[str, str]:
    """Tags proposed from column names, e.g. first_name -> given-name, uuid -> pk.

    At most one primary-key column is proposed (the best candidate) and once-per-feed tags
    go to the first column that matches.
    """
    suggested: dict[str, str] = {}
    used: set[str] = set()
    for column in columns:
        tag = _BY_SPELLING.get(_normalise(column))
        if tag is None or (tag in ONCE_PER_FEED and tag in used):
            continue
        suggested[column] = tag
        used.add(tag)
    by_name = {_normalise(c): c for c in columns}
    for candidate in _PK_NAMES:
        named = by_name.get(candidate)
        if named is not None and named not in suggested:
            suggested[named] = "pk"
            break
    return suggested


@dataclass(frozen=True)
class AppliedSuggestions:
    """A feed's tags and primary key after applying the suggestions; `new` is what was added."""

    new: dict[str, str]
    tags: dict[str, str]
    primary_key: list[str]


def apply_suggestions(columns: list[str], tags: dict[str, str], primary_key: list[str]) -> AppliedSuggestions:
    """Add the name-based suggestions to a feed's tags: the one rule `feeds suggest --apply` and the TUI use.

    A column that already has a tag, or is in the key, keeps it; a key is proposed only when the
    feed has none; a once-per-feed tag already on another column is not proposed again.
    """
    taken = set(tags.values())
    new = {column: tag for column, tag in suggest_tags(columns).items()
           if column not in tags and column not in primary_key
           and not (tag == "pk" and primary_key) and not (tag in ONCE_PER_FEED and tag in taken)}
    keys = list(primary_key) + [column for column, tag in new.items() if tag == "pk"]
    return AppliedSuggestions(new=new, tags={**tags, **new}, primary_key=keys)


def all_tags_help() -> str:
    """The vocabulary as text, for --help and the TUI's tag picker."""
    return (f"profile: {', '.join(PROFILE_TAGS)}; keys: pk, ck, sk, fk-<namespace>, bk-<label>; "
            f"txn-item/<field>; prefixes: {', '.join(p + '<name>' for p in OPEN_PREFIXES)}")
