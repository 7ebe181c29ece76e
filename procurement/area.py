"""What the procurement area contributes: the provider's side of the handoff
(queue, claim, review), purchase orders from draft to the last receipt, and
its part of the demo story."""

from baton.platform.areas import Area

AREA = Area(
    name="procurement",
    requires=("sourcing",),
    meters=("baton.procurement.meters:METERS",),
    models=(
        "baton.procurement.orders.models",
        "baton.procurement.orders.shipment_models",
        "baton.procurement.orders.issue_models",
        "baton.procurement.orders.change_models",
        "baton.procurement.sla.models",
    ),
    jobs=(
        "baton.procurement.orders.release",
        "baton.procurement.orders.chasers",
        "baton.procurement.orders.spec_changes",
        "baton.procurement.sla.jobs",
        "baton.procurement.sla.report_mail",
    ),
    schedules=(
        "baton.procurement.schedules:SCHEDULES",
        "baton.procurement.sla.report_mail:SCHEDULES",
    ),
    notifications=(
        "baton.procurement.orders.notifications",
        "baton.procurement.orders.shipment_notifications",
        "baton.procurement.orders.issue_notifications",
        "baton.procurement.orders.change_notifications",
    ),
    audit_words=("baton.procurement.audit_words", "baton.procurement.shipment_audit_words"),
    demo="baton.procurement.demo.story:seed_handoff",
    cli="baton.procurement.sla.jobs:register_cli",
)
