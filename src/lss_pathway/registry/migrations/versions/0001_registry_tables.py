"""Registry tables: schedules, subjects and their linkage, assessments, procedures, follow-ups, audit log.

The audit log is append-only: triggers refuse UPDATE and DELETE on it in both engines.

Revision ID: 0001
Revises:
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("entity", sa.String(length=64), nullable=False),
        sa.Column("entity_key", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_table(
        "schedules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("schedule_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedules")),
        sa.UniqueConstraint("schedule_id", "version", name=op.f("uq_schedules_schedule_id")),
    )
    op.create_table(
        "subjects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.String(length=32), nullable=False),
        sa.Column("schedule_pk", sa.Integer(), nullable=False),
        sa.Column("age_at_enrolment", sa.Integer(), nullable=True),
        sa.Column("sex", sa.String(length=8), nullable=True),
        sa.Column("enrolled_on", sa.Date(), nullable=False),
        sa.CheckConstraint("sex IS NULL OR sex IN ('female', 'male', 'other')", name=op.f("ck_subjects_sex")),
        sa.CheckConstraint(
            "age_at_enrolment IS NULL OR age_at_enrolment BETWEEN 0 AND 130", name=op.f("ck_subjects_age")
        ),
        sa.ForeignKeyConstraint(
            ["schedule_pk"], ["schedules.id"], name=op.f("fk_subjects_schedule_pk_schedules")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subjects")),
        sa.UniqueConstraint("study_id", name=op.f("uq_subjects_study_id")),
    )
    op.create_table(
        "time_points",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("schedule_pk", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("target_day", sa.Integer(), nullable=False),
        sa.Column("window_before", sa.Integer(), nullable=False),
        sa.Column("window_after", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["schedule_pk"], ["schedules.id"], name=op.f("fk_time_points_schedule_pk_schedules")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_time_points")),
        sa.UniqueConstraint("schedule_pk", "code", name=op.f("uq_time_points_schedule_pk")),
    )
    op.create_table(
        "assessments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_pk", sa.Integer(), nullable=False),
        sa.Column("assessed_on", sa.Date(), nullable=False),
        sa.Column("ruleset_id", sa.String(length=100), nullable=False),
        sa.Column("ruleset_version", sa.String(length=32), nullable=False),
        sa.Column("tool_version", sa.String(length=32), nullable=False),
        sa.Column("input_digest", sa.String(length=71), nullable=False),
        sa.Column("assessment_json", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["subject_pk"], ["subjects.id"], name=op.f("fk_assessments_subject_pk_subjects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessments")),
    )
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assessments_subject_pk"), ["subject_pk"], unique=False)

    op.create_table(
        "follow_ups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_pk", sa.Integer(), nullable=False),
        sa.Column("time_point_pk", sa.Integer(), nullable=False),
        sa.Column("collected_on", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.CheckConstraint("source IN ('patient', 'clinician')", name=op.f("ck_follow_ups_source")),
        sa.ForeignKeyConstraint(
            ["subject_pk"], ["subjects.id"], name=op.f("fk_follow_ups_subject_pk_subjects")
        ),
        sa.ForeignKeyConstraint(
            ["time_point_pk"], ["time_points.id"], name=op.f("fk_follow_ups_time_point_pk_time_points")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_ups")),
        sa.UniqueConstraint("subject_pk", "time_point_pk", name=op.f("uq_follow_ups_subject_pk")),
    )
    with op.batch_alter_table("follow_ups", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_follow_ups_subject_pk"), ["subject_pk"], unique=False)

    op.create_table(
        "procedures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_pk", sa.Integer(), nullable=False),
        sa.Column("performed_on", sa.Date(), nullable=False),
        sa.Column("is_index", sa.Boolean(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("cpt_code", sa.String(length=10), nullable=True),
        sa.Column("operator", sa.String(length=100), nullable=True),
        sa.CheckConstraint(
            "kind IN ('mild', 'repeat_mild', 'decompression', 'fusion', 'interspinous_spacer', 'other')",
            name=op.f("ck_procedures_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["subject_pk"], ["subjects.id"], name=op.f("fk_procedures_subject_pk_subjects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_procedures")),
    )
    with op.batch_alter_table("procedures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_procedures_subject_pk"), ["subject_pk"], unique=False)
        batch_op.create_index(
            "uq_procedures_one_index",
            ["subject_pk"],
            unique=True,
            sqlite_where=sa.text("is_index"),
            postgresql_where=sa.text("is_index"),
        )

    op.create_table(
        "subject_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_pk", sa.Integer(), nullable=False),
        sa.Column("system", sa.String(length=100), nullable=False),
        sa.Column("identifier", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["subject_pk"],
            ["subjects.id"],
            name=op.f("fk_subject_links_subject_pk_subjects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subject_links")),
        sa.UniqueConstraint("subject_pk", name=op.f("uq_subject_links_subject_pk")),
        sa.UniqueConstraint("system", "identifier", name=op.f("uq_subject_links_system")),
    )
    op.create_table(
        "adverse_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("follow_up_pk", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.CheckConstraint("severity IN ('minor', 'serious')", name=op.f("ck_adverse_events_severity")),
        sa.ForeignKeyConstraint(
            ["follow_up_pk"],
            ["follow_ups.id"],
            name=op.f("fk_adverse_events_follow_up_pk_follow_ups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_adverse_events")),
    )
    op.create_table(
        "complications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("procedure_pk", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.CheckConstraint("severity IN ('minor', 'serious')", name=op.f("ck_complications_severity")),
        sa.ForeignKeyConstraint(
            ["procedure_pk"],
            ["procedures.id"],
            name=op.f("fk_complications_procedure_pk_procedures"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complications")),
    )
    op.create_table(
        "procedure_levels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("procedure_pk", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("side", sa.String(length=8), nullable=False),
        sa.CheckConstraint(
            "level IN ('L1-L2', 'L2-L3', 'L3-L4', 'L4-L5', 'L5-S1')", name=op.f("ck_procedure_levels_level")
        ),
        sa.CheckConstraint("side IN ('left', 'right')", name=op.f("ck_procedure_levels_side")),
        sa.ForeignKeyConstraint(
            ["procedure_pk"],
            ["procedures.id"],
            name=op.f("fk_procedure_levels_procedure_pk_procedures"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_procedure_levels")),
        sa.UniqueConstraint("procedure_pk", "level", "side", name=op.f("uq_procedure_levels_procedure_pk")),
    )
    op.create_table(
        "questionnaire_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("follow_up_pk", sa.Integer(), nullable=False),
        sa.Column("instrument", sa.String(length=8), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("components", sa.JSON(), nullable=False),
        sa.Column("answered", sa.Integer(), nullable=False),
        sa.Column("expected", sa.Integer(), nullable=False),
        sa.Column("scorer_version", sa.String(length=32), nullable=False),
        sa.Column("collected_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "instrument IN ('odi', 'nprs', 'zcq')", name=op.f("ck_questionnaire_responses_instrument")
        ),
        sa.ForeignKeyConstraint(
            ["follow_up_pk"],
            ["follow_ups.id"],
            name=op.f("fk_questionnaire_responses_follow_up_pk_follow_ups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_questionnaire_responses")),
        sa.UniqueConstraint(
            "follow_up_pk", "instrument", name=op.f("uq_questionnaire_responses_follow_up_pk")
        ),
    )
    _create_audit_guards()


def downgrade() -> None:
    _drop_audit_guards()
    op.drop_table("questionnaire_responses")
    op.drop_table("procedure_levels")
    op.drop_table("complications")
    op.drop_table("adverse_events")
    op.drop_table("subject_links")
    with op.batch_alter_table("procedures", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_procedures_one_index", sqlite_where=sa.text("is_index"), postgresql_where=sa.text("is_index")
        )
        batch_op.drop_index(batch_op.f("ix_procedures_subject_pk"))

    op.drop_table("procedures")
    with op.batch_alter_table("follow_ups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_follow_ups_subject_pk"))

    op.drop_table("follow_ups")
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessments_subject_pk"))

    op.drop_table("assessments")
    op.drop_table("time_points")
    op.drop_table("subjects")
    op.drop_table("schedules")
    op.drop_table("audit_log")


def _create_audit_guards() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log"
                " BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
            )
        return
    op.execute(
        "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS"
        " $$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$"
    )
    op.execute(
        "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log"
        " FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()"
    )


def _drop_audit_guards() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
        return
    op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
    op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
