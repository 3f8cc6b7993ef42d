"""Salesforce REST, as the sandbox serves it: routes, responses, models, errors."""
