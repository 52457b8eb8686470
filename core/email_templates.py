"""Stored email templates rendered with Django's template engine: the notification service
renders the subject for the log, the delivery task the bodies."""

from functools import lru_cache

from django.template import engines

from core.models import EmailTemplate


@lru_cache(maxsize=256)
def _compiled(source: str, *, autoescape: bool):
    """A template source compiled once per process. Keyed by the text itself, so an edited
    template is compiled anew and a stale one is never served; rendering a compiled template
    is thread-safe (Django's cached loader relies on it too)."""
    if not autoescape:
        source = "{% autoescape off %}" + source + "{% endautoescape %}"
    return engines["django"].from_string(source)


def subject_render(source: str, variables: dict) -> str:
    return " ".join(_compiled(source, autoescape=False).render(variables).split())


def email_render(template: EmailTemplate, variables: dict) -> tuple[str, str, str]:
    """(subject, text body, HTML body). HTML is autoescaped; subject and text are not."""
    return (subject_render(template.subject, variables),
            _compiled(template.body_text, autoescape=False).render(variables),
            _compiled(template.body_html, autoescape=True).render(variables))
