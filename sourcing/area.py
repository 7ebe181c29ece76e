"""What the sourcing area contributes: the client's suppliers, documents and
requirements, their rules, jobs and email templates. No pages of its own."""

from baton.platform.areas import Area

AREA = Area(
    name="sourcing",
    requires=("tenants",),
    meters=("baton.sourcing.meters:METERS",),
    models=(
        "baton.sourcing.suppliers.models",
        "baton.sourcing.documents.models",
        "baton.sourcing.requirements.models",
    ),
    jobs=("baton.sourcing.requirements.jobs", "baton.sourcing.documents.storage_meter"),
    schedules=("baton.sourcing.documents.storage_meter:SCHEDULES",),
    notifications=("baton.sourcing.requirements.notifications",),
    audit_words=("baton.sourcing.audit_words",),
    cli="baton.sourcing.documents.storage_meter:register_cli",
)
