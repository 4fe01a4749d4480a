"""One scrubber for every message that reaches a screen, a report or a log.

Servers echo what they were sent: a New API channel test relays the upstream's 401 verbatim
("Incorrect API key provided: Bearer sk-…"), a proxy quotes a header in its error page, a library
quotes the header value it refused. So no message is trusted to be clean: every `ChannelsError`,
test result and batch result passes its text through `scrub` when it is built, and the app's
notifications, the crash line and the log pass through it too. A backend, today's or a future
one, cannot forget to.

`scrub` masks, in this order:

1. every secret this process holds (site tokens and passwords, key-source tokens), which the
   secret store and the backend registry `remember` as they hand them out, also in their escaped
   (`repr`) spelling and line by line, as libraries quote them;
2. what looks like a credential whoever it belongs to: `Bearer …` / `Basic …`, provider keys
   (`sk-…`, `xai-…`, `AIza…`, …: a prefix followed by a key-like body, so a name such as
   `xai-official-90` or `sk-prod-eu` is left alone), the password of a URL (a proxy's
   `http://user:password@host`), JWTs, `key=…` / `"password": "…"` pairs, and long random-looking strings
   (24+ characters mixing digits and both cases, or 32+ hex digits).

Names, ids, base URLs and model names are not secrets: a record that keeps one (the history
journal's channel names) passes it through `mask_remembered`, which masks only rule 1.

A secret of this process is replaced whole by an ellipsis; any other masked value keeps at most its
first four characters (seven for an `sk-` key), so a person can still tell which key a message is
about.
"""

from __future__ import annotations

import functools
import logging
import re
import threading

ELLIPSIS = "…"
MIN_REMEMBERED = 8
"""Shorter secrets are not remembered: masking "admin" everywhere would garble ordinary words.
The pattern rules still mask them where they appear as `password=…` and the like."""

_KEY_PREFIXES = r"(?:sk|pk|rk|ak|xai|gsk|ghp|gho|github_pat|glpat|hf|nvapi|AKIA)"
_PROVIDER_KEY = re.compile(rf"\b{_KEY_PREFIXES}[-_]([A-Za-z0-9_\-]{{8,}}+)(?!…)|\bAIza[0-9A-Za-z_\-]{{20,}}+(?!…)")
_KEY_BODY_LENGTH = 32
"""A body this long after a provider prefix is a key whatever it holds; a shorter one is a key only
when one of its `-`/`_`-separated runs is random-looking (`_KEY_RUN`), as no word of a name is."""
_KEY_RUN = re.compile(r"(?=[A-Za-z0-9]*[0-9])[A-Za-z0-9]{10,}")
_AUTH_SCHEME = re.compile(r"\b(Bearer|bearer|Basic)(\s+)([A-Za-z0-9._~+/=\-]{8,}+)(?!…)")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]*+(?!…)")
_NAMED = re.compile(
    r"""(?ix)
    (["']?\b(?:api[_-]?key|x-api-key|access[_-]?token|refresh[_-]?token|token|channel[_-]?key|key|
        password|passwd|pwd|secret|client[_-]?secret|authorization|cookie|auth)\b["']?
     \s*[:=]\s*["']?)
    (?!(?:Bearer|Basic|Token)\s)
    ([^\s"',;&}\]…]{4,}+)(?!…)
    """
)
_URL_PASSWORD = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://[^/@\s:?#]*:)([^/@\s?#…]+)(@)")
_OPAQUE = re.compile(r"(?<![A-Za-z0-9+=_])[A-Za-z0-9+=_]{24,}(?![A-Za-z0-9+=_])")
_HEX = re.compile(r"[0-9a-fA-F]{32,}")

_lock = threading.Lock()
_remembered: set[str] = set()
_remembered_pattern: re.Pattern[str] | None = None


