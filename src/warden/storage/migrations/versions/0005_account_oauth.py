"""network connections in progress (OAuth state for connecting accounts)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import warden.storage.types

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('account_oauth_states',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('account_id', sa.Uuid(), nullable=False),
    sa.Column('member_id', sa.Uuid(), nullable=False),
    sa.Column('browser_hash', sa.String(length=64), nullable=False),
    sa.Column('flow', sa.LargeBinary(), nullable=False),
    sa.Column('return_to', sa.String(length=500), nullable=False),
    sa.Column('created_at', warden.storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', warden.storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['social_accounts.id'], name=op.f('fk_account_oauth_states_account_id_social_accounts')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_account_oauth_states_member_id_members')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_account_oauth_states_organisation_id_organisations'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account_oauth_states'))
    )
    with op.batch_alter_table('account_oauth_states', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_oauth_states_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_account_oauth_states_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_account_oauth_states_organisation_id'), ['organisation_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('account_oauth_states', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_oauth_states_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_account_oauth_states_expires_at'))
        batch_op.drop_index(batch_op.f('ix_account_oauth_states_account_id'))

    op.drop_table('account_oauth_states')
