"""The checks: every route as every attacker, without signing in, with forged
signed links, and the positive control from the victim's own side. Each
returns the problems it found."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from flask import Flask
from werkzeug.routing import Rule

from tests.support.isolation.attackers import Attacker
from tests.support.isolation.bodies import body_for
from tests.support.isolation.callers import (
    Caller,
    anonymous_caller,
    attacker_caller,
    victim_callers,
)
from tests.support.isolation.data import (
    changed_tables,
    foreign_references,
    leaked_markers,
    sent_values,
    snapshot,
    text_of,
)
from tests.support.isolation.links import SIGNED_LINK_ENDPOINTS, attacker_link_tokens
from tests.support.isolation.routes import kind_of, methods_of, path_for, routes
from tests.support.isolation.victim import Victim

# A status the victim's own side may get from a write and still have reached
# the row (the body, the row's state or its If-Match version is checked after
# the lookup).
REACHED = frozenset({400, 409, 412, 422, 428})


def _is_login_redirect(response) -> bool:
    return (
        response.status_code in (301, 302, 303, 307, 308)
        and urlsplit(response.headers.get("Location", "")).path.rstrip("/") == "/login"
    )


def _former_control(
    app: Flask, attackers: list[Attacker], only: Callable[[Rule], bool] | None
) -> list[str]:
    """The former provider's 404s mean something only if, while engaged, it
    could open its rows through the provider console."""
    provider_routes = [
        r
        for r in routes(app)
        if r.rule.startswith("/provider/")
        and kind_of(r) == "id"
        and "GET" in methods_of(r)
        and (not only or only(r))
    ]
    return [
        f"the former provider opened none of {len(provider_routes)} provider id routes with"
        " the rows handed to it while it was engaged, so its 404s after the engagement"
        " ended prove nothing (see _end_former_engagement)"
        for a in attackers
        if a.past is not None and provider_routes and not a.reached_while_engaged
    ]


Path = tuple[str, str, frozenset[str]]  # path, whose ids, the parameters given victim ids


def _paths(rule: Rule, victim: Victim, attacker: Attacker) -> list[Path]:
    """The victim's ids; and where a route takes several, the attacker's own
    ids with one victim id among them (the inner lookup must check too)."""
    whose = f"the {victim.variant} victim's ids" if victim.variant else "victim ids"
    paths = [(path_for(rule, victim.ids), whose, frozenset(rule.arguments))]
    if attacker.own is not None and len(rule.arguments) > 1:
        for name in sorted(rule.arguments):
            mixed = {**attacker.own.ids, name: victim.id(name)}
            paths.append(
                (
                    path_for(rule, mixed),
                    f"the attacker's own ids but the victim's {name}",
                    frozenset({name}),
                )
            )
    return paths


@dataclass
class _Probe:
    method: str
    rule: Rule
    kind: str
    path: str
    whose: str
    victim_params: frozenset[str]


def _probes(app: Flask, targets: list[Victim], attacker: Attacker, only) -> list[_Probe]:
    """Every request one attacker sends, reads first: GETs are checked for
    changes as one batch, so the slow snapshot runs once per write instead
    of once per request."""
    probes = []
    for rule in routes(app):
        kind = kind_of(rule)
        if kind not in ("id", "plain", "public") or (only and not only(rule)):
            continue
        paths = [p for t in targets for p in _paths(rule, t, attacker)]
        if kind != "id":
            # A page without ids may still take them in its query string
            # (?supplier_id= to preselect, filter or prefill).
            query = urlencode(sorted(targets[0].ids.items()))
            paths = [paths[0], (f"{paths[0][0]}?{query}", "victim ids in the query", frozenset())]
        for method in methods_of(rule):
            for path, whose, given in paths if method == "GET" or kind == "id" else paths[:1]:
                probes.append(_Probe(method, rule, kind, path, whose, given))
    return sorted(probes, key=lambda p: p.method != "GET")


def check_foreign_access(
    app: Flask,
    victim: Victim,
    attackers: list[Attacker],
    only: Callable[[Rule], bool] | None = None,
) -> list[str]:
    """Every route, as every attacker: 404 for victim ids, no victim data shown,
    nothing of the victim's changed. Returns the problems found."""
    problems: list[str] = []
    # The victim's rows, and those it handed to a provider whose engagement has ended.
    targets = [victim, *(a.past for a in attackers if a.past is not None)]
    problems += _former_control(app, attackers, only)
    baseline = snapshot(app, victim)

    def send(caller: Caller, attacker: Attacker, probe: _Probe) -> tuple[str, int]:
        rule, path, method = probe.rule, probe.path, probe.method
        data = body_for(app, rule, caller, victim) if method != "GET" else None
        response = caller.open(method, path, data)
        where = f"{method} {rule.rule} as {caller.label} ({path})"
        status = response.status_code
        readable = probe.kind == "id" and probe.victim_params <= attacker.may_read
        if probe.kind == "id" and not readable and status != 404:
            problems.append(f"{where}: expected 404 for {probe.whose}, got {status}")
        elif readable and method != "GET" and status not in (403, 404):
            problems.append(
                f"{where}: a provider may read client reference data, not write it; got {status}"
            )
        elif status >= 500:
            problems.append(f"{where}: server error {status}")
        sent = sent_values(path, data) | attacker.allowed
        sent |= set().union(*(t.markers_of(attacker.may_read) for t in targets))
        leaked = leaked_markers(text_of(response), targets, sent, ids_too=probe.kind != "id")
        if leaked:
            problems.append(f"{where}: response shows victim data {leaked}")
        if moved := caller.session_problem():
            problems.append(f"{where}: {moved}")
        return where, status

    def changed(where: str) -> bool:
        nonlocal baseline
        after = snapshot(app, victim)
        if after == baseline:
            return False
        problems.append(
            f"{where}: changed victim data: {', '.join(changed_tables(baseline, after))}"
        )
        baseline = after
        return True

    for attacker in attackers:
        caller = attacker_caller(app, attacker)
        probes = _probes(app, targets, attacker, only)
        reads = [p for p in probes if p.method == "GET"]
        for probe in reads:
            send(caller, attacker, probe)
        # Reads, and writes the app refused (web.py rolls back any answer of 400
        # or more), are checked in batches; a culprit is named if it does it again.
        rules = ", ".join(sorted({p.rule.rule for p in reads}))
        if changed(f"one of the GET requests as {caller.label} (to {rules})"):
            for probe in reads:
                changed(send(caller, attacker, probe)[0])
        refused: list[_Probe] = []
        for probe in probes[len(reads) :]:
            where, status = send(caller, attacker, probe)
            if status >= 400:
                refused.append(probe)
                continue
            changed(
                where + (f" (or one of {len(refused)} refused writes before it)" if refused else "")
            )
            refused.clear()
        rules = ", ".join(sorted({f"{p.method} {p.rule.rule}" for p in refused}))
        if refused and changed(f"one of the refused writes as {caller.label} ({rules})"):
            for probe in refused:
                changed(send(caller, attacker, probe)[0])
        allowed = attacker.allowed | set().union(
            *(t.markers_of(attacker.may_read) for t in targets)
        )
        for found in foreign_references(app, attacker.org_id, targets, allowed):
            problems.append(
                f"after {caller.label}'s requests, {found} (a body's foreign id was kept)"
            )
    return problems


