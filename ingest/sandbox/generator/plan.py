"""The CRM-neutral plan of a generated org: vocabulary, plan records, and drawing them from one seed."""

from __future__ import annotations

import bisect
import itertools
import math
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import Enum, IntEnum
from typing import Any

Record = dict[str, Any]
DAY = 1440  # minutes
# "Deleted records remain in the Recycle Bin for 15 days" (Salesforce Help, "Recycle Bin":
# https://help.salesforce.com/s/articleView?id=sf.home_delete.htm); the sandbox's realistic profile.
RECYCLE_BIN_DAYS = 15
JUNK_SHARE = 0.005  # each junk category, as a share of its population
HUBSPOT_FIRST_ID = 100_000_001  # HubSpot ids look like large numbers; numeric so OrgStore continues above
CRMS = ("salesforce", "hubspot")

# Bulk updates (imports, territory realignments, enrichment jobs) stamp many records with one modstamp.
BULK_UPDATES = tuple(day * DAY + 2 * 60 for day in (-700, -365, -120, -30, -7, -1))


# ---- vocabulary -----------------------------------------------------------------------------------
FIRST_NAMES = (
    "Ann", "Dana", "Sam", "José", "Priya", "Chloé", "Wei", "Fatima", "Liam", "Olu", "Mia", "Noah", "Zoë",
    "Hiroshi", "Ingrid", "Mateo", "Aisha", "Grace", "Rafael", "Sofía", "Tom", "Nadia", "Owen", "Elif",
)  # fmt: skip
LAST_NAMES = (
    "Reyes", "Lee", "Patel", "Nguyễn", "O'Brien", "García", "Müller", "Kowalski", "Okafor", "Johansson",
    "Smith", "Cohen", "Haddad", "Kim", "Zhang", "Rossi", "D'Angelo", "Fernández", "Søndergaard", "Dvořák",
    "Washington", "Chen", "Ivanova", "Brennan", "Yamamoto", "Núñez", "MacLeod", "Adeyemi", "Singh", "Moreau",
)  # fmt: skip
PLACES = (
    "Mercy", "Lakeside", "St. Jude", "Riverside", "Sainte-Thérèse", "Cedar Valley", "Northwood", "São José",
    "Bayview", "Highland", "Summit", "Green Meadows", "Saint Luke's", "Harbor", "Pinecrest", "Fairview",
)  # fmt: skip
SPECIALTIES = (
    "Family Medicine", "Internal Medicine", "Cardiology", "Pediatrics", "Orthopedics", "Neurology",
    "Pulmonology", "Geriatrics", "Primary Care", "Oncology Associates", "Wound Care Clinic", "Medical Group",
)  # fmt: skip
HOSPITAL_SUFFIXES = ("General Hospital", "Medical Center", "Regional Hospital", "Community Hospital")
SNF_SUFFIXES = ("Rehabilitation & Nursing", "Skilled Nursing Facility", "Care Center", "Post-Acute Care")
# Legitimate names outside ASCII (real orgs have them; they are not junk).
INTERNATIONAL_NAMES = (
    "東京メディカルクリニック", "北京协和 Family Practice", "서울 내과의원", "Clínica São José",
    "Hôpital Sainte-Thérèse", "Praxis Dr. Müller & Söhne", "Ærø Lægehus", "Smile Pediatrics 😊",
)  # fmt: skip
# Dirty data a CRM accumulates: whitespace, zero-width and control characters, RTL, combining marks.
JUNK_NAMES = (
    "  Mercy General Hospital  ", "Lakeside\u200bFamily Practice", "🏥🏥 Urgent Care 24/7 🚑", "مستشفى النور",
    "Zalgo C\u0301l\u0327i\u0308nic", "O’Brien & O'Brien Pediatrics", "Tab\tSeparated\tClinic",
    'Dr. "Bob" Smith; DROP TABLE accounts;--', "Line\nBreak Medical",
)  # fmt: skip
JUNK_SUBJECTS = (
    "visit 🙂🙂🙂",
    "\u202eelcitsiv\u202c",
    "   ",
    "Visite\u00a0–\u00a0suivi",
    "面談\n(要フォロー)",
)
TITLES = ("Physician", "Physician", "Nurse Practitioner", "Physician Assistant", "Case Manager",
          "Discharge Planner", "Social Worker", "Office Manager")  # fmt: skip
