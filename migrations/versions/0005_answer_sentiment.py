"""Sentiment of free-text answers: label, compound, language, flags, confidence and analyser version

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 03:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sentiment_label', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('sentiment_compound', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('sentiment_language', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('sentiment_flags', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('sentiment_confidence', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('sentiment_version', sa.String(length=64), nullable=True))
        # Free-text answers not analysed by the current analyser: cheap range scans for the job.
        batch_op.create_index('ix_answers_kind_sentiment_version', ['kind', 'sentiment_version'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.drop_index('ix_answers_kind_sentiment_version')
        batch_op.drop_column('sentiment_version')
        batch_op.drop_column('sentiment_confidence')
        batch_op.drop_column('sentiment_flags')
        batch_op.drop_column('sentiment_language')
        batch_op.drop_column('sentiment_compound')
        batch_op.drop_column('sentiment_label')