def check_anonymous_access(
    app: Flask, victim: Victim, only: Callable[[Rule], bool] | None = None
) -> list[str]:
    """Only allow-listed endpoints answer someone who is not signed in."""
    problems: list[str] = []
    caller = anonymous_caller(app)
    baseline = snapshot(app, victim)
    for rule in routes(app):
        if kind_of(rule) not in ("id", "plain") or (only and not only(rule)):
            continue
        for method in methods_of(rule):
            path = path_for(rule, victim.ids)
            data = body_for(app, rule, caller, victim) if method != "GET" else None
            response = caller.open(method, path, data)
            where = f"{method} {rule.rule} ({rule.endpoint}) without signing in"
            if response.status_code != 401 and not _is_login_redirect(response):
                problems.append(
                    f"{where}: answered {response.status_code} instead of 401 or a redirect to"
                    " /login. Protect it with @require / @token_required, or if it is meant"
                    " to be public add it to PUBLIC_ENDPOINTS in tests/support/isolation/routes.py"
                    " with the reason."
                )
            leaked = leaked_markers(
                text_of(response), victim, sent_values(path, data), ids_too=True
            )
            if leaked:
                problems.append(f"{where}: response shows victim data {leaked}")
            after = snapshot(app, victim)
            if after != baseline:
                problems.append(
                    f"{where}: changed victim data: {', '.join(changed_tables(baseline, after))}"
                )
                baseline = after
    return problems


