"""The provider console's pages, API and navigation."""

from baton.platform.areas import Area, EntityLink, NavEntry

AREA = Area(
    name="provider_console",
    requires=("sourcing", "procurement"),
    blueprints=(
        "baton.provider_console.views:bp",
        "baton.provider_console.queue.views:bp",
        "baton.provider_console.review.views:bp",
        "baton.provider_console.orders.views:bp",
        "baton.provider_console.orders.records:bp",
        "baton.provider_console.orders.shipment_views:bp",
        "baton.provider_console.orders.change_views:bp",
        "baton.provider_console.supplier.views:bp",
        "baton.provider_console.followup.views:bp",
        "baton.provider_console.orders.issue_views:bp",
        "baton.provider_console.supplier.issue_views:bp",
        "baton.provider_console.sla.views:bp",
        "baton.provider_console.billing.views:bp",
        "baton.provider_console.billing.subscription_views:bp",
    ),
    api_blueprints=(
        "baton.provider_console.queue.api:blp",
        "baton.provider_console.orders.api:blp",
        "baton.provider_console.orders.records_api:blp",
        "baton.provider_console.orders.shipment_api:blp",
        "baton.provider_console.orders.issues_api:blp",
        "baton.provider_console.orders.change_orders_api:blp",
        "baton.provider_console.followup.api:blp",
        "baton.provider_console.sla.api:blp",
        "baton.provider_console.billing.api:blp",
    ),
    nav=(
        NavEntry("provider", "Home", "provider.home", 10),
        NavEntry("provider", "Queue", "provider_queue.index", 20),
        NavEntry("provider", "Orders", "provider_orders.index", 30),
        NavEntry("provider", "Follow-up", "provider_follow_up.index", 35),
        NavEntry("provider", "Issues", "provider_issues.index", 36),
        NavEntry("provider", "SLA", "provider_sla.index", 40),
        NavEntry(
            "provider", "Billing", "provider_billing.index", 85, "billing.manage", "Organisation"
        ),
    ),
    init_app="baton.provider_console.billing.setup:init_app",
    entity_links=(
        EntityLink("provider", "requirement", "provider_review.review", "requirement_id"),
        EntityLink("provider", "purchase_order", "provider_orders.detail", "po_id"),
        EntityLink("provider", "order_issue", "provider_issues.detail", "issue_id"),
    ),
)
