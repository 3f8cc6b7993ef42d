"""What the sandbox accepts as credentials. Public on purpose: the sandbox holds no real data."""

from __future__ import annotations

from dataclasses import dataclass

SANDBOX_SALESFORCE_CLIENT_ID = "sandbox-client-id"
SANDBOX_SALESFORCE_CLIENT_SECRET = "sandbox-client-secret"
SANDBOX_SALESFORCE_USERNAME = "integration@sandbox.example.com"
SANDBOX_SALESFORCE_PASSWORD = "sandbox-password"
SANDBOX_SALESFORCE_SECURITY_TOKEN = "sandboxsecuritytoken"  # appended to the password for SOAP login()
SANDBOX_HUBSPOT_TOKEN = "sandbox-hubspot-token"  # a private app's token (never expires)
SANDBOX_HUBSPOT_CLIENT_ID = "sandbox-hubspot-client-id"  # a public app's OAuth credentials
SANDBOX_HUBSPOT_CLIENT_SECRET = "sandbox-hubspot-client-secret"
SANDBOX_HUBSPOT_REFRESH_TOKEN = "sandbox-hubspot-refresh-token"


@dataclass
class SandboxCredentials:
    """What the sandbox accepts. Defaults are public on purpose: the sandbox holds no real data."""

    salesforce_client_id: str = SANDBOX_SALESFORCE_CLIENT_ID
    salesforce_client_secret: str = SANDBOX_SALESFORCE_CLIENT_SECRET
    salesforce_username: str = SANDBOX_SALESFORCE_USERNAME
    salesforce_password: str = SANDBOX_SALESFORCE_PASSWORD
    salesforce_security_token: str = SANDBOX_SALESFORCE_SECURITY_TOKEN
    hubspot_token: str = SANDBOX_HUBSPOT_TOKEN
    hubspot_client_id: str = SANDBOX_HUBSPOT_CLIENT_ID
    hubspot_client_secret: str = SANDBOX_HUBSPOT_CLIENT_SECRET
    hubspot_refresh_token: str = SANDBOX_HUBSPOT_REFRESH_TOKEN
