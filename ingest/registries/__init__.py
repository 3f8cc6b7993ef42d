"""The public US provider registries: CMS NPPES (every NPI) and CMS Order and Referring (who may order
home health, hospice, DME), loaded as typed tables into `raw_registries` of the warehouse."""
