"""Maps each top-level area folder to its ``baton.<area>`` import name.

``platform/`` has no ``__init__.py`` on purpose (it would shadow the standard
``platform`` module for every process started at the repository root), so the
packages are found as namespace packages; see DESIGN.md section 1.
"""

from setuptools import find_namespace_packages, setup

AREAS = [
    "platform",
    "tenants",
    "sourcing",
    "procurement",
    "client_portal",
    "provider_console",
    "workers",
]

package_dir: dict[str, str] = {}
packages: list[str] = []
for area in AREAS:
    package_dir[f"baton.{area}"] = area
    packages.append(f"baton.{area}")
    packages += [f"baton.{area}.{sub}" for sub in find_namespace_packages(area)]

setup(
    package_dir=package_dir,
    packages=packages,
    include_package_data=True,
    package_data={
        f"baton.{a}": ["**/*.html", "**/*.txt", "**/*.ini", "**/*.mako", "**/*.css", "**/*.js"]
        for a in AREAS
    },
)
