"""The campaign form: every setting of `services.campaigns.SETTINGS`, in words a DCXO uses."""

from __future__ import annotations

import re
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FloatField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from vocapp.forms import CheckboxListField
from vocapp.models import Campaign, Channel
from vocapp.services.campaigns import CHANNEL_ORDERS, SETTINGS

__all__ = ["CampaignForm", "CHANNEL_LABELS", "split_codes"]

#: How 311 channels are named for DCXOs.
CHANNEL_LABELS = {
    Channel.PHONE: "Phone call to 311", Channel.WEB: "Website", Channel.APP: "Mobile app",
    Channel.WALK_IN: "Walk-in / in person", Channel.EMAIL: "Email", Channel.SOCIAL: "Social media",
    Channel.OTHER: "Other or unknown",
}
_LIST_FIELDS = ("service_codes", "wards", "excluded_service_codes")


def _range(name: str) -> str:
    low, high = SETTINGS[name]
    return f"From {low:,} to {high:,}."


def _number(label: str, name: str, hint: str) -> IntegerField:
    return IntegerField(label, validators=[InputRequired("Enter a whole number.")], description=f"{hint} {_range(name)}")


def split_codes(text: str | None) -> list[str]:
    """Codes typed one per line or separated by commas (or semicolons), blanks dropped.

    >>> split_codes(" POTHOLE, Graffiti\\n\\n 12 ;X ")
    ['POTHOLE', 'Graffiti', '12', 'X']
    """
    return [part.strip() for part in re.split(r"[,;\n]", text or "") if part.strip()]


class CampaignForm(FlaskForm):
    """Which closed requests get a survey, when, how often, and how fast."""

    name = StringField("Campaign name", validators=[DataRequired("Give the campaign a name."), Length(max=200)],
                       description="For staff only, e.g. “Pothole repairs, spring pilot”. Residents never see it.")
    survey_version_id = SelectField(
        "Survey", coerce=int, validators=[InputRequired("Choose a survey.")],
        description="Only published versions can be sent. Invitations already planned keep their version.")
    departments = CheckboxListField(
        "Requests of these departments", coerce=int,
        description="Tick none to survey the requests of the survey's own department.")
    service_codes = TextAreaField(
        "Only these services", validators=[Optional(), Length(max=4000)], render_kw={"rows": 2},
        description="Service codes, one per line or separated by commas. Leave empty for every service.")
    wards = TextAreaField(
        "Only these wards or districts", validators=[Optional(), Length(max=4000)], render_kw={"rows": 2},
        description="As the 311 system names them, separated by commas. Leave empty for everywhere.")
    channels = CheckboxListField(
        "Only requests made by", choices=[SelectChoice(c.value, label) for c, label in CHANNEL_LABELS.items()],
        description="How the resident reached 311. Tick none for every channel.")
    excluded_service_codes = TextAreaField(
        "Never survey these services", validators=[Optional(), Length(max=4000)], render_kw={"rows": 2},
        description="Sensitive matters (for example abuse or safety reports): service codes separated by commas.")
    exclude_reopened = BooleanField("Leave out requests that were reopened after closing",
                                    description="The problem probably came back; a survey would feel tone-deaf.")
    exclude_duplicates = BooleanField("Leave out duplicates of another request",
                                      description="The resident is surveyed on the original request instead.")
    sample_rate = FloatField(
        "Share of eligible requests to survey (%)",
        validators=[InputRequired("Enter a percentage."), NumberRange(1, 100, "A percentage from 1 to 100.")],
        description="100 surveys everyone eligible; 25 surveys one in four, picked at random but the same "
                    "requests on every run.")
    delay_minutes = _number("Wait after the request closes (minutes)", "delay_minutes",
                            "60 is one hour, 1440 one day. Gives the crew time to finish and the resident time "
                            "to notice.")
    quiet_start = TimeField("Quiet hours start", validators=[Optional()],
                            description="No messages from this time (24-hour, e.g. 20:00). Leave both empty for "
                                        "no quiet hours.")
    quiet_end = TimeField("Quiet hours end", validators=[Optional()],
                          description="Messages resume at this time (e.g. 08:00). Messages due in between wait.")
    channel_order = RadioField("How residents are contacted",
                               choices=[SelectChoice(k, v) for k, v in CHANNEL_ORDERS.items()],
                               validators=[InputRequired("Choose how residents are contacted.")],
                               description="A resident who told 311 which they prefer gets that one when allowed.")
    reminders = _number("Reminders", "reminders", "How many reminders a resident who has not answered gets.")
    reminder_after_hours = _number("Hours between reminders", "reminder_after_hours",
                                   "72 is three days.")
    expiry_days = _number("Survey link works for (days)", "expiry_days", "After that the link says it has expired.")
    contact_cap_days = _number(
        "Invite a resident at most once every (days)", "contact_cap_days",
        "Counts invitations from every campaign of every department, so nobody is over-surveyed. 0 for no limit.")
    max_age_days = _number("Only requests closed in the last (days)", "max_age_days",
                           "Switching a campaign on does not invite residents about old requests.")
    send_rate_per_minute = _number("Messages per minute at most", "send_rate_per_minute",
                                   "Keeps large batches within what the email or SMS provider allows.")
    submit = SubmitField("Save campaign")

    def fill(self, campaign: Campaign) -> None:
        """Show a campaign's settings."""
        for name in SETTINGS:
            getattr(self, name).data = getattr(campaign, name)
        for name in _LIST_FIELDS:
            getattr(self, name).data = ", ".join(getattr(campaign, name) or [])
        percent = round(campaign.sample_rate * 100, 4)
        self.sample_rate.data = int(percent) if percent.is_integer() else percent

    def values(self) -> dict[str, Any]:
        """The settings as `services.campaigns` takes them (a share of 0-1, lists, times)."""
        values = {name: getattr(self, name).data for name in SETTINGS}
        for name in _LIST_FIELDS:
            values[name] = split_codes(values[name])
        values["name"] = values["name"] or ""
        values["departments"] = values["departments"] or []
        values["channels"] = values["channels"] or []
        values["sample_rate"] = (self.sample_rate.data or 0) / 100
        return values
