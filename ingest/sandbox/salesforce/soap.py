"""SOAP `login()` of the partner and enterprise APIs: the session a username + password (+ security token)
client such as simple-salesforce's `Salesforce(username=, password=, security_token=)` or dlt's
`SecurityTokenAuth` starts with. Every other SOAP call answers a SOAP fault (not modelled).

Source: login(), SOAP API Developer Guide
(https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_calls_login.htm) and LoginResult
(https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_calls_login_loginresult.htm);
a failed login is HTTP 500 with an INVALID_LOGIN LoginFault.
"""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING
from xml.etree import ElementTree
from xml.sax.saxutils import escape

from ingest.sandbox.core.http import Request, Response
from ingest.sandbox.salesforce.models import INTEGRATION_USER_ID, ORG_ID

if TYPE_CHECKING:
    from ingest.sandbox.salesforce.responses import SalesforceApi

_XML = {"Content-Type": "text/xml;charset=UTF-8"}
_ENVELOPE = (
    '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"'
    ' xmlns="urn:partner.soap.sforce.com" xmlns:sf="urn:fault.partner.soap.sforce.com"'
    ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>'
)


def soap_fault(code: str, message: str, fault_type: str = "UnexpectedErrorFault") -> Response:
    body = (
        f"<soapenv:Fault><faultcode>sf:{code}</faultcode><faultstring>{code}: {escape(message)}</faultstring>"
        f'<detail><sf:{fault_type} xsi:type="sf:{fault_type}"><sf:exceptionCode>{code}</sf:exceptionCode>'
        f"<sf:exceptionMessage>{escape(message)}</sf:exceptionMessage></sf:{fault_type}></detail></soapenv:Fault>"
    )
    return Response(500, _ENVELOPE.format(body=body).encode(), dict(_XML))


def _login_fields(body: bytes) -> tuple[str | None, str | None]:
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        return None, None
    found = {element.tag.rsplit("}", 1)[-1]: (element.text or "") for element in root.iter()}
    return found.get("username"), found.get("password")


def login(api: SalesforceApi, request: Request) -> Response:
    username, password = _login_fields(request.body)
    credentials = api.sandbox.credentials
    accepted = (
        credentials.salesforce_password,
        credentials.salesforce_password + credentials.salesforce_security_token,
    )
    if not (
        username is not None
        and password is not None
        and hmac.compare_digest(username.encode(), credentials.salesforce_username.encode())
        and any(hmac.compare_digest(password.encode(), ok.encode()) for ok in accepted)
    ):
        message = "Invalid username, password, security token; or user locked out."
        return soap_fault("INVALID_LOGIN", message, "LoginFault")
    version = request.params["version"]
    server = f"{request.base_url}/services/Soap/u/{version}/{ORG_ID[:15]}"
    result = (
        f"<loginResponse><result><metadataServerUrl>{request.base_url}/services/Soap/m/{version}/{ORG_ID[:15]}"
        f"</metadataServerUrl><passwordExpired>false</passwordExpired><sandbox>true</sandbox>"
        f"<serverUrl>{server}</serverUrl><sessionId>{api.issue_session()}</sessionId>"
        f"<userId>{INTEGRATION_USER_ID}</userId><userInfo><organizationId>{ORG_ID}</organizationId>"
        f"<userName>{escape(credentials.salesforce_username)}</userName></userInfo></result></loginResponse>"
    )
    return Response(200, _ENVELOPE.format(body=result).encode(), dict(_XML))


def not_modelled(api: SalesforceApi, request: Request) -> Response:
    return soap_fault(
        "UNSUPPORTED_CLIENT", "The sandbox models the SOAP API's login() only; use the REST API"
    )
