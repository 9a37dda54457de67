"""Service requests, imports, poll cursors, webhook events, campaigns, invitation delivery

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 22:14:58.685201
"""

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('import_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('target', sa.String(length=1000), nullable=False),
    sa.Column('fingerprint', sa.String(length=128), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('rows_read', sa.Integer(), nullable=False),
    sa.Column('rows_stored', sa.Integer(), nullable=False),
    sa.Column('rows_rejected', sa.Integer(), nullable=False),
    sa.Column('resume_offset', sa.Integer(), nullable=False),
    sa.Column('resume_line', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_runs'))
    )
    with op.batch_alter_table('import_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_runs_fingerprint'), ['fingerprint'], unique=False)

    op.create_table('poll_cursors',
    sa.Column('endpoint', sa.String(length=300), nullable=False),
    sa.Column('cursor', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_polled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('endpoint', name=op.f('pk_poll_cursors'))
    )
    op.create_table('webhook_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=60), nullable=False),
    sa.Column('event_id', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('request_source_id', sa.String(length=80), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_events')),
    sa.UniqueConstraint('source', 'event_id', name=op.f('uq_webhook_events_source'))
    )
    op.create_table('rejected_rows',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('line', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.String(length=80), nullable=True),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.Column('raw', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['import_runs.id'], name=op.f('fk_rejected_rows_run_id_import_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rejected_rows'))
    )
    with op.batch_alter_table('rejected_rows', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rejected_rows_run_id'), ['run_id'], unique=False)

    op.create_table('service_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=60), nullable=False),
    sa.Column('source_id', sa.String(length=80), nullable=False),
    sa.Column('service_code', sa.String(length=120), nullable=True),
    sa.Column('service_name', sa.String(length=200), nullable=True),
    sa.Column('agency', sa.String(length=120), nullable=True),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('channel', sa.Enum('phone', 'web', 'app', 'walk_in', 'email', 'social', 'other', name='request_channel', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('ward', sa.String(length=60), nullable=True),
    sa.Column('zip', sa.String(length=10), nullable=True),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('language', sa.String(length=16), nullable=True),
    sa.Column('status', sa.Enum('open', 'closed', 'cancelled', 'referred', name='request_status', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('status_notes', sa.Text(), nullable=True),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('source_updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reopened', sa.Boolean(), nullable=False),
    sa.Column('duplicate_of', sa.String(length=80), nullable=True),
    sa.Column('parent_id', sa.String(length=80), nullable=True),
    sa.Column('contact_email', sa.String(length=254), nullable=True),
    sa.Column('contact_phone', sa.String(length=32), nullable=True),
    sa.Column('contact_hash', sa.String(length=64), nullable=True),
    sa.Column('contact_preference', sa.String(length=10), nullable=True),
    sa.Column('extra', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_service_requests_department_id_departments'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_requests')),
    sa.UniqueConstraint('source', 'source_id', name=op.f('uq_service_requests_source'))
    )
    with op.batch_alter_table('service_requests', schema=None) as batch_op:
        batch_op.create_index('ix_service_requests_closed_at', ['closed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_requests_contact_hash'), ['contact_hash'], unique=False)
        batch_op.create_index('ix_service_requests_department_closed', ['department_id', 'closed_at'], unique=False)

    op.create_table('campaigns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('survey_version_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'active', 'paused', 'ended', name='campaign_status', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('departments', sa.JSON(), nullable=False),
    sa.Column('service_codes', sa.JSON(), nullable=False),
    sa.Column('channels', sa.JSON(), nullable=False),
    sa.Column('wards', sa.JSON(), nullable=False),
    sa.Column('excluded_service_codes', sa.JSON(), nullable=False),
    sa.Column('exclude_reopened', sa.Boolean(), nullable=False),
    sa.Column('exclude_duplicates', sa.Boolean(), nullable=False),
    sa.Column('sample_rate', sa.Float(), nullable=False),
    sa.Column('sample_seed', sa.String(length=32), nullable=False),
    sa.Column('delay_minutes', sa.Integer(), nullable=False),
    sa.Column('quiet_start', sa.Time(), nullable=True),
    sa.Column('quiet_end', sa.Time(), nullable=True),
    sa.Column('channel_order', sa.String(length=20), nullable=False),
    sa.Column('reminders', sa.Integer(), nullable=False),
    sa.Column('reminder_after_hours', sa.Integer(), nullable=False),
    sa.Column('expiry_days', sa.Integer(), nullable=False),
    sa.Column('contact_cap_days', sa.Integer(), nullable=False),
    sa.Column('max_age_days', sa.Integer(), nullable=False),
    sa.Column('send_rate_per_minute', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('activated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_plan', sa.JSON(none_as_null=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_campaigns_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_campaigns_department_id_departments'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_campaigns_survey_id_surveys'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['survey_version_id'], ['survey_versions.id'], name=op.f('fk_campaigns_survey_version_id_survey_versions'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaigns'))
    )
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaigns_department_id'), ['department_id'], unique=False)

    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('campaign_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('service_request_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('token_salt', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('contact_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('send_after', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('reminders_sent', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('last_reminded_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('last_error', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('claimed_by', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_invitations_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_invitations_contact_hash'), ['contact_hash'], unique=False)
        batch_op.create_index('ix_invitations_state_send_after', ['state', 'send_after'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_invitations_campaign_id'), ['campaign_id', 'service_request_id'])
        batch_op.create_foreign_key(batch_op.f('fk_invitations_campaign_id_campaigns'), 'campaigns', ['campaign_id'], ['id'], ondelete='CASCADE')
        batch_op.create_foreign_key(batch_op.f('fk_invitations_service_request_id_service_requests'), 'service_requests', ['service_request_id'], ['id'], ondelete='SET NULL')



def downgrade() -> None:
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_invitations_service_request_id_service_requests'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_invitations_campaign_id_campaigns'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_invitations_campaign_id'), type_='unique')
        batch_op.drop_index('ix_invitations_state_send_after')
        batch_op.drop_index(batch_op.f('ix_invitations_contact_hash'))
        batch_op.drop_index(batch_op.f('ix_invitations_campaign_id'))
        batch_op.drop_column('claimed_until')
        batch_op.drop_column('claimed_by')
        batch_op.drop_column('last_error')
        batch_op.drop_column('next_attempt_at')
        batch_op.drop_column('attempts')
        batch_op.drop_column('last_reminded_at')
        batch_op.drop_column('reminders_sent')
        batch_op.drop_column('sent_at')
        batch_op.drop_column('send_after')
        batch_op.drop_column('contact_hash')
        batch_op.drop_column('token_salt')
        batch_op.drop_column('service_request_id')
        batch_op.drop_column('campaign_id')

    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaigns_department_id'))

    op.drop_table('campaigns')
    with op.batch_alter_table('service_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_service_requests_department_closed')
        batch_op.drop_index(batch_op.f('ix_service_requests_contact_hash'))
        batch_op.drop_index('ix_service_requests_closed_at')

    op.drop_table('service_requests')
    with op.batch_alter_table('rejected_rows', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rejected_rows_run_id'))

    op.drop_table('rejected_rows')
    op.drop_table('webhook_events')
    op.drop_table('poll_cursors')
    with op.batch_alter_table('import_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_runs_fingerprint'))

    op.drop_table('import_runs')
