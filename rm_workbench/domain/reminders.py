"""When something needs the RM's attention: the date rules behind the "Today" screen.

Pure functions over dates; the services turn them into set-based queries. "Today" is
the calendar day in Beijing time (Asia/Shanghai): an RM in Urumqi still works to the
bank's clock, and stored times are UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from rm_workbench.domain.formatting import SHANGHAI

# How far ahead maturities are shown, and the window around the dormancy threshold
# (customers about to turn dormant, and those that turned dormant recently).
MATURITY_WINDOW_DAYS = 30
DORMANCY_WINDOW_DAYS = 30


def local_today(now: datetime) -> date:
    """The calendar day in Beijing time at the aware instant ``now``."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"naive datetime refused, pass an aware one: {now!r}")
    return now.astimezone(SHANGHAI).date()


def day_start(day: date) -> datetime:
    """Midnight at the start of ``day`` in Beijing time, as a UTC datetime."""
    return datetime.combine(day, time(0), SHANGHAI).astimezone(UTC)


def local_date(moment: datetime) -> date:
    """The Beijing-time calendar day of an aware instant."""
    return moment.astimezone(SHANGHAI).date()


def week_of(day: date) -> tuple[date, date]:
    """Monday and Sunday of the calendar week holding ``day``."""
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def birthday_in(birth: date, year: int) -> date:
    """The birthday in ``year``; 29 February is kept on 1 March in other years
    (as :func:`~rm_workbench.domain.segmentation.age_on` counts it)."""
    if birth.month == 2 and birth.day == 29 and not _is_leap(year):
        return date(year, 3, 1)
    return birth.replace(year=year)


def birthday_keys(first: date, last: date) -> list[str]:
    """The ``MM-DD`` of birth dates whose birthday falls in ``first``..``last``
    (inclusive, at most a year), for matching the stored ISO birth dates."""
    keys: list[str] = []
    day = first
    while day <= last:
        keys.append(f"{day:%m-%d}")
        if day.month == 3 and day.day == 1 and not _is_leap(day.year):
            keys.append("02-29")
        day += timedelta(days=1)
    return keys


def next_birthday(birth: date, first: date) -> date:
    """The first birthday on or after ``first``."""
    this_year = birthday_in(birth, first.year)
    return this_year if this_year >= first else birthday_in(birth, first.year + 1)


@dataclass(frozen=True, slots=True)
class Dormancy:
    """Where a customer stands against the dormancy threshold.

    ``days`` is how many days are left before the customer turns dormant
    (``turned=False``), or how many days ago it happened (``turned=True``).
    """

    turned: bool
    days: int
    idle_days: int


def dormancy(
    last_sign: date, today: date, dormant_after_days: int, window: int = DORMANCY_WINDOW_DAYS
) -> Dormancy | None:
    """A customer whose last transaction or contact was on ``last_sign`` turns dormant
    ``dormant_after_days`` later. Reported from ``window`` days before that day until
    ``window`` days after it (then it is old news, not a reminder); None otherwise."""
    idle = (today - last_sign).days
    if dormant_after_days - window <= idle < dormant_after_days:
        return Dormancy(turned=False, days=dormant_after_days - idle, idle_days=idle)
    if dormant_after_days <= idle < dormant_after_days + window:
        return Dormancy(turned=True, days=idle - dormant_after_days, idle_days=idle)
    return None


def dormancy_sign_range(
    today: date, dormant_after_days: int, window: int = DORMANCY_WINDOW_DAYS
) -> tuple[date, date]:
    """The first and last day a last sign of life may fall on to be reported."""
    return (
        today - timedelta(days=dormant_after_days + window - 1),
        today - timedelta(days=dormant_after_days - window),
    )


def visit_overdue_days(last_visit: date | None, today: date, cadence_days: int) -> int | None:
    """Days a visit is overdue under a cadence (0: due today); None when not due.

    With no completed visit at all the visit is due now (0 days overdue). A cadence
    of 0 means the tier has no scheduled visits.
    """
    if cadence_days <= 0:
        return None
    if last_visit is None:
        return 0
    overdue = (today - last_visit).days - cadence_days
    return overdue if overdue >= 0 else None
