"""Practice addresses of generated accounts (issue 15: matching to the public registries).

A pure function of the account's index and owner, so it draws nothing from the plan's random stream
(every other generated value stays what it was) and both CRMs get the same address. Each rep's
accounts sit in three ZIPs of their own, so the territories (ZIPs of a rep's accounts) do not overlap;
a quarter of the street lines carry a suite, as CRM addresses do."""

from __future__ import annotations

from dataclasses import dataclass

from ingest.registries.sample import npi_with_check_digit
from ingest.sandbox.generator.plan import Account

STREETS = ("Main Street", "Lake Shore Drive", "Oak Avenue", "Cedar Road", "Harbor Boulevard", "Elm Street",
           "Medical Center Parkway", "Summit Lane")  # fmt: skip
CITY, STATE = "Springfield", "IL"
FIRST_ZIP = 62701
ZIPS_PER_REP = 3
NPI_BASE = 500_000_000  # synthetic NPIs of generated accounts: 9-digit bases from here


@dataclass(frozen=True)
class Address:
    street: str
    city: str
    state: str
    postal_code: str  # ZIP+4 with a hyphen, as CRMs hold it


def account_address(account: Account) -> Address:
    rep = account.owner if account.owner is not None else account.index % 5
    zip5 = FIRST_ZIP + rep * ZIPS_PER_REP + account.index % ZIPS_PER_REP
    street = f"{100 + (account.index * 37) % 9000} {STREETS[account.index % len(STREETS)]}"
    if account.index % 4 == 1:
        street += f", Suite {100 * (1 + account.index % 5)}"
    return Address(street, CITY, STATE, f"{zip5}-{1000 + account.index % 9000:04d}")


def account_npi(account: Account) -> str | None:
    """Hospitals and SNFs carry their organisation NPI in the CRM (a custom field); practices do not,
    so the demo shows both matching paths (by NPI, by name and address)."""
    return npi_with_check_digit(NPI_BASE + account.index) if account.kind in ("hospital", "snf") else None
