"""platform usage snapshots entered from the Sferum administrator's panel

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 14:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('platform_snapshot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.Enum('vk', 'max', name='platform', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('taken_on', sa.Date(), nullable=False),
    sa.Column('members', sa.Integer(), nullable=False),
    sa.Column('active_users', sa.Integer(), nullable=True),
    sa.Column('messages', sa.Integer(), nullable=True),
    sa.Column('calls', sa.Integer(), nullable=True),
    sa.Column('broadcasts', sa.Integer(), nullable=True),
    sa.Column('chats', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('entered_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('members >= 0', name=op.f('ck_platform_snapshot_members')),
    sa.CheckConstraint('active_users IS NULL OR (active_users >= 0 AND active_users <= members)', name=op.f('ck_platform_snapshot_active_users')),
    sa.CheckConstraint('messages IS NULL OR messages >= 0', name=op.f('ck_platform_snapshot_messages')),
    sa.CheckConstraint('calls IS NULL OR calls >= 0', name=op.f('ck_platform_snapshot_calls')),
    sa.CheckConstraint('broadcasts IS NULL OR broadcasts >= 0', name=op.f('ck_platform_snapshot_broadcasts')),
    sa.CheckConstraint('chats IS NULL OR chats >= 0', name=op.f('ck_platform_snapshot_chats')),
    sa.ForeignKeyConstraint(['entered_by_id'], ['user.id'], name=op.f('fk_platform_snapshot_entered_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_platform_snapshot')),
    sa.UniqueConstraint('platform', 'taken_on', name=op.f('uq_platform_snapshot_platform_taken_on'))
    )
    with op.batch_alter_table('platform_snapshot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_platform_snapshot_taken_on'), ['taken_on'], unique=False)


def downgrade():
    with op.batch_alter_table('platform_snapshot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_platform_snapshot_taken_on'))

    op.drop_table('platform_snapshot')
