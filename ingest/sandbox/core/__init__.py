"""The sandbox's CRM-neutral core: HTTP types, the app and its routing, faults, the control surface,
listeners, the org store and its clock. It knows no CRM: each CRM package mounts its API on a `Sandbox`
with `Sandbox.mount` and registers its routes (moto's layout: a core, then one package per service).
"""
