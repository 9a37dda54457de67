"""Campaign settings for tests and benchmarks: every setting, with overrides."""


def defaults(**changes) -> dict:
    """A complete, valid set of campaign settings (survey_version_id still to add), with `changes` applied."""
    values = dict(name="Post-service", departments=[], service_codes=[], channels=[], wards=[],
                  excluded_service_codes=[], exclude_reopened=True, exclude_duplicates=True, sample_rate=1.0,
                  delay_minutes=60, quiet_start=None, quiet_end=None, channel_order="email_first", reminders=1,
                  reminder_after_hours=72, expiry_days=14, contact_cap_days=30, max_age_days=7,
                  send_rate_per_minute=600)
    values.update(changes)
    return values
