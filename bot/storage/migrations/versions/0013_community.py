"""The community's structure in the database: communities, courtyards, council members with phone,
backup order and an openid that stays empty until an invitation QR code is scanned; invitations

Existing member rows (mirrored from the config) keep their ids and openids; `community_id` is
filled when the config seeds the database (bot.services.community.directory.seed).

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'communities',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
    )
    op.create_table(
        'courtyards',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('community_id', sa.Integer(), sa.ForeignKey('communities.id', ondelete='CASCADE'), nullable=False),
        sa.Column('key', sa.String(length=16), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('aliases', sa.JSON(), nullable=False),
        sa.Column('lat', sa.Float(), nullable=True),
        sa.Column('lon', sa.Float(), nullable=True),
        sa.Column('active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.UniqueConstraint('community_id', 'key', name='uq_courtyards_community_key'),
    )
    with op.batch_alter_table('council_members') as batch:
        batch.add_column(sa.Column('community_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('phone', sa.String(length=32), nullable=True))
        batch.add_column(sa.Column('backup_order', sa.Integer(), server_default='0', nullable=False))
        batch.add_column(sa.Column('digest_consent', sa.Boolean(), server_default=sa.text('false'), nullable=False))
        batch.add_column(sa.Column('created_at', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('left_at', sa.DateTime(), nullable=True))
        batch.alter_column('openid', existing_type=sa.String(length=64), nullable=True)
        batch.create_foreign_key('fk_council_members_community', 'communities', ['community_id'], ['id'],
                                 ondelete='CASCADE')
        batch.create_index('ix_council_members_community_id', ['community_id'])
        batch.create_check_constraint('ck_council_members_role', "role IN ('会长', '副会长', '成员', '楼长')")
    op.create_table(
        'member_invitations',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('community_id', sa.Integer(), sa.ForeignKey('communities.id', ondelete='CASCADE'), nullable=False),
        sa.Column('member_id', sa.Integer(), sa.ForeignKey('council_members.id', ondelete='CASCADE'), nullable=False),
        sa.Column('scene', sa.String(length=64), nullable=False, unique=True),
        sa.Column('qr_ticket', sa.String(length=255), nullable=True),
        sa.Column('qr_url', sa.String(length=512), nullable=True),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.Column('used_at', sa.DateTime(), nullable=True),
        sa.Column('used_by', sa.String(length=64), nullable=True),
        sa.Column('created_by', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
    )
    op.create_index('ix_member_invitations_member_id', 'member_invitations', ['member_id'])


def downgrade() -> None:
    op.drop_index('ix_member_invitations_member_id', table_name='member_invitations')
    op.drop_table('member_invitations')
    op.execute("DELETE FROM council_members WHERE openid IS NULL")
    with op.batch_alter_table('council_members') as batch:
        batch.drop_constraint('ck_council_members_role', type_='check')
        batch.drop_index('ix_council_members_community_id')
        batch.drop_constraint('fk_council_members_community', type_='foreignkey')
        batch.alter_column('openid', existing_type=sa.String(length=64), nullable=False)
        for col in ('left_at', 'created_at', 'digest_consent', 'backup_order', 'phone', 'community_id'):
            batch.drop_column(col)
    op.drop_table('courtyards')
    op.drop_table('communities')
