"""The help desk for Sferum problems: tickets, SLA, escalation to the vendor, inbound mail,
incidents, the knowledge base and reports.

Modules: categories (what users hit, and the questions asked), tickets (filing, replies,
the workflow), sla (working-hours clock), escalation (vendor cases), notify (mail),
inbound and imap (mail in), incidents, knowledge (articles, canned replies), queue,
reports, sweep (the worker's job, registered on import).
"""

from intranet.services.helpdesk import sweep  # noqa: F401  (registers the worker's jobs)
