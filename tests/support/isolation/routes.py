"""The routes: every rule of ``app.url_map``, what kind it is, and its path
with given ids. Also what may answer without signing in."""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import Rule

from tests.support.isolation.links import LINK_PURPOSES, SIGNED_LINK_ENDPOINTS
from tests.support.isolation.victim import PARAMETERS

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")

PUBLIC_ENDPOINTS: dict[str, str] = {
    "auth.login": "the sign-in form itself",
    "auth.no_organisation": "explains that an account has no organisation; shows no data",
    "auth.forgot_password": "asks for an email and answers the same whether it exists or not",
    "health.healthz": "liveness probe for the load balancer",
    "health.readyz": "readiness probe; reports component health, no tenant data",
    "static": "CSS, JS and images shipped with the app",
    "bootstrap.static": "Bootstrap's files, served locally instead of from a CDN",
    "api-docs.openapi_json": "the API description; holds no data",
    "api_reference.page": "the API description as a page for people; holds no data",
    "api_reference.static": "Swagger UI's files from the swagger-ui-bundle package",
    "stripe_webhook.receive": (
        "Stripe's webhook: acts only on a body signed with the endpoint's secret, shows no data"
    ),
    "stripe_webhook.receive_thin": (
        "Stripe's thin events (v2 event destination): acts only on a body signed with that"
        " destination's secret, shows no data"
    ),
}
# Registered only in some configurations; listed so they pass where they exist.
_DEV_MAIL = (
    "the embedded mode's outgoing mail, every organisation's: registered only with"
    " BATON_ENV=development or BATON_DEV_PAGES=1 (demo data), never in production"
)
PUBLIC_ENDPOINTS.update(
    {
        f"dev.{name}": _DEV_MAIL
        for name in ("mail_list", "mail_show", "mail_html", "mail_raw", "mail_attachment")
    }
)
_PUBLIC_LIST = "tests/support/isolation/routes.py PUBLIC_ENDPOINTS"
_SIGNED_LIST = "tests/support/isolation/links.py SIGNED_LINK_ENDPOINTS"


def methods_of(rule: Rule) -> list[str]:
    return [m for m in METHODS if m in (rule.methods or ())]


def routes(app: Flask) -> list[Rule]:
    return sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint))


def kind_of(rule: Rule) -> str:
    """public | signed | unbuildable | unregistered | id | plain"""
    if rule.endpoint in SIGNED_LINK_ENDPOINTS:
        return "signed"
    unknown = set(rule.arguments) - set(PARAMETERS)
    if rule.endpoint in PUBLIC_ENDPOINTS:
        return "unbuildable" if unknown else "public"
    if unknown:
        return "unregistered"
    return "id" if rule.arguments else "plain"


def classification_problems(app: Flask) -> list[str]:
    problems = []
    endpoints = {r.endpoint for r in app.url_map.iter_rules()}
    for rule in routes(app):
        unknown = sorted(set(rule.arguments) - set(PARAMETERS))
        if rule.endpoint in SIGNED_LINK_ENDPOINTS:
            purpose = SIGNED_LINK_ENDPOINTS[rule.endpoint]
            if purpose not in LINK_PURPOSES:
                problems.append(
                    f"{rule.rule}: signing purpose {purpose!r} has no LinkPurpose in"
                    " tests/support/isolation/links.py LINK_PURPOSES"
                )
            if unknown != ["token"]:
                problems.append(f"{rule.rule}: a signed-link route must take exactly <token>")
        elif unknown and rule.endpoint not in PUBLIC_ENDPOINTS:
            if "token" in unknown:
                hint = (
                    f"add its endpoint to {_SIGNED_LIST} with the purpose it unsigns"
                    " (and a LinkPurpose if the purpose is new)"
                )
            else:
                hint = (
                    "register a resolver with @parameter("
                    + ", ".join(repr(u) for u in unknown)
                    + ") in tests/support/isolation/resolvers/<area>.py, the area that owns"
                    " the row, returning the id of a victim-owned row (see the docstring of"
                    " tests/support/isolation/__init__.py)"
                )
            problems.append(
                f"{rule.rule} ({rule.endpoint}) takes {', '.join(unknown)}, which the isolation"
                f" test cannot fill: {hint}."
            )
    for name in sorted(set(PUBLIC_ENDPOINTS) | set(SIGNED_LINK_ENDPOINTS)):
        blueprint = name.rpartition(".")[0]
        if blueprint and blueprint not in app.blueprints:
            continue  # a blueprint this configuration does not register
        if name not in endpoints:
            where = _PUBLIC_LIST if name in PUBLIC_ENDPOINTS else _SIGNED_LIST
            problems.append(
                f"{name} is allow-listed in {where} but no longer exists;"
                " remove it so the list stays exact."
            )
    return problems


def path_for(rule: Rule, values: dict[str, str]) -> str:
    built = rule.build({k: values[k] for k in rule.arguments}, append_unknown=False)
    assert built is not None, f"cannot build {rule.rule}"
    return built[1]
