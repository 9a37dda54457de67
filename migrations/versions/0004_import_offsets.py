"""Import resume offsets as 64-bit integers (CSV files over 2 GB)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 01:50:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('import_runs') as batch_op:
        batch_op.alter_column('resume_offset', existing_type=sa.Integer(), type_=sa.BigInteger(),
                              existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('import_runs') as batch_op:
        batch_op.alter_column('resume_offset', existing_type=sa.BigInteger(), type_=sa.Integer(),
                              existing_nullable=False)
