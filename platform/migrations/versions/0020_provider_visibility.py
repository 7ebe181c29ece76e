"""provider visibility: a provider's visible tenants as one binary row

Revision ID: 0020
Revises: 0019

``provider_visibility`` holds, per provider, the tenants its people see
(itself and every client actively engaging it), kept by a trigger on
``engagements``. A provider's context sets ``baton.tenant_ids`` to
``engaged`` and ``baton_tenant_ids()`` reads the array from there instead of
parsing 200 ids out of the setting for every policy and scoped statement
(docs/decisions/0017-provider-visibility-row.md). PostgreSQL only.
"""

from alembic import op

from baton.platform import rls

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if not rls.is_postgres():
        return
    op.execute(rls.PROVIDER_VISIBILITY)
    rls.grant_privileges()


def downgrade() -> None:
    if not rls.is_postgres():
        return
    op.execute(
        """
        CREATE OR REPLACE FUNCTION baton_tenant_ids() RETURNS uuid[] LANGUAGE sql STABLE AS
          $$ SELECT COALESCE(NULLIF(current_setting('baton.tenant_ids', true), '')::uuid[], '{}'::uuid[]) $$;
        DROP TRIGGER engagements_provider_visibility ON engagements;
        DROP FUNCTION baton_engagements_changed();
        DROP FUNCTION baton_refresh_provider_visibility(uuid);
        DROP TABLE provider_visibility;
        """
    )
