"""The exception hierarchy of the survey domain."""

__all__ = ["SurveyError", "DesignError", "AnswerError"]


class SurveyError(Exception):
    """Base class of every error the survey domain raises."""


class DesignError(SurveyError):
    """A survey definition that cannot be used; `problems` lists every reason."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("; ".join(p.message for p in self.problems))


class AnswerError(SurveyError):
    """An answer a question refuses.

    `code` names the reason ("required", "range", "choice", "too_long", "format")
    so the interface can say it in the resident's language; `params` fills it in.
    """

    def __init__(self, code: str, **params):
        self.code = code
        self.params = params
        super().__init__(f"{code} {params}" if params else code)
