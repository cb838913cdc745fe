"""Keeping secrets out of what hpdesk writes down: the database, its logs, plan files.

Three kinds of secret are recognised (docs/security.md):

- the value of a variable whose *name* looks secret (`looks_secret`): one of its words is a
  token, a key, a password, a credential... (`SECRET_WORDS`, `SECRET_INSIDE`);
- a password inside a URL, `https://user:pass@host` → `https://user:***@host`, and the value of
  a `name=value` pair whose name looks secret (`?token=...`, `;AccountKey=...`) (`mask_text`);
- the plan's `env:` values that are secret: marked `secret: true`, or, unless marked
  `secret: false`, under a name that looks secret or holding a URL password (`secret_env`).

A secret `env:` value of a plan is never stored: the plan is stored (and saved, and exported)
with `{secret: true}` in its place, and the value travels in the process environment instead
(`export_secret_env`): the scheduler, in this process or detached, and the trials inherit it.
Resuming in another shell needs the variable set there; a missing one is named in one line.

This module imports only the standard library: every layer may use it.

Example:
    >>> looks_secret("WANDB_API_KEY"), looks_secret("TOKENIZERS_PARALLELISM")
    (True, False)
    >>> mask_text("http://proxy-user:hunter2@proxy:3128")
    'http://proxy-user:***@proxy:3128'
    >>> mask_argv(["train.py", "--hf-token", "hf_abc", "--lr=0.1"])
    ['train.py', '--hf-token', '***', '--lr=0.1']
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, MutableMapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hpdesk.plan.model import Plan

MASK = "***"

#: A variable name, command-line option or `name=` with one of these words looks secret:
#: `DB_PASSWORD`, `--api-secret`, `GOOGLE_APPLICATION_CREDENTIALS`, `?sig=`.
SECRET_WORDS = frozenset({
    "secret", "secrets", "password", "passwords", "passwd", "passphrase", "apikey",
    "credential", "credentials", "creds", "cookie", "cookies", "jwt", "bearer", "authtoken",
    "accesskey", "privatekey", "sig", "signature",
})
#: ... or one of these inside a word (run together: `PGPASSWORD`, `MYAPIKEY`), or a word that
#: ends in token, secret, password or passwd (`GHTOKEN`).
SECRET_INSIDE = ("password", "passwd", "secret", "credential", "apikey", "authtoken",
                 "accesskey", "privatekey", "passphrase")
_ENDINGS = ("token", "secret", "password", "passwd")
#: In a variable's name these words are secret too (`HF_TOKEN`, `KAGGLE_KEY`, `SMTP_PASS`,
#: `MYSQL_PWD`, `BASIC_AUTH`, `SSH_PRIVATE_KEY`). Scripts use them for much else
#: (`--pad-token`, `--text-key`, `--private`), so an option counts only as `--token`, `--key`,
#: `--pass`, or with an owner before it: `--hf-token`, `--access-token`, `--api-key`.
NAME_WORDS = frozenset({"token", "key", "keys", "pass", "auth", "private", "pwd"})
TOKEN_OWNERS = frozenset({
    "hf", "hub", "huggingface", "api", "auth", "access", "refresh", "id", "session", "github",
    "gh", "gitlab", "wandb", "oauth", "personal", "private", "secret", "slack", "bot", "npm",
    "pypi", "user", "client", "csrf", "xsrf", "bearer",
})
KEY_OWNERS = frozenset({"api", "access", "secret", "private", "ssh", "auth", "encryption",
                        "account", "license", "client", "wandb", "openai", "anthropic",
                        "comet", "neptune"})
#: The shell's working folders, not a password.
NOT_SECRET = frozenset({"PWD", "OLDPWD"})

_WORD_SPLIT = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])")
# scheme://user:PASSWORD@host: the password runs to the last @ before the path (RFC 3986
# wants an @ in it escaped, but people paste them unescaped).
_URL_PASSWORD = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.\-]{0,31}://[^\s:/?#@]*:)"
                           r"(?P<secret>[^\s/?#]+)@")
_PAIR = re.compile(r"(?:^|(?<=[?&;,\s]))(?P<name>[A-Za-z_][A-Za-z0-9_.\-]{0,63})="
                   r"(?P<value>[^&;,\s]+)")


def _words(name: str) -> list[str]:
    return [w.lower() for w in _WORD_SPLIT.split(name) if w]


def looks_secret(name: str, *, flag: bool = False) -> bool:
    """Whether a variable named `name` (or, with `flag`, a command-line option or the name in a
    `name=value` pair) probably holds a secret.

    Example:
        >>> [looks_secret(n) for n in ("HF_TOKEN", "PGPASSWORD", "MYSQL_PWD", "PWD", "PATH")]
        [True, True, True, False, False]
        >>> [looks_secret(f, flag=True) for f in ("pad-token", "hf-token", "text-key", "api-key")]
        [False, True, False, True]
    """
    if name in NOT_SECRET:
        return False
    words = _words(name)
    for i, word in enumerate(words):
        if word in SECRET_WORDS or any(part in word for part in SECRET_INSIDE):
            return True
        if word.endswith(_ENDINGS) and word not in NAME_WORDS:
            return True  # run together: ghtoken, dbsecret
        if word in NAME_WORDS:
            if not flag or len(words) == 1 and word in ("token", "key", "pass"):
                return True
            owner = words[i - 1] if i else ""
            if word == "token" and owner in TOKEN_OWNERS:
                return True
            if word in ("key", "keys") and owner in KEY_OWNERS:
                return True
    return False


def mask_text(text: str) -> str:
    """`text` with URL passwords and the values of secret-looking `name=value` pairs masked.

    Example:
        >>> mask_text("redis://:pw@db:6379/0 and https://h/x?sig=abc&lang=en")
        'redis://:***@db:6379/0 and https://h/x?sig=***&lang=en'
    """
    if "@" in text and "://" in text:  # bounded patterns: linear in the text's length
        text = _URL_PASSWORD.sub(lambda m: m.group("head") + MASK + "@", text)
    if "=" in text:
        text = _PAIR.sub(lambda m: f"{m.group('name')}={MASK}"
                         if looks_secret(m.group("name"), flag=True) else m.group(0), text)
    return text


def has_url_password(text: str) -> bool:
    return _URL_PASSWORD.search(text) is not None


def mask_argv(argv: Sequence[str]) -> list[str]:
    """An argument list as it may be recorded or shown: the value after a secret-looking
    option (`--token X`, `--password=X`) masked, and every argument through `mask_text`."""
    out: list[str] = []
    hide_next = False
    for arg in argv:
        if hide_next and not arg.startswith("-"):
            out.append(MASK)
            hide_next = False
            continue
        hide_next = False
        if arg.startswith("-") and len(arg) > 1 and not _is_number(arg):
            flag, eq, value = arg.partition("=")
            if looks_secret(flag.lstrip("-"), flag=True):
                if eq:
                    out.append(f"{flag}={MASK}" if value else arg)
                else:
                    out.append(arg)
                    hide_next = True
                continue
        out.append(mask_text(arg))
    return out


def _is_number(arg: str) -> bool:
    try:
        float(arg)
    except ValueError:
        return False
    return True


def mask_env(env: Mapping[str, str], secret: Iterable[str] = ()) -> dict[str, str]:
    """Variables as they may be recorded: secret-looking names (and those in `secret`) masked,
    URL passwords inside the others masked."""
    hidden = set(secret)
    return {k: MASK if (k in hidden or looks_secret(k)) else mask_text(v)
            for k, v in env.items()}


# ---- the plan's env: ----------------------------------------------------------------------

def env_is_secret(name: str, value: str | None, mark: bool | None) -> bool:
    """An env entry of a plan is secret when marked so; unmarked, when its name looks secret or
    its value holds a URL password (`secret: false` keeps such an entry in the plan)."""
    if mark is not None:
        return mark
    return looks_secret(name) or (value is not None and has_url_password(value))


def secret_env(env: Mapping[str, str], marks: Mapping[str, bool]) -> frozenset[str]:
    """The names of a plan's secret env entries (values known or taken from the environment)."""
    names = [*env, *(n for n in marks if n not in env)]
    return frozenset(n for n in names if env_is_secret(n, env.get(n), marks.get(n)))


