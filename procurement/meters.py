"""The procurement area's billable acts: releasing orders, their lines and their
changes, and chasing suppliers. Each key names the act, so the same act is
metered once however often a job or a request repeats it."""

from baton.platform.metering import Meter
from baton.procurement.orders.change_models import POChangeOrder
from baton.procurement.orders.models import PurchaseOrder

METERS = [
    Meter(
        "purchase_order.release",
        "po_released",
        PurchaseOrder,
        key=lambda po: f"po_released:{po.id}:{po.revision}",
    ),
    Meter(
        "purchase_order.release",
        "po_line_released",
        PurchaseOrder,
        key=lambda po: f"po_line_released:{po.id}:{po.revision}",
        quantity=lambda po: len(po.lines),
    ),
    Meter(
        "change_order.release",
        "change_order_released",
        POChangeOrder,
        key=lambda change: f"change_order_released:{change.id}",
    ),
    # chase_count is raised before the chase is logged: the n-th chaser of the order.
    Meter(
        "purchase_order.chased",
        "supplier_chase_sent",
        PurchaseOrder,
        key=lambda po: f"supplier_chase_sent:{po.id}:{po.chase_count}",
    ),
]
