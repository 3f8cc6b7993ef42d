"""Where the CRMs are and how to log in: the ONE definition of each CRM's settings.

Each class is a dlt configspec: `orchestration.settings.load_settings()` resolves it from dlt's providers
(env vars `SOURCES__SALESFORCE__LOGIN_URL`, `[sources.salesforce]` in `.dlt/config.toml` and
`.dlt/secrets.toml`), and the sandbox, the bench and the tests construct it directly with keywords.
The Dagster resources (orchestration/resources.py) and the clients read these same fields.

Secrets are typed `TSecretStrValue`: dlt refuses them from config.toml (only env vars and
secrets.toml may hold them), and the objects' repr/str never show a value.
"""

from typing import ClassVar

from dlt.common.configuration import configspec
from dlt.common.configuration.specs import BaseConfiguration
from dlt.common.configuration.specs.base_configuration import is_secret_hint
from dlt.common.typing import TSecretStrValue, is_optional_type


@configspec
class CrmConfig(BaseConfiguration):
    """Shared by every CRM: what dlt section it lives in, and how it names itself."""

    crm: ClassVar[str] = ""
    retry_base_seconds: float = 0.5  # the first backoff of a retried call; it doubles per attempt

    @classmethod
    def sections(cls) -> tuple[str, str]:
        return ("sources", cls.crm)

    @classmethod
    def setting_names(cls) -> list[str]:
        return list(cls.get_resolvable_fields())

    @classmethod
    def required_names(cls) -> list[str]:
        """Fields without a default: a CRM that is audited must set them."""
        defaults = cls()
        return [
            name
            for name, hint in cls.get_resolvable_fields().items()
            if getattr(defaults, name) is None and not is_optional_type(hint)
        ]

    @classmethod
    def secret_names(cls) -> list[str]:
        return [name for name, hint in cls.get_resolvable_fields().items() if is_secret_hint(hint)]

    @classmethod
    def env_name(cls, key: str) -> str:
        """The environment variable dlt reads this setting from."""
        return "__".join((*cls.sections(), key)).upper()

    def missing(self) -> list[str]:
        return [name for name in self.required_names() if getattr(self, name) in (None, "")]


@configspec
class SalesforceConfig(CrmConfig):
    crm: ClassVar[str] = "salesforce"
    login_url: str = None  # the org's My Domain (https://acme.my.salesforce.com) or the sandbox's URL
    client_id: str = None  # the connected app's consumer key
    client_secret: TSecretStrValue = None
    username: str | None = None  # with password: OAuth password grant; without: client credentials
    password: TSecretStrValue | None = None
    ca_bundle: str | None = None  # PEM to trust instead of the system CAs (the sandbox's own CA)
    api_version: str = "59.0"
    task_key_field: str = "Cadence_Task_Key__c"  # External ID text field on Task holding our key


@configspec
class HubSpotConfig(CrmConfig):
    crm: ClassVar[str] = "hubspot"
    # Either a private app's token (it never expires), or a public app's OAuth refresh grant: HubSpot's
    # OAuth access tokens expire after 30 minutes and are refreshed with these three
    # (ingest/hubspot/oauth.py).
    access_token: TSecretStrValue | None = None
    client_id: str | None = None
    client_secret: TSecretStrValue | None = None
    refresh_token: TSecretStrValue | None = None
    base_url: str = "https://api.hubapi.com"
    ca_bundle: str | None = None
    task_key_property: str = "cadence_task_key"  # unique text property on tasks holding our key
    # HubSpot's documented limits (ingest/http.py): search 5/s per portal; other endpoints 100 per 10 s
    # per private app on Free/Starter, 190 on Professional/Enterprise. The pace until HubSpot's first
    # answer states the app's window (X-HubSpot-RateLimit-Max), which the client follows from then on.
    search_requests_per_second: float = 5.0
    requests_per_10_seconds: int = 100

    OAUTH_KEYS: ClassVar[tuple[str, ...]] = ("client_id", "client_secret", "refresh_token")

    @property
    def uses_oauth(self) -> bool:
        """Any OAuth key set: the app refreshes its own access tokens."""
        return any(getattr(self, key) not in (None, "") for key in self.OAUTH_KEYS)

    def missing(self) -> list[str]:
        """A private-app token, or all three OAuth keys (an access token is then optional)."""
        if self.uses_oauth:
            return [key for key in self.OAUTH_KEYS if getattr(self, key) in (None, "")]
        return [] if self.access_token else ["access_token"]


CRM_CONFIGS: dict[str, type[CrmConfig]] = {"salesforce": SalesforceConfig, "hubspot": HubSpotConfig}


@configspec
class NoInjectedArguments(BaseConfiguration):
    """`@dlt.source(spec=NoInjectedArguments)`: dlt fills no source argument from its config.

    Without it dlt would read every argument left at its default from `SOURCES__<CRM>__<ARG>`, even
    in the demo and the bench, which must never read the configured CRMs' settings.
    """