def check_signed_links(app: Flask, victim: Victim, attackers: list[Attacker]) -> list[str]:
    """Signed-link routes refuse every token an attacker can make, and change nothing."""
    problems: list[str] = []
    baseline = snapshot(app, victim)
    for attacker in attackers:
        caller = attacker_caller(app, attacker)
        for rule in routes(app):
            if kind_of(rule) != "signed":
                continue
            purpose = SIGNED_LINK_ENDPOINTS[rule.endpoint]
            # Control: the attacker's own genuine link opens, so the refusals
            # below are the signature's doing, not a broken token maker.
            genuine = path_for(rule, {"token": attacker.links[purpose]})
            if (status := anonymous_caller(app).open("GET", genuine).status_code) != 200:
                problems.append(
                    f"GET {rule.rule}: {attacker.key}'s own genuine {purpose} link answers"
                    f" {status}, so refusing forged ones proves nothing; fix its LinkPurpose"
                )
            for label, token in attacker_link_tokens(app, purpose, victim, attacker):
                for method in methods_of(rule):
                    path = path_for(rule, {"token": token})
                    data = body_for(app, rule, caller, victim) if method != "GET" else None
                    response = caller.open(method, path, data)
                    where = f"{method} {rule.rule} as {caller.label} with {label}"
                    if response.status_code not in (400, 404):
                        problems.append(f"{where}: expected 400/404, got {response.status_code}")
                    leaked = leaked_markers(
                        text_of(response),
                        victim,
                        sent_values(path, data) | attacker.allowed,
                        ids_too=True,
                    )
                    if leaked:
                        problems.append(f"{where}: response shows victim data {leaked}")
                    if moved := caller.session_problem():
                        problems.append(f"{where}: {moved}")
                    after = snapshot(app, victim)
                    if after != baseline:
                        problems.append(
                            f"{where}: changed victim data: {', '.join(changed_tables(baseline, after))}"
                        )
                        baseline = after
    return problems


def check_victim_reaches(
    app: Flask, victim: Victim, only: Callable[[Rule], bool] | None = None
) -> list[str]:
    """Positive control: with the same ids, someone on the victim's side gets
    past the lookup of every id route, so the attackers' 404 means something."""
    problems: list[str] = []
    callers = victim_callers(app, victim)
    order = {m: i for i, m in enumerate(("GET", "POST", "PUT", "PATCH", "DELETE"))}
    attempts = sorted(
        (
            (order[m], rule.rule, m, rule)
            for rule in routes(app)
            if kind_of(rule) == "id" and (not only or only(rule))
            for m in methods_of(rule)
        ),
        key=lambda a: a[:3],
    )
    for _i, _r, method, rule in attempts:
        path = path_for(rule, victim.ids)
        seen = []
        for caller in callers:
            data = body_for(app, rule, caller, victim) if method != "GET" else None
            status = caller.open(method, path, data).status_code
            caller.session_problem()
            seen.append(f"{caller.label}: {status}")
            # A read must succeed; a write may be refused for its body or state.
            if status < 400 or (method != "GET" and status in REACHED):
                break
        else:
            problems.append(
                f"{method} {rule.rule} ({path}): nobody on the victim's side reaches it"
                f" ({'; '.join(seen)}), so its 404 for attackers proves nothing. Fix the route,"
                " or make its resolver return a row the victim's admin or buyer can use."
            )
    return problems
