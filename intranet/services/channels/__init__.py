"""System channels (§2.1, §2.2): announcements drafted, reviewed, published and read.

Modules: `manage` (channels and their review stages), `drafting` (revisions, conflicts),
`review` (submit, withdraw, approve, request changes, decline), `publication` (going live,
schedule, expiry, urgent publication, cancellation, Sferum post), `reading` (channel pages,
feeds, acknowledgements, history), `notify` (mail through the outbox) and `diff`.
Importing the package registers the worker's jobs.
"""

from intranet.services.channels import jobs  # noqa: F401  (registers the jobs)
