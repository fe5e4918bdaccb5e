"""A service's refusal in the words of the page's language, by its code.

Services refuse with a stable ``code`` (the problem type of the API) and an English ``detail``
for programs and logs. A page that shows a refusal passes it with a table of the codes it can
meet (code -> translated sentence; consent.portal.refusals, vault.portal.refusals). A code the
table lacks (a rule added later) keeps the English detail, marked ``lang="en"`` so a screen
reader says it in English, rather than hiding why.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

from vc.errors import VcError


@dataclass(frozen=True)
class WithDetail:
    """A sentence followed by the service's English detail, for a refusal whose detail names
    what no sentence can (the line and column of a CSV, say)."""

    words: Promise


Words = Promise | WithDetail


def in_words(exc: VcError, known: Mapping[str, Words]) -> str:
    """``exc`` in the active language when its code is one of ``known``; else its English detail
    marked as English (safe HTML then, escaped)."""
    return code_in_words(exc.code, exc.detail, known)


def code_in_words(code: str, detail: str, known: Mapping[str, Words]) -> str:
    """A refusal given by its ``code`` and English ``detail`` (not raised: one citizen's of a
    bulk read, say), as ``in_words`` says it."""
    words = known.get(code)
    if words is None:
        return format_html('<span lang="en">{}</span>', detail)
    if isinstance(words, WithDetail):
        return format_html('{} <span lang="en">{}</span>', words.words, detail)
    return str(words)


def in_sentence(sentence: str, exc: VcError, known: Mapping[str, Words]) -> SafeString:
    """``sentence`` (translated, with one ``%(reason)s``) around ``exc`` in words (``in_words``),
    as safe HTML: both escaped, the English detail's mark kept."""
    reason = conditional_escape(in_words(exc, known))
    return mark_safe(conditional_escape(sentence) % {"reason": reason})  # noqa: S308 - both escaped
