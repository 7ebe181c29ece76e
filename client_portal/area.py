"""The client portal's pages, API and navigation."""

from baton.platform.areas import Area, EntityLink, NavEntry

AREA = Area(
    name="client_portal",
    requires=("sourcing", "procurement"),
    blueprints=(
        "baton.client_portal.views:bp",
        "baton.client_portal.suppliers.views:bp",
        "baton.client_portal.suppliers.scorecard_views:bp",
        "baton.client_portal.documents.views:bp",
        "baton.client_portal.requirements.views:bp",
        "baton.client_portal.requirements.import_views:bp",
        "baton.client_portal.orders.views:bp",
        "baton.client_portal.orders.records:bp",
        "baton.client_portal.orders.shipment_views:bp",
        "baton.client_portal.orders.issue_views:bp",
        "baton.client_portal.orders.change_views:bp",
        "baton.client_portal.sla.views:bp",
        "baton.client_portal.usage.views:bp",
    ),
    api_blueprints=(
        "baton.client_portal.suppliers.api:blp",
        "baton.client_portal.suppliers.scorecard_api:blp",
        "baton.client_portal.documents.api:blp",
        "baton.client_portal.requirements.api:blp",
        "baton.client_portal.sla.api:blp",
        "baton.client_portal.usage.api:blp",
    ),
    nav=(
        NavEntry("client", "Home", "client.home", 10),
        NavEntry("client", "Suppliers", "client_suppliers.index", 20),
        NavEntry("client", "Documents", "client_documents.index", 30),
        NavEntry("client", "Requirements", "client_requirements.index", 40),
        NavEntry("client", "Orders", "client_orders.index", 50),
        NavEntry("client", "Approvals", "client_orders.inbox", 60),
        NavEntry("client", "Issues", "client_issues.index", 65),
        NavEntry("client", "SLA", "client_sla.index", 70),
        NavEntry("client", "Usage", "client_usage.index", 85, "usage.read", "Organisation"),
    ),
    # After the procurement story: its SLA figures, so the dashboard has something to show.
    demo="baton.procurement.demo.sla:roll_up",
    entity_links=(
        EntityLink("client", "supplier", "client_suppliers.detail", "supplier_id"),
        EntityLink("client", "document", "client_documents.detail", "document_id"),
        EntityLink("client", "requirement", "client_requirements.detail", "requirement_id"),
        EntityLink("client", "purchase_order", "client_orders.detail", "po_id"),
        EntityLink("client", "order_issue", "client_issues.detail", "issue_id"),
    ),
)
