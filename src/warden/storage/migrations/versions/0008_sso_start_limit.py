"""single sign-on starts bounded per client address: the hashed address group of each pending sign-in

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Sign-ins started before this have no address (NULL): they expire within minutes, uncounted.
    with op.batch_alter_table('oidc_login_states', schema=None) as batch_op:
        batch_op.add_column(sa.Column('address_hash', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_oidc_login_states_address_hash'), ['address_hash'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('oidc_login_states', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_oidc_login_states_address_hash'))
        batch_op.drop_column('address_hash')
