"""Sign-off and channel filler ("Thanks for watching", "please subscribe") that a summary leaves out.

Pure text functions; the summary stage (worker process) calls them on transcript lines and
on-screen text. Whisper also tends to hallucinate exactly these phrases in silence, so they
are never evidence of what a video is about.
"""

from __future__ import annotations

import re

_FILLER = re.compile(r"""
    \b(?:
        thank(?:s|\ you)(?:\ (?:so|very)\ much)?(?:\ (?:all|everyone|everybody|guys))?
            (?:\ (?:for|4)\ (?:watching|listening|viewing|your\ attention|tuning\ in|joining(?:\ us)?))?
      | (?:please\ |don\ t\ forget\ to\ |be\ sure\ to\ |make\ sure\ to\ |remember\ to\ )?
            (?:(?:like|comment|share)(?:\ and|\ or)?\ )*subscribe(?:\ to\ (?:my|our|the)\ channel)?
      | (?:smash|hit)\ (?:that|the)\ (?:like\ button|bell(?:\ icon)?|notification\ bell)
      | leave\ a\ (?:like|comment)
      | see\ you\ (?:next\ time|soon|later|in\ the\ next\ (?:one|video|episode))
      | (?:i\ )?hope\ you\ enjoyed\ (?:this|the)\ (?:video|episode)
      | that\ s\ (?:all|it)\ for\ (?:today|now|this\ video|this\ episode)
      | subtitles\ by\ [a-z.\ ]+
      | (?:good)?bye(?:\ bye)?
    )\b""", re.VERBOSE)
_FILLER_WORDS = frozenset("a all again and bye everybody everyone folks guys oh ok okay so the then well you".split())
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")


def _words(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.casefold()).split())


def is_filler(text: str) -> bool:
    """Whether `text` says nothing but a sign-off, thanks or a plea to subscribe."""
    words = _words(text)
    if not words or not _FILLER.search(words):
        return False
    rest = [w for w in _FILLER.sub(" ", words).split() if w not in _FILLER_WORDS]
    return len(rest) < 3


def strip_filler(text: str) -> str:
    """`text` without its filler sentences ("" when it was all filler)."""
    kept = [s for s in _SENTENCE_END.split(text.strip()) if s and not is_filler(s)]
    return " ".join(kept)
