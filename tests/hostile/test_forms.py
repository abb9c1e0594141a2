"""Property-based fuzzing of every form: random and hostile field values never give a 5xx,
and a refused request changes no row.

The routes are every unsafe rule of app.url_map, with the paths and the form data of the
permission matrix's rows (tests/security/support.targets, as the CSRF check uses them), each
posted as the first subject the matrix lets use it (admin first). A first request with the
row's own data records the fields the view's WTForms form declares (their class and choices)
and any other key the view reads from request.form; Hypothesis then draws values for them:
text with markup, template syntax, formula prefixes, RTL overrides, zero-width characters,
NUL bytes and 10,000 characters; malformed dates, times, time zones, RRULEs, phone numbers
and numbers; a chosen value of a select or a value outside its choices; fields left out and
fields sent twice.

Each example runs in a savepoint of the test's transaction that is rolled back after it, so
every example starts from the same state. A refusal (a 200 or 422 that renders the form
again, 400, 403, 404, 405, 409, 413, 429) must leave every table as it was. On SQLite a write is noticed by the
connection's total_changes(); the full table contents are compared when it moved.

Bounded for CI: 4 random examples per route plus one with every field hostile. With
HYPOTHESIS_PROFILE=deep, 60 examples per route, and failures are shrunk.
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass, field

import wtforms
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from intranet.extensions import limiter
from intranet.services import throttle
from tests.hostile import support
from tests.hostile.support import (
    DATES,
    DEEP,
    NUMBERS,
    ODD,
    PHONES,
    RRULES,
    TIMES,
    XSS,
    ZONES,
    become,
    build_routes,
    crash_log,
    hostile_text,
    recording,
    rolled_back,
    subject_for,
    total_changes,
)
from tests.security.support import changed_tables, snapshot

IGNORED_COLUMNS = frozenset({"last_used_at", "last_seen_at"})
REFUSALS = {200, 400, 403, 404, 405, 409, 413, 422, 429}
# Unsafe routes whose 200 is a success that may write (a file handed over, with its audit
# record), each with the reason.
WRITING_200 = {
    "onboarding.person_link": "the page shows the new personal link; issuing it is recorded",
    "personal_data.export_person": "the export is the answer; the request is recorded",
    "personal_data.export_mine": "the export is the answer; the request is recorded",
    "onboarding.activation_sheet": "the printed sheet is the answer; issuing codes is recorded",
}
# Keys every form carries that the fuzzer leaves alone.
KEPT = {"csrf_token"}

SETTINGS = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", 60 if DEEP else 4)),
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.generate, Phase.shrink]
    if DEEP
    else [Phase.explicit, Phase.generate],
)


# --- what each form declares ------------------------------------------------------------------
@dataclass
class FieldSpec:
    name: str
    kind: str = "StringField"
    choices: list[str] = field(default_factory=list)


FIELDS: dict[str, FieldSpec] = {}


def _record_validate(original):
    def validate(self, *args, **kwargs):
        for item in self._fields.values() if hasattr(self, "_fields") else ():
            _note(item)
        return original(self, *args, **kwargs)

    return validate


def _note(item) -> None:
    if isinstance(item, wtforms.FormField):
        for sub in item.form:
            _note(sub)
        return
    if isinstance(item, wtforms.FieldList):
        for sub in item.entries:
            _note(sub)
        return
    spec = FieldSpec(item.name, type(item).__name__)
    choices = getattr(item, "choices", None)
    if choices and not callable(choices):
        try:
            spec.choices = [str(_choice_value(c)) for c in choices]
        except (TypeError, IndexError, AttributeError):
            spec.choices = []
    FIELDS[item.name] = spec


def _choice_value(choice):
    if hasattr(choice, "value"):
        return choice.value
    return choice[0] if isinstance(choice, tuple | list) else choice


# --- strategies -------------------------------------------------------------------------------
hostile = st.sampled_from(XSS + ODD + [hostile_text()])
weird_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40)
any_text = st.one_of(hostile, weird_text)


def _by_name(name: str):
    lowered = name.lower()
    if "rrule" in lowered or "repeat" in lowered or "recurr" in lowered:
        return st.sampled_from(RRULES)
    if "zone" in lowered or lowered in ("tz", "timezone"):
        return st.sampled_from(ZONES)
    if "phone" in lowered:
        return st.sampled_from(PHONES)
    if "email" in lowered or "address" in lowered:
        return st.sampled_from(["a@b", "@", "x" * 300 + "@example.com", "юзер@пример.рф"])
    if lowered.endswith(("_id", "_ids")) or lowered in ("id", "page"):
        return st.sampled_from(NUMBERS)
    return None


def _for(spec: FieldSpec):
    kind = spec.kind
    options = []
    if kind in ("FileField", "MultipleFileField"):
        return st.just("")
    if kind in ("IntegerField", "DecimalField", "FloatField", "IntegerRangeField"):
        options.append(st.one_of(st.sampled_from(NUMBERS), st.integers().map(str)))
    elif kind == "DateField":
        options.append(st.one_of(st.sampled_from(DATES), st.dates().map(str)))
    elif kind == "TimeField":
        options.append(
            st.one_of(st.sampled_from(TIMES), st.times().map(lambda t: t.strftime("%H:%M")))
        )
    elif kind in ("DateTimeField", "DateTimeLocalField"):
        options.append(
            st.one_of(
                st.sampled_from([f"{d}T{t}" for d in DATES[:3] for t in TIMES[:2]]),
                st.datetimes().map(lambda d: d.strftime("%Y-%m-%dT%H:%M")),
            )
        )
    elif kind == "BooleanField":
        options.append(st.sampled_from(["y", "on", "", "false"]))
    if spec.choices:
        options.append(st.sampled_from(spec.choices))
    named = _by_name(spec.name)
    if named is not None:
        options.append(named)
    options.append(any_text)
    return st.one_of(*options)


def _value(spec: FieldSpec):
    one = _for(spec)
    # Now and then the same field twice (a list is sent as repeated fields).
    return st.one_of(one, one, one, st.lists(one, min_size=2, max_size=3))


def form_data(specs: list[FieldSpec], base: dict):
    optional = {s.name: _value(s) for s in specs if s.name not in KEPT}
    return st.fixed_dictionaries({}, optional=optional).map(lambda d: {**base, **d})


# --- the run ----------------------------------------------------------------------------------
def test_every_form_survives_hostile_values(app, client):
    routes = build_routes(app)
    failures: list[str] = []
    counts = {"routes": 0, "requests": 0}
    original_validate = wtforms.form.BaseForm.validate
    grouped = defaultdict(list)
    for target in routes.posts:
        grouped[subject_for(routes, target)].append(target)
    # Signing out ends the session: those routes go last in their group.
    with crash_log(app) as crashes:
        for subject, items in grouped.items():
            items.sort(key=lambda t: "logout" in t.endpoint)
            become(client, routes.world, subject)
            client.get("/")  # the session's first use is written now, not in an example
            baseline = snapshot(ignore_columns=IGNORED_COLUMNS)
            cookie = client.get_cookie("intranet_session")
            for target in items:
                base = dict(target.data)
                FIELDS.clear()
                wtforms.form.BaseForm.validate = _record_validate(original_validate)
                try:
                    with rolled_back(), recording(app) as read:
                        first = client.post(target.path, data=dict(base))
                        keys = set(read)
                finally:
                    wtforms.form.BaseForm.validate = original_validate
                _restore(client, cookie)
                specs = dict(FIELDS)
                for key in keys - set(specs):
                    specs[key] = FieldSpec(key)
                specs_list = sorted(specs.values(), key=lambda s: s.name)
                if os.environ.get("FUZZ_DEBUG"):
                    print(
                        target.path,
                        subject,
                        first.status_code,
                        first.headers.get("Location"),
                        [(s.name, s.kind, s.choices[:3]) for s in specs_list],
                    )
                counts["routes"] += 1
                problem = _fuzz(
                    app, client, target, specs_list, base, baseline, cookie, crashes, counts
                )
                if problem:
                    failures.append(f"{target.method} {target.path} as {subject}: {problem}")
    print(f"hostile-inputs form_posts={counts['requests']} (routes={counts['routes']})")
    assert counts["routes"] > 100
    assert not failures, "\n".join(failures)


def _restore(client, cookie) -> None:
    if cookie is not None:
        client.set_cookie(cookie.key, cookie.value, domain=cookie.domain)


def _fuzz(app, client, target, specs, base, baseline, cookie, crashes, counts) -> str | None:
    every_field_hostile = {
        **base,
        **{s.name: hostile_text(s.name) for s in specs if s.name not in KEPT},
    }
    every_field_nul = {**base, **{s.name: "\x00" for s in specs if s.name not in KEPT}}

    @SETTINGS
    @example(every_field_hostile)
    @example(every_field_nul)
    @given(form_data(specs, base))
    def run(data):
        limiter.storage.reset()
        throttle.reset(app)
        try:
            with rolled_back():
                before = total_changes()
                mark = len(crashes)
                response = client.open(target.path, method=target.method, data=data)
                counts["requests"] += 1
                status = response.status_code
                assert status < 500, f"{status} {crashes[mark:]} for {_short(data)}"
                refused = status in REFUSALS and not (
                    status == 200 and target.endpoint in WRITING_200
                )
                if refused and (before is None or total_changes() != before):
                    changed = changed_tables(baseline, snapshot(ignore_columns=IGNORED_COLUMNS))
                    assert not changed, (
                        f"refused with {status} but changed {changed} for {_short(data)}"
                    )
        finally:
            _restore(client, cookie)

    try:
        run()
    except (AssertionError, ExceptionGroup) as error:
        return str(error).splitlines()[0][:600]
    return None


def _short(data: dict) -> dict:
    return {
        k: (v[:60] + f"…({len(v)})" if isinstance(v, str) and len(v) > 60 else v)
        for k, v in data.items()
        if k != "csrf_token"
    }


__all__ = ["support"]
