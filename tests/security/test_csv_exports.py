"""Every CSV export goes through the safe CSV helper (intranet/services/csvexport.py).

Each route whose path ends in .csv (the permission matrix's paths, and every statistics
table) is called as the first of admin, head and deputy it answers with 200, on a world
holding text that a spreadsheet would evaluate ("=1+1", "-2+3" in a name, a comment, an
audit summary, a ticket subject). Each answer must be text/csv, be exactly what the helper
wrote (so no export builds its CSV by hand), and every cell that carries such text starts
with an apostrophe; the exports that show people's text do show it, neutralised.
"""

from __future__ import annotations

import csv
import io
from datetime import date

from intranet.extensions import db
from intranet.models.base import utcnow
from intranet.models.movement import Movement, MovementKind, MovementStatus
from intranet.services import audit, csvexport
from intranet.services.stats import report
from tests import factories
from tests.permissions.world import build_world
from tests.security.support import sign_in, targets

MARKERS = ("=1+1", "-2+3")
ROLES = ("admin", "head", "deputy")
# Exports that list people's own text: the marker must be in them, neutralised.
SHOWN_IN = ("/people/export.csv", "/admin/audit.csv", "/movement/report.csv")


def seed(world) -> None:
    person = factories.user("student", last_name="=1+1", first_name="-2+3")
    audit.record("test.csv", actor=person, obj=person, summary="=1+1 summary")
    factories.ticket(person, subject="=1+1 subject")
    db.session.add(
        Movement(
            kind=MovementKind.EXPULSION,
            status=MovementStatus.APPLIED,
            person_id=person.id,
            effective_on=date.today(),
            applied_at=utcnow(),
            comment="=1+1 comment",
            created_by_id=world.admin.id,
        )
    )
    db.session.commit()


def csv_paths(app, world) -> list[str]:
    pages, _unresolved = targets(app, world, ("GET",))
    found = [t.path for t in pages if t.path.split("?")[0].endswith(".csv")]
    found += [f"/stats/{name}.csv" for name in report.TABLES]
    return list(dict.fromkeys(found))


def test_every_csv_export_is_written_by_the_safe_helper(app, client, monkeypatch):
    world = build_world()
    seed(world)
    written: list[str] = []
    original = csvexport.to_csv

    def recording(header, rows):
        written.append(original(header, rows))
        return written[-1]

    monkeypatch.setattr(csvexport, "to_csv", recording)
    failures: list[str] = []
    answered: set[str] = set()
    shown: set[str] = set()
    for path in csv_paths(app, world):
        for role in ROLES:
            sign_in(client, world.subject(role))
            written.clear()
            response = client.get(path)
            if response.status_code == 200:
                break
        else:
            continue  # a matrix row for a path that is refused or missing (e.g. a bad name)
        route = path.split("?")[0]
        answered.add(route)
        body = response.get_data(as_text=True)
        if response.mimetype != "text/csv":
            failures.append(f"{path}: {response.mimetype}, not text/csv")
            continue
        if written != [body]:
            failures.append(f"{path}: the answer is not what the CSV helper wrote")
            continue
        for row in csv.reader(io.StringIO(body.lstrip("\ufeff")), delimiter=";"):
            for cell in row:
                if any(m in cell for m in MARKERS):
                    shown.add(route)
                    if not cell.startswith("'"):
                        failures.append(f"{path}: cell {cell!r} would be evaluated")
    rules = {r.rule for r in app.url_map.iter_rules() if r.rule.endswith(".csv")}
    assert len(answered) >= len(rules), (answered, rules)
    missing = [route for route in SHOWN_IN if route not in shown]
    assert not missing, f"the seeded text is not in {missing}"
    assert not failures, "\n".join(failures)
