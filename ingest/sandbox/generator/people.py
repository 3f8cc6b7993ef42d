"""Who was met and who referred: contacts drawn onto the plan's visits and referrals.

Drawn after the plan, from their own `random.Random`, so adding people changes no record the plan drew
before (ids, stamps and the cadence story stay as they were). Per activity at an account with live
contacts: most name one contact (Salesforce `WhoId`, the first of the tuple); some invite one or two more
(Salesforce `EventRelation` invitees). HubSpot associates the meeting with all of them. Most referrals
name one contact (Salesforce `OpportunityContactRole`, primary; HubSpot deal → contact).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from ingest.sandbox.generator.plan import OrgPlan

_WITH_WHO = 0.7  # share of activities naming the contact met
_WITH_INVITEES = 0.25  # share of those inviting more contacts
_WITH_REFERRER = 0.8  # share of referrals naming who referred
_SEED_SALT = 0x5EED


@dataclass(frozen=True, slots=True)
class People:
    attendees: dict[int, tuple[int, ...]]  # activity position → contact positions (first: the WhoId)
    referrers: dict[int, int]  # referral position → contact position


def plan_people(plan: OrgPlan) -> People:
    """The attendees and referrers of `plan` (positions in plan.activities / contacts / referrals)."""
    rng = random.Random(plan.seed ^ _SEED_SALT)
    by_account: dict[int, list[int]] = {}
    for position, contact in enumerate(plan.contacts):
        if not contact.deleted:
            by_account.setdefault(contact.account, []).append(position)
    attendees: dict[int, tuple[int, ...]] = {}
    for position, activity in enumerate(plan.activities):
        known = by_account.get(activity.account)
        if known and rng.random() < _WITH_WHO:
            extra = rng.randint(1, 2) if len(known) > 1 and rng.random() < _WITH_INVITEES else 0
            attendees[position] = tuple(rng.sample(known, min(len(known), 1 + extra)))
    referrers = {
        position: rng.choice(by_account[referral.account])
        for position, referral in enumerate(plan.referrals)
        if by_account.get(referral.account) and rng.random() < _WITH_REFERRER
    }
    return People(attendees, referrers)
