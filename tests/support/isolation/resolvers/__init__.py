"""Resolvers for URL parameters, one module per area that owns the rows
(``platform``, ``tenants``, ``sourcing``...), as ``baton.<area>`` is laid out.

Every module of this package is imported here, so a new one (say
``procurement.py`` with ``@parameter("order_id")``) is registered as soon as
it exists; nothing else needs editing. A route parameter no module registers
fails ``test_every_route_parameter_has_a_victim_id``.
"""

from __future__ import annotations

import importlib
import pkgutil

AREAS = tuple(
    importlib.import_module(f"{__name__}.{module.name}")
    for module in pkgutil.iter_modules(__path__)
)