def remember(secret: str | None) -> None:
    """Mask `secret` wherever it appears from now on, as typed and as libraries quote it."""
    if not secret:
        return
    forms = {secret, secret.strip(), repr(secret)[1:-1], repr(secret.encode("utf-8", "replace"))[2:-1]}
    forms.update(line.strip() for line in secret.splitlines())
    fresh = {form for form in forms if len(form) >= MIN_REMEMBERED} - _remembered
    if not fresh:
        return
    global _remembered_pattern
    with _lock:
        _remembered.update(fresh)
        ordered = sorted(_remembered, key=len, reverse=True)
        _remembered_pattern = re.compile("|".join(re.escape(form) for form in ordered))


def hide(value: str) -> str:
    """A value as a message may show it: its first characters, then an ellipsis."""
    if value.lower().startswith("sk-") and len(value) >= 16:
        return value[:7] + ELLIPSIS
    return (value[:4] if len(value) >= 16 else "") + ELLIPSIS


def scrub(text: str) -> str:
    """`text` with every secret it holds masked (see the module docstring for what counts)."""
    if not text:
        return text
    if len(text) > CACHED_UP_TO:
        return _scrubbed(text, _remembered_pattern)
    return _recently_scrubbed(text, _remembered_pattern)


def _scrubbed(text: str, pattern: re.Pattern[str] | None) -> str:
    if pattern is not None:
        text = pattern.sub(ELLIPSIS, text)
    text = _URL_PASSWORD.sub(lambda m: m.group(1) + hide(m.group(2)) + m.group(3), text)
    text = _AUTH_SCHEME.sub(lambda m: m.group(1) + m.group(2) + hide(m.group(3)), text)
    text = _PROVIDER_KEY.sub(_provider_key, text)
    text = _JWT.sub(lambda m: hide(m.group(0)), text)
    text = _NAMED.sub(lambda m: m.group(1) + hide(m.group(2)), text)
    return _OPAQUE.sub(lambda m: hide(m.group(0)) if _random_looking(m.group(0)) else m.group(0), text)


def remembers_secrets() -> bool:
    """Whether this process holds any secret `mask_remembered` would mask."""
    return _remembered_pattern is not None


def holds_remembered(text: str) -> bool:
    """Whether `mask_remembered` would mask anything in `text` (without building the masked text)."""
    pattern = _remembered_pattern
    return bool(text) and pattern is not None and pattern.search(text) is not None


def mask_remembered(text: str) -> str:
    """`text` with only the secrets this process holds masked: for names and other identifiers a
    record keeps, which the pattern rules would take for keys (`xai-official-90`)."""
    pattern = _remembered_pattern
    if not text or pattern is None:
        return text
    return pattern.sub(ELLIPSIS, text)


def _provider_key(match: re.Match[str]) -> str:
    body = match.group(1)
    if body is None or len(body) >= _KEY_BODY_LENGTH:
        return hide(match.group(0))
    if any(_KEY_RUN.fullmatch(run) for run in re.split(r"[-_]", body)):
        return hide(match.group(0))
    return match.group(0)


CACHED_UP_TO = 1024
"""Texts up to this many characters are kept scrubbed (`_recently_scrubbed`); longer ones are
scrubbed every time."""

_recently_scrubbed = functools.lru_cache(maxsize=2048)(_scrubbed)
"""`scrub`'s work kept for the texts seen last: a batch's results repeat a few messages a thousand
times, and each result is scrubbed as it is built and again each time it is stamped. The
remembered secrets' pattern is part of the key, so a secret remembered later is never missed."""


def _random_looking(word: str) -> bool:
    """Mixed case and digits (a base64 token), or a long hex string (a One API token, a digest)."""
    if _HEX.fullmatch(word):
        return True
    return any(c.isdigit() for c in word) and any(c.islower() for c in word) and any(c.isupper() for c in word)


class ScrubFilter(logging.Filter):
    """A logging filter that scrubs each record's message, so no log line can carry a secret."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = scrub(record.getMessage())
        record.args = None
        return True


def logger(name: str) -> logging.Logger:
    """The named logger of the package, with its records scrubbed."""
    log = logging.getLogger(name)
    if not any(isinstance(f, ScrubFilter) for f in log.filters):
        log.addFilter(ScrubFilter())
    return log