PERSON_TASK_SUBJECTS = (
    "Send updated brochure", "Follow up on referral packet", "Overdue visit – call office manager",
    "Ask about the new hospitalist group", "Renew BAA paperwork",
)  # fmt: skip


class Status(Enum):
    ACTIVE = "active"
    PROSPECT = "prospect"
    OUT_OF_SCOPE = "out_of_scope"


class Kind(IntEnum):
    """What an activity is, CRM-neutrally; each CRM shapes it its own way (see the shapers)."""

    VISIT = 0  # Salesforce Event "Visit"; HubSpot meeting COMPLETED
    MEETING = 1  # Event "Meeting"; meeting COMPLETED
    TASK_VISIT = 2  # Task Type "Visit", Completed; meeting COMPLETED
    PLANNED = 3  # future Event "Visit"; meeting SCHEDULED
    CALL = 4  # Event "Call" (not a visit); meeting CANCELED
    EMAIL = 5  # Event "Email" (not a visit); meeting NO_SHOW


COUNTED_KINDS = (Kind.VISIT, Kind.MEETING, Kind.TASK_VISIT)
SUBJECTS = {
    Kind.VISIT: ("Drop-in visit", "Lunch-and-learn", "Quarterly check-in", "In-service training",
                 "Referral follow-up", "Meet the new case manager", "Discharge planning huddle",
                 "Visite – Dr. Lefèvre", "Café & croissants ☕"),
    Kind.MEETING: ("Quarterly business review", "Partnership meeting", "Intro meeting", "Contract review"),
    Kind.TASK_VISIT: ("Logged visit", "Visit – dropped off brochures"),
    Kind.PLANNED: ("Planned visit", "Lunch-and-learn (booked)"),
    Kind.CALL: ("Call office manager", "Phone follow-up"),
    Kind.EMAIL: ("Sent referral packet", "Email: updated intake form"),
}  # fmt: skip


# ---- the CRM-neutral plan ----------------------------------------------------------------------------
@dataclass(slots=True)
class Rep:
    first_name: str
    last_name: str
    email: str
    diligent: bool  # diligent reps visit around the cadence; the others every 45-90 days
    created: int
    modstamp: int = 0


@dataclass(slots=True)
class Account:
    index: int
    name: str
    kind: str  # hospital | practice | snf
    status: Status
    variant: float  # picks the CRM's label within the status (e.g. which active Type)
    owner: int | None  # rep index; None is junk
    cadence_days: int | None
    parent: int | None
    created: int
    deleted: bool = False
    modstamp: int = 0


@dataclass(slots=True)
class Contact:
    account: int
    first_name: str
    last_name: str
    title: str
    created: int
    deleted: bool = False
    modstamp: int = 0


@dataclass(slots=True)
class Referral:
    account: int
    patient_initials: str
    created: int
    deleted: bool = False
    modstamp: int = 0


@dataclass(slots=True)
class Activity:
    account: int  # account index; negative: a phantom account that does not exist (orphan junk)
    kind: Kind
    start: int
    owner: int
    subject: str
    created: int
    what_only: bool = False  # Salesforce: AccountId null, the account only in WhatId
    undated: bool = False  # only the timestamp carries the date (ActivityDate / start time null)
    deleted: bool = False
    modstamp: int = 0


@dataclass(slots=True)
class PersonTask:
    """A task a person wrote: carries no cadence key, so the writeback must never touch it."""

    account: int
    owner: int
    subject: str
    due_day: int
    done: bool
    created: int
    modstamp: int = 0


@dataclass
class OrgPlan:
    anchor: date
    reps: list[Rep]
    accounts: list[Account]
    phantom_accounts: int
    contacts: list[Contact]
    referrals: list[Referral]
    activities: list[Activity]
    person_tasks: list[PersonTask]
    seed: int = 0  # people.plan_people draws attendees and referrers from it


