"""single sign-on (OIDC providers, member identities, login states), session method, shared throttle counters,
indexes for the case queue, a case's thread and the drafts list

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import warden.storage.types
from sqlalchemy.dialects import postgresql
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('throttle_counters',
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_failure_at', warden.storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('blocked_until', warden.storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', warden.storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_throttle_counters'))
    )
    with op.batch_alter_table('throttle_counters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_throttle_counters_expires_at'), ['expires_at'], unique=False)

    op.create_table('oidc_login_states',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('session_id', sa.String(length=128), nullable=True),
    sa.Column('browser_hash', sa.String(length=64), nullable=False),
    sa.Column('login', sa.LargeBinary(), nullable=False),
    sa.Column('return_to', sa.String(length=500), nullable=False),
    sa.Column('created_at', warden.storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', warden.storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_oidc_login_states_organisation_id_organisations'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oidc_login_states'))
    )
    with op.batch_alter_table('oidc_login_states', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oidc_login_states_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_oidc_login_states_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('oidc_providers',
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('issuer', sa.String(length=500), nullable=False),
    sa.Column('client_id', sa.String(length=255), nullable=False),
    sa.Column('client_secret', sa.LargeBinary(), nullable=False),
    sa.Column('allowed_email_domains', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('unknown_identities', sa.String(length=16), nullable=False),
    sa.Column('subject_claim', sa.String(length=64), nullable=False),
    sa.Column('email_claim', sa.String(length=64), nullable=False),
    sa.Column('email_verified_claim', sa.String(length=64), nullable=False),
    sa.Column('updated_at', warden.storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_oidc_providers_organisation_id_organisations'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('organisation_id', name=op.f('pk_oidc_providers'))
    )
    op.create_table('member_identities',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('member_id', sa.Uuid(), nullable=False),
    sa.Column('issuer', sa.String(length=500), nullable=False),
    sa.Column('subject', sa.String(length=255), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('linked_at', warden.storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_sign_in_at', warden.storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_member_identities_member_id_members')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_member_identities_organisation_id_organisations'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_member_identities')),
    sa.UniqueConstraint('member_id', 'issuer', name=op.f('uq_member_identities_member_id')),
    sa.UniqueConstraint('organisation_id', 'issuer', 'subject', name=op.f('uq_member_identities_organisation_id'))
    )
    with op.batch_alter_table('member_identities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_member_identities_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_member_identities_organisation_id'), ['organisation_id'], unique=False)

    # SQLite adds a column in place (no table copy): existing sessions were password sign-ins.
    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('method', sa.String(length=16), server_default='password', nullable=False))

    # Found by benchmarks/api_latency.py (100,000 messages and cases): without them the queue, an account's
    # cases, a case's thread and the drafts list sorted or scanned every row of the organisation.
    op.create_index('ix_messages_thread', 'messages', ['organisation_id', 'account_id', 'thread_key', 'sent_at'], unique=False)
    op.create_index('ix_cases_urgency', 'cases', ['organisation_id', 'severity', 'opened_at', 'id'], unique=False)
    op.create_index('ix_cases_account_urgency', 'cases', ['account_id', 'severity', 'opened_at', 'id'], unique=False)
    op.create_index('ix_drafts_newest', 'drafts', ['organisation_id', 'created_at', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_drafts_newest', table_name='drafts')
    op.drop_index('ix_cases_account_urgency', table_name='cases')
    op.drop_index('ix_cases_urgency', table_name='cases')
    op.drop_index('ix_messages_thread', table_name='messages')

    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.drop_column('method')

    with op.batch_alter_table('member_identities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_member_identities_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_member_identities_member_id'))

    op.drop_table('member_identities')
    op.drop_table('oidc_providers')
    with op.batch_alter_table('oidc_login_states', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_oidc_login_states_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_oidc_login_states_expires_at'))

    op.drop_table('oidc_login_states')
    with op.batch_alter_table('throttle_counters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_throttle_counters_expires_at'))

    op.drop_table('throttle_counters')