def env_to_dict(env: Mapping[str, str], marks: Mapping[str, bool]) -> dict[str, Any]:
    """The plan's `env:` as stored and saved: a secret as `{secret: true}`, never its value; a
    value that would be taken for secret but is marked not as `{value: ..., secret: false}`."""
    out: dict[str, Any] = {}
    for name in [*env, *(n for n in marks if n not in env)]:
        value = env.get(name)
        if env_is_secret(name, value, marks.get(name)):
            out[name] = {"secret": True}
        elif marks.get(name) is False and env_is_secret(name, value, None):
            out[name] = {"value": value, "secret": False}
        else:
            out[name] = value
    return out


def export_secret_env(plan: Plan, environ: MutableMapping[str, str], *,
                      source: str = "the plan") -> None:
    """Before a plan is stored: put its known secret values into `environ` (the process
    environment, which the scheduler and its trials inherit), after checking that every other
    secret is there and that its command holds no URL password (the command is stored as
    written; a password goes in `env:` with `secret: true`).

    Raises:
        PlanError: naming each secret that is neither in the plan nor in `environ`, and each
            argument of the command with a password in it.
    """
    from hpdesk.plan.reader import PlanError, Problem

    problems = [Problem(f"command[{i}]", "no password in a URL (it would be stored with the "
                        "experiment: pass it in env: with secret: true)", mask_text(arg), source)
                for i, arg in enumerate(plan.command or ()) if has_url_password(arg)]
    problems += [Problem(f"env.{name}", f"{name} set in the environment (a secret is never "
                         "stored)", "it unset", source) for name in missing_secret(plan, environ)]
    if problems:
        raise PlanError(problems)
    environ.update(secret_values(plan))


def secret_values(plan: Plan) -> dict[str, str]:
    """The plan's secret env values that it holds itself (read from a plan file), by name."""
    secret = secret_env(plan.env, plan.env_secret)
    return {name: value for name, value in plan.env.items() if name in secret}


def missing_secret(plan: Plan, environ: Mapping[str, str]) -> list[str]:
    """The plan's secret env names that the environment `environ` lacks (a trial cannot start)."""
    return sorted(n for n in secret_env(plan.env, plan.env_secret)
                  if n not in plan.env and n not in environ)


__all__ = ["MASK", "NAME_WORDS", "SECRET_INSIDE", "SECRET_WORDS", "env_is_secret",
           "env_to_dict", "export_secret_env", "has_url_password", "looks_secret", "mask_argv",
           "mask_env", "mask_text", "missing_secret", "secret_env", "secret_values"]
