"""Movement of students and staff, tutor distribution, the hand-over registry and the report.
Callers import this package.

Modules: core (labels, applying on the effective date, cancelling, history), students,
staff (hiring and leaving), handover (the registry) and handover_items (what the intranet's
own areas hand over), tutors (distribution by order), report (a period, CSV).
"""

from intranet.jobs import register_job
from intranet.services.movement import handover_items  # noqa: F401  (registers hand-overs)
from intranet.services.movement.core import (
    KIND_LABELS,
    STATUS_LABELS,
    apply,
    apply_due,
    cancel,
    history_for,
    kind_label,
    load,
    status_label,
)
from intranet.services.movement.handover import HANDOVERS, pending_for, problems, register_handover
from intranet.services.movement.report import (
    ReportFilters,
    check_period,
    report_query,
    report_table,
)
from intranet.services.movement.staff import HIRE_ROLES, hire, leave, staff_candidates
from intranet.services.movement.students import STUDENT_KINDS, graduate_group, move_student
from intranet.services.movement.tutors import assign as assign_tutor
from intranet.services.movement.tutors import bases_of, distribution, history_query


def _apply_due_job() -> None:
    """The worker applies movements whose effective date has come (in the college's zone)."""
    from intranet.i18n import local_today

    apply_due(local_today())


register_job("movement.apply_due", 600, _apply_due_job)

__all__ = [
    "HANDOVERS",
    "HIRE_ROLES",
    "KIND_LABELS",
    "STATUS_LABELS",
    "STUDENT_KINDS",
    "ReportFilters",
    "apply",
    "apply_due",
    "assign_tutor",
    "bases_of",
    "cancel",
    "check_period",
    "distribution",
    "graduate_group",
    "hire",
    "history_for",
    "history_query",
    "kind_label",
    "leave",
    "load",
    "move_student",
    "pending_for",
    "problems",
    "register_handover",
    "report_query",
    "report_table",
    "staff_candidates",
    "status_label",
]
