"""Answer labels and messages residents see (scale points, drivers, errors), in message catalogs."""

from flask_babel import lazy_gettext as _l

#: 1-5 satisfaction.
CSAT = {
    1: _l("Very dissatisfied"),
    2: _l("Dissatisfied"),
    3: _l("Neither satisfied nor dissatisfied"),
    4: _l("Satisfied"),
    5: _l("Very satisfied"),
}

#: 1-5 agreement (Likert, A-11 trust on five points).
AGREE5 = {
    1: _l("Strongly disagree"),
    2: _l("Disagree"),
    3: _l("Neither agree nor disagree"),
    4: _l("Agree"),
    5: _l("Strongly agree"),
}

#: 1-7 agreement (customer effort).
AGREE7 = {
    1: _l("Strongly disagree"),
    2: _l("Disagree"),
    3: _l("Somewhat disagree"),
    4: _l("Neither agree nor disagree"),
    5: _l("Somewhat agree"),
    6: _l("Agree"),
    7: _l("Strongly agree"),
}

NPS_LOW = _l("0 means not at all likely")
NPS_HIGH = _l("10 means extremely likely")

TRUST = {"agree": _l("Agree"), "disagree": _l("Disagree")}
FIXED = {"yes": _l("Yes"), "partly": _l("Partly"), "no": _l("No")}

#: The A-11 v2 drivers, worded to fit both "what went well" and "what could have gone better".
DRIVERS = {
    "effectiveness": _l("Getting what I needed"),
    "ease": _l("How easy it was"),
    "efficiency": _l("How long it took"),
    "transparency": _l("Clear information about what would happen"),
    "humanity": _l("Being treated with respect"),
    "employee": _l("Helpfulness of City staff"),
    "other": _l("Something else"),
}

#: Messages for surveys.errors.AnswerError codes.
ERRORS = {
    "required": _l("Please answer this question."),
    "range": _l("Choose a number from %(low)s to %(high)s."),
    "choice": _l("Choose one of the answers shown."),
    "format": _l("Choose one answer."),
    "too_long": _l("Please shorten your answer to %(max)s characters. It has %(length)s now."),
}
