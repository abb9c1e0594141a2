"""chat links sent to students and parents, the weekly digest of missing chats

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 14:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('chat_link_sent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('chat_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('sent_by_id', sa.Integer(), nullable=True),
    sa.Column('sent_at', sa.DateTime(), nullable=False),
    sa.Column('times', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['chat_id'], ['chat.id'], name=op.f('fk_chat_link_sent_chat_id_chat'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sent_by_id'], ['user.id'], name=op.f('fk_chat_link_sent_sent_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_chat_link_sent_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chat_link_sent')),
    sa.UniqueConstraint('chat_id', 'user_id', name=op.f('uq_chat_link_sent_chat_id_user_id'))
    )
    with op.batch_alter_table('chat_link_sent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_chat_link_sent_chat_id'), ['chat_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_chat_link_sent_user_id'), ['user_id'], unique=False)

    op.create_table('chat_digest_sent',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=False),
    sa.Column('missing', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_chat_digest_sent_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_chat_digest_sent'))
    )


def downgrade():
    op.drop_table('chat_digest_sent')
    with op.batch_alter_table('chat_link_sent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_chat_link_sent_user_id'))
        batch_op.drop_index(batch_op.f('ix_chat_link_sent_chat_id'))
    op.drop_table('chat_link_sent')