# ---- planning -------------------------------------------------------------------------------------
def plan_org(accounts: int, seed: int, visits: int, anchor: date, junk: bool = True) -> OrgPlan:
    """Draw the CRM-neutral org; `visits` is the total number of activity records to produce."""
    rng = random.Random(seed)
    reps = _plan_reps(rng, max(2, round(accounts / 100)))
    plan = OrgPlan(anchor, reps, _plan_accounts(rng, accounts, reps), 0, [], [], [], [], seed)
    plan.contacts = _plan_contacts(rng, plan.accounts)
    plan.referrals = _plan_referrals(rng, plan.accounts, plan.contacts)
    _plan_visits(rng, plan, visits, junk)
    plan.person_tasks = _plan_person_tasks(rng, plan.accounts, len(reps))
    if junk:
        _add_junk_flags(rng, plan)
    _stamp_modstamps(rng, plan)
    return plan


def _junk_count(population: int) -> int:
    return math.ceil(population * JUNK_SHARE) if population > 0 else 0


def _plan_reps(rng: random.Random, count: int) -> list[Rep]:
    reps = []
    for index in range(count):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        email = f"{_ascii_slug(first)}.{_ascii_slug(last)}.{index + 1}@example.com"
        created = -rng.randint(760, 1100) * DAY + rng.randrange(DAY)
        reps.append(Rep(first, last, email, diligent=rng.random() < 0.6, created=created))
    return reps


def _ascii_slug(text: str) -> str:
    return "".join(ch for ch in text.lower() if "a" <= ch <= "z") or "rep"


def _plan_accounts(rng: random.Random, count: int, reps: list[Rep]) -> list[Account]:
    accounts = []
    hospitals: list[int] = []
    for index in range(count):
        kind = _pick(rng, (("hospital", 0.1), ("practice", 0.75), ("snf", 0.15)))
        status = _pick(rng, ((Status.ACTIVE, 0.45), (Status.PROSPECT, 0.40), (Status.OUT_OF_SCOPE, 0.15)))
        # Prospects are recent; active sources span the ~2 years the CRM has been in use.
        span = (1, 270) if status is Status.PROSPECT else (60, 730) if status is Status.ACTIVE else (1, 730)
        created = -rng.randint(*span) * DAY + 13 * 60 + rng.randrange(8 * 60)
        cadence = rng.choice((14, 21, 45, 60)) if rng.random() < 0.10 else None
        parent = rng.choice(hospitals) if kind == "practice" and hospitals and rng.random() < 0.05 else None
        owner = rng.randrange(len(reps))
        accounts.append(
            Account(
                index, _account_name(rng, kind), kind, status, rng.random(), owner, cadence, parent, created
            )
        )
        if kind == "hospital":
            hospitals.append(index)
    return accounts


def _pick(rng: random.Random, weighted: Sequence[tuple[Any, float]]) -> Any:
    draw = rng.random()
    for value, weight in weighted:
        draw -= weight
        if draw < 0:
            return value
    return weighted[-1][0]


def _account_name(rng: random.Random, kind: str) -> str:
    if rng.random() < 0.02:
        return rng.choice(INTERNATIONAL_NAMES)
    if kind == "hospital":
        return f"{rng.choice(PLACES)} {rng.choice(HOSPITAL_SUFFIXES)}"
    if kind == "snf":
        return f"{rng.choice(PLACES)} {rng.choice(SNF_SUFFIXES)}"
    stem = rng.choice(LAST_NAMES) if rng.random() < 0.6 else rng.choice(PLACES)
    return f"{stem} {rng.choice(SPECIALTIES)}"


def _referrer_count(rng: random.Random, kind: str) -> int:
    """Group practices and hospitals have many referrers; single-doctor offices have one."""
    if kind == "hospital":
        return rng.randint(3, 12)
    if kind == "snf":
        return rng.randint(1, 4)
    return _pick(rng, ((1, 0.30), (rng.randint(2, 4), 0.35), (rng.randint(5, 12), 0.35)))


