"""What the tenants area contributes: sign-in, organisations, people, engagements."""

from baton.platform.areas import Area, NavEntry

_SHARED = (
    ("Engagements", "tenants.engagements", 80, None),
    ("Members", "tenants.members", 81, "members.manage"),
    ("API tokens", "tenants.api_tokens", 82, "tokens.manage"),
    ("Audit log", "tenants.audit_log", 83, "audit.read"),
    ("Jobs", "jobs.failed", 84, "jobs.manage"),
)

AREA = Area(
    name="tenants",
    blueprints=(
        "baton.tenants.auth_views:bp",
        "baton.tenants.views:bp",
        "baton.tenants.engagement_views:bp",
        "baton.tenants.sla_target_views:bp",
        "baton.tenants.operator_views:bp",
    ),
    api_blueprints=("baton.tenants.api:blp", "baton.tenants.sla_targets_api:blp"),
    models=(
        "baton.tenants.models",
        "baton.tenants.billing.models",
        "baton.tenants.billing.push_models",
    ),
    jobs=(
        "baton.tenants.jobs",
        "baton.tenants.billing.push",
        "baton.tenants.billing.reconcile",
        "baton.tenants.billing.webhooks",
        "baton.tenants.billing.credits",
    ),
    schedules=("baton.tenants.billing.schedules:SCHEDULES",),
    audit_words=("baton.tenants.audit_words",),
    nav=tuple(
        NavEntry(kind, label, endpoint, order, permission, menu="Organisation")
        for kind in ("client", "provider")
        for label, endpoint, order, permission in _SHARED
    )
    + (
        # The platform operator's pages (platform.pages adds them for operators).
        NavEntry("operator", "Providers' billing", "operator.billing", 90, menu="Operator"),
        NavEntry("operator", "Plans", "operator.plans_index", 91, menu="Operator"),
    ),
    init_app="baton.tenants.setup:init_app",
    cli="baton.tenants.cli:register",
)
