"""replies from cases: a draft may answer an inbound message (published with its network id as in_reply_to)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('drafts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reply_to_message_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('in_reply_to', sa.String(length=200), nullable=True))
        batch_op.create_index(batch_op.f('ix_drafts_reply_to_message_id'), ['reply_to_message_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_drafts_reply_to_message_id_messages'), 'messages',
                                    ['reply_to_message_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('drafts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_drafts_reply_to_message_id_messages'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_drafts_reply_to_message_id'))
        batch_op.drop_column('in_reply_to')
        batch_op.drop_column('reply_to_message_id')