def _plan_contacts(rng: random.Random, accounts: list[Account]) -> list[Contact]:
    contacts, rand = [], rng.random
    for account in accounts:
        for _ in range(_referrer_count(rng, account.kind)):
            created = account.created + int(rand() * (-account.created // 2))
            first, last = _choice(rand, FIRST_NAMES), _choice(rand, LAST_NAMES)
            contacts.append(Contact(account.index, first, last, _choice(rand, TITLES), created))
    return contacts


def _choice(rand: Callable[[], float], options: Sequence[Any]) -> Any:
    """random.choice at a fraction of the cost, for the loops that run millions of times."""
    return options[int(rand() * len(options))]


def _plan_referrals(rng: random.Random, accounts: list[Account], contacts: list[Contact]) -> list[Referral]:
    """Referrals scale with the number of referrers, and active sources refer far more."""
    rate = {Status.ACTIVE: 0.6, Status.PROSPECT: 0.15, Status.OUT_OF_SCOPE: 0.05}
    referrers = [0] * len(accounts)
    for contact in contacts:
        referrers[contact.account] += 1
    referrals, rand = [], rng.random
    letters = "ABCDEFGHJKLMNPRSTW"
    for account in accounts:
        for _ in range(int(referrers[account.index] * rate[account.status] * 2 * rand() + 0.5)):
            created = account.created + int(rand() * -account.created)
            initials = f"{_choice(rand, letters)}. {_choice(rand, letters)}."
            referrals.append(Referral(account.index, initials, created))
    return referrals


@dataclass(slots=True)
class _Rhythm:
    """How one account gets visited: `count` visits, the last `days_since_last` days ago, every ~`gap`."""

    account: Account
    gap: float
    days_since_last: int
    weight: float = 0.0  # share of the visit budget (active sources); fixed counts otherwise
    count: int = 0


def _plan_visits(rng: random.Random, plan: OrgPlan, budget: int, junk: bool) -> None:
    planned = min(round(0.10 * len(plan.accounts)), budget // 10)
    non_visits = budget // 20
    duplicates = orphans = _junk_count(budget) if junk else 0
    past = max(0, budget - planned - non_visits - duplicates - orphans)
    rhythms = [_rhythm(rng, account, plan.reps) for account in plan.accounts]
    _allocate(rhythms, past)
    for rhythm in rhythms:
        _place_visits(rng, plan, rhythm)
    _add_planned_visits(rng, plan, planned)
    _add_non_visits(rng, plan, non_visits)
    if junk:
        _add_duplicate_visits(rng, plan, duplicates)
        _add_orphan_visits(rng, plan, orphans)
    # Records are listed (and get their ids) in creation order, as in a real org.
    plan.activities.sort(key=lambda activity: activity.created)


def _rhythm(rng: random.Random, account: Account, reps: list[Rep]) -> _Rhythm:
    cadence = account.cadence_days or 30
    if account.status is Status.ACTIVE:
        diligent = account.owner is not None and reps[account.owner].diligent
        gap = cadence * (rng.uniform(0.65, 0.95) if diligent else rng.uniform(1.5, 3.0))
        lapsed = rng.random() < 0.10  # even a diligent rep lets some sources slip
        since = cadence + rng.randint(1, 120) if lapsed else rng.randint(1, max(1, round(gap)))
        never_visited = rng.random() < 0.03
        return _Rhythm(account, gap, since, weight=0.0 if never_visited else -account.created / DAY / gap)
    if account.status is Status.PROSPECT:
        # The monthly waterfall: 0..7 visits; about a third stalled (last visit beyond the cadence).
        count = _pick(
            rng, ((0, 0.15), (1, 0.2), (2, 0.15), (3, 0.12), (4, 0.1), (5, 0.1), (6, 0.1), (7, 0.08))
        )
        stalled = rng.random() < 0.35
        since = cadence + rng.randint(1, 90) if stalled else rng.randint(1, cadence)
        return _Rhythm(account, cadence, since, count=count)
    return _Rhythm(account, 90.0, rng.randint(1, 365), count=rng.randint(0, 3))


def _allocate(rhythms: list[_Rhythm], budget: int) -> None:
    """Prospects and out-of-scope accounts keep their counts; active sources share what is left."""
    fixed = [rhythm for rhythm in rhythms if rhythm.weight == 0.0]
    fixed_total = sum(rhythm.count for rhythm in fixed)
    if fixed_total > budget:  # a tiny budget: shrink the fixed counts proportionally
        for rhythm, count in zip(fixed, _apportion(budget, [r.count for r in fixed]), strict=True):
            rhythm.count = count
        fixed_total = budget
    weighted = [rhythm for rhythm in rhythms if rhythm.weight > 0.0]
    for rhythm, count in zip(
        weighted, _apportion(budget - fixed_total, [r.weight for r in weighted]), strict=True
    ):
        rhythm.count = count


def _apportion(total: int, weights: Sequence[float]) -> list[int]:
    """Integers proportional to `weights` summing exactly to `total` (cumulative rounding)."""
    whole = sum(weights)
    if total <= 0 or whole <= 0:
        return [0] * len(weights)
    last = max(i for i, weight in enumerate(weights) if weight > 0)
    counts, cumulative, given = [], 0.0, 0
    for index, weight in enumerate(weights):
        cumulative += weight
        target = total if index == last else min(total, math.floor(total * cumulative / whole))
        counts.append(target - given)
        given = target
    return counts


def _place_visits(rng: random.Random, plan: OrgPlan, rhythm: _Rhythm) -> None:
    """Visits walk back from the last one at the account's gap (jittered), never twice on one day."""
    account, rand = rhythm.account, rng.random
    if account.status is Status.OUT_OF_SCOPE:
        days = sorted(-d for d in rng.sample(range(1, 366), min(rhythm.count, 365)))
    else:
        day, days = -rhythm.days_since_last, []
        for _ in range(rhythm.count):
            days.append(day)
            day -= max(1, int(rhythm.gap * (0.75 + 0.5 * rand()) + 0.5))
    append, rep_count = plan.activities.append, len(plan.reps)
    for day in days:
        draw = rand()
        kind = Kind.VISIT if draw < 0.78 else Kind.MEETING if draw < 0.93 else Kind.TASK_VISIT
        append(_activity(rand, rep_count, account, day, kind))
    if days:  # an account exists before its first visit
        account.created = min(account.created, (min(days) - rng.randint(1, 30)) * DAY + rng.randrange(DAY))


def _activity(
    rand: Callable[[], float], rep_count: int, account: Account | None, day: int, kind: Kind
) -> Activity:
    start = day * DAY + 13 * 60 + int(rand() * 32) * 15  # 13:00-20:45 UTC: US office hours
    owner = account.owner if account is not None and account.owner is not None else -1
    if owner < 0 or rand() < 0.08:  # a ride-along or covering rep logged it
        owner = int(rand() * rep_count)
    subjects = SUBJECTS[kind]
    subject = subjects[int(rand() * len(subjects))]
    if day > 0:  # booked up to two weeks ago, but not before the account existed
        logged = max(-int(rand() * 14 * DAY) - 1, account.created if account else -DAY)
    else:
        logged = min(-1, start + 30 + int(rand() * 600))
    # Logged visits (Tasks) always carry their date and account; other records sometimes lack one.
    draw = 1.0 if kind is Kind.TASK_VISIT else rand()
    return Activity(
        account.index if account else -1,
        kind,
        start,
        owner,
        subject,
        logged,
        draw < 0.05,
        0.05 <= draw < 0.06,
    )


def _add_planned_visits(rng: random.Random, plan: OrgPlan, count: int) -> None:
    in_scope = [a for a in plan.accounts if a.status is not Status.OUT_OF_SCOPE]
    for account in rng.sample(in_scope, min(count, len(in_scope))):
        plan.activities.append(
            _activity(rng.random, len(plan.reps), account, rng.randint(1, 21), Kind.PLANNED)
        )


def _add_non_visits(rng: random.Random, plan: OrgPlan, count: int) -> None:
    """Calls and emails (Salesforce) / canceled and no-show meetings (HubSpot): records, not visits."""
    if not plan.accounts:
        return
    for _ in range(count):
        account = plan.accounts[int(rng.random() * len(plan.accounts))]
        kind = Kind.CALL if rng.random() < 0.5 else Kind.EMAIL
        day = -rng.randint(1, max(1, min(365, -account.created // DAY)))
        plan.activities.append(_activity(rng.random, len(plan.reps), account, day, kind))


def _add_duplicate_visits(rng: random.Random, plan: OrgPlan, count: int) -> None:
    """A second record of a visit on the same day (two reps logged it): still one visit."""
    counted = [a for a in plan.activities if a.kind in COUNTED_KINDS]
    for original in rng.sample(counted, min(count, len(counted))):
        account = plan.accounts[original.account]
        day = original.start // DAY
        copy = _activity(rng.random, len(plan.reps), account, day, Kind.VISIT)
        copy.start = min(original.start + rng.randint(1, 8) * 15, day * DAY + DAY - 1)
        plan.activities.append(copy)


def _add_orphan_visits(rng: random.Random, plan: OrgPlan, count: int) -> None:
    """Visits whose account id points at no account (deleted for good, or mistyped)."""
    plan.phantom_accounts = max(1, count // 3) if count else 0
    for index in range(count):
        orphan = _activity(rng.random, len(plan.reps), None, -rng.randint(1, 365), Kind.VISIT)
        orphan.account = -1 - index % plan.phantom_accounts
        plan.activities.append(orphan)


def _plan_person_tasks(rng: random.Random, accounts: list[Account], rep_count: int) -> list[PersonTask]:
    tasks: list[PersonTask] = []
    if not accounts:
        return tasks
    for _ in range(max(3, round(0.02 * len(accounts)))):
        account = accounts[rng.randrange(len(accounts))]
        owner = account.owner if account.owner is not None else rng.randrange(rep_count)
        due_day = rng.randint(-20, 20)
        created = max(min(due_day, 0) * DAY - rng.randint(1, 30) * DAY, account.created)
        done = rng.random() < 0.3
        tasks.append(
            PersonTask(account.index, owner, rng.choice(PERSON_TASK_SUBJECTS), due_day, done, created)
        )
    return tasks


def _add_junk_flags(rng: random.Random, plan: OrgPlan) -> None:
    """Null owners, deleted records and odd unicode: each about 0.5% of its population."""
    accounts = plan.accounts
    for account in rng.sample(accounts, _junk_count(len(accounts))):
        account.owner = None
    for account in rng.sample(accounts, _junk_count(len(accounts))):
        account.deleted = True
    for account in rng.sample(accounts, _junk_count(len(accounts))):
        account.name = rng.choice(JUNK_NAMES)
    for collection in (plan.contacts, plan.referrals, plan.activities):
        for record in rng.sample(collection, _junk_count(len(collection))):
            record.deleted = True
    for activity in rng.sample(plan.activities, _junk_count(len(plan.activities))):
        activity.subject = rng.choice(JUNK_SUBJECTS)


def _stamp_modstamps(rng: random.Random, plan: OrgPlan) -> None:
    rand = rng.random
    groups: Iterable[Iterable[Any]] = (
        plan.reps,
        plan.accounts,
        plan.contacts,
        plan.referrals,
        plan.activities,
        plan.person_tasks,
    )
    for record in itertools.chain.from_iterable(groups):
        created = record.created
        draw = rand()
        if getattr(record, "deleted", False):  # deleting a record stamps it
            # Deleted inside the last RECYCLE_BIN_DAYS: an org's bin holds no older deletes (they are
            # purged), and HubSpot keeps archived records longer (90 days), so both CRMs hold them all.
            record.modstamp = max(created, int(rand() * -RECYCLE_BIN_DAYS * DAY))
        elif draw < 0.45:  # never edited since it was created
            record.modstamp = created
        elif draw < 0.75:  # edited by hand later
            record.modstamp = created + int(rand() * -created)
        else:  # touched by a bulk update: many records share this exact modstamp
            first = bisect.bisect_left(BULK_UPDATES, created)
            eligible = len(BULK_UPDATES) - first
            record.modstamp = BULK_UPDATES[first + int(rand() * eligible)] if eligible else created
