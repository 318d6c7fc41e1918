"""The account guard: a stack that names its account (`expectedAccount`) never touches another."""

from __future__ import annotations

from .account import Account
from .config import ApiSettings, StackConfig, expected_account
from .errors import ConfigError, WrongAccount


def guard_account(settings: ApiSettings, config: StackConfig | None, account: Account) -> None:
    """Fail before any read or write when the token belongs to another account than the stack
    expects; the account is asked once per provider process."""
    expected = expected_account(settings, config)
    if not expected:
        return
    key = settings.key("expectedAccount")
    if settings.identify is None:
        raise ConfigError(
            f"{key} is set, but the {settings.api} API offers no way to tell which "
            f"account a token belongs to; remove {key}."
        )
    actual = account.identity(settings.identify)
    if actual != expected:
        raise WrongAccount(
            f"wrong {settings.api} account: the token belongs to {actual!r} but {key} "
            f"is {expected!r}; nothing was changed. Check {settings.token_key} and "
            f"{settings.base_url_key} for this stack."
        )
