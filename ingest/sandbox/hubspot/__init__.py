"""HubSpot CRM v3 (and v4 association reads), as the sandbox serves it: routes, responses, models, errors."""
