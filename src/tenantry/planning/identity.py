"""People are anchored to their HR id, not their email (issue 13 item 2). Pure.

The platform keeps an HR id on the user (`employerInfo.employeeId`). A plan finds each person's
user by HR id first and by email second, so an email change is an update of that user, never a
second user beside the first; users of an adopted org get their HR id written once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tenantry.errors import Problem
from tenantry.planning.desired import DesiredState

if TYPE_CHECKING:
    from tenantry.planning.builder import Builder


def anchor(b: Builder, desired: DesiredState) -> None:
    """Find each person's user by HR id first (employerInfo.employeeId), then by email.

    A user found by HR id under another email is that person with a changed email: it is keyed
    by the feed's email from here on, and renamed in the identity phase. A user found by email
    with no HR id is adopted: its HR id is written. A user found by email with another HR id is
    someone else: an error, never a silent merge."""
    by_hr = b.snap.user_by_hr_id()
    people = [(e, w.hr_id) for e, w in desired.users.items()]
    people += [(e, p.hr_id) for e, p in desired.leavers.items()]
    for email, hr_id in sorted(people):
        if not hr_id:
            continue
        u = by_hr.get(hr_id)
        if u is not None and u.email.lower() != email:
            other = b.users.get(email)
            if other is not None and other.id != u.id:
                b.plan.errors.append(
                    Problem(
                        "people",
                        None,
                        "email",
                        f"{email} (HR id {hr_id}) is the email of another user of the org "
                        f"(HR id {other.hr_id or 'none'}); the user with HR id {hr_id} is {u.email}",
                    )
                )
                continue
            b.identity[email] = (u.email.lower(), {"email": email})
            b.users[email] = u
            b.email_of[u.id] = email
            continue
        u = b.users.get(email)
        if u is None:
            continue
        if not u.hr_id:
            b.identity[email] = (email, {"employer_info": {"employeeId": hr_id}})
        elif u.hr_id != hr_id:
            b.plan.errors.append(
                Problem(
                    "people",
                    None,
                    "hr_id",
                    f"{email} is HR id {hr_id} in the feed but the org's user with that email is "
                    f"HR id {u.hr_id}: a different person; fix the feed or the user",
                )
            )
