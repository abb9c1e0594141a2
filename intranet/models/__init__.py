"""All tables, imported here so that metadata and Alembic see every one of them."""

from intranet.models.audit import AuditEvent
from intranet.models.outbox import JobRun, MailPreference, OutboxMessage, OutboxStatus
from intranet.models.people import Guardian, LoginSession, Role, TeacherStatus, User, UserRole
from intranet.models.structure import (
    Department,
    Discipline,
    Enrollment,
    Organisation,
    Platform,
    Speciality,
    StudyForm,
    StudyGroup,
    TeachingAssignment,
    TutorAssignment,
)

__all__ = [
    "AuditEvent",
    "Department",
    "Discipline",
    "Enrollment",
    "Guardian",
    "JobRun",
    "LoginSession",
    "MailPreference",
    "Organisation",
    "OutboxMessage",
    "OutboxStatus",
    "Platform",
    "Role",
    "Speciality",
    "StudyForm",
    "StudyGroup",
    "TeacherStatus",
    "TeachingAssignment",
    "TutorAssignment",
    "User",
    "UserRole",
]
