"""What the procurement area contributes: the provider's side of the handoff
(queue, claim, review) and its part of the demo story."""

from baton.platform.areas import Area

AREA = Area(
    name="procurement",
    requires=("sourcing",),
    demo="baton.procurement.demo.story:seed_handoff",
)
