"""The real column layouts of the files CMS publishes, and which of their columns the loaders keep.

NPPES "NPI Downloadable File" (npidata_pfile_YYYYMMDD-YYYYMMDD.csv, monthly full and weekly incremental,
same layout): 330 quoted columns, described in the "NPPES Data Dissemination – Readme" and the
`npidata_pfile_*_fileheader.csv` shipped in each zip (https://download.cms.gov/nppes/NPI_Files.html).
Dates are MM/DD/YYYY; postal codes are 5 or 9 digits without a hyphen; a deactivated NPI keeps only
its NPI and "NPI Deactivation Date" (the readme: "deactivated NPIs ... only the NPI and the deactivation
date are disseminated").

CMS "Order and Referring" (https://data.cms.gov/provider-characteristics/medicare-provider-supplier-
enrollment/order-and-referring): NPI, LAST_NAME, FIRST_NAME and one Y/N column per service a
practitioner is eligible to order or refer for: PARTB, DME, HHA, PMD, HOSPICE.
"""

from __future__ import annotations

TAXONOMY_SLOTS = 15  # "Healthcare Provider Taxonomy Code_1" ... "_15"
OTHER_IDENTIFIER_SLOTS = 50


def _slots(count: int, *names: str) -> list[str]:
    return [f"{name}_{slot}" for slot in range(1, count + 1) for name in names]


_MAILING = "Provider Business Mailing Address"
_PRACTICE = "Provider Business Practice Location Address"
NPPES_HEADER: tuple[str, ...] = (
    "NPI", "Entity Type Code", "Replacement NPI", "Employer Identification Number (EIN)",
    "Provider Organization Name (Legal Business Name)", "Provider Last Name (Legal Name)",
    "Provider First Name", "Provider Middle Name", "Provider Name Prefix Text", "Provider Name Suffix Text",
    "Provider Credential Text", "Provider Other Organization Name",
    "Provider Other Organization Name Type Code",
    "Provider Other Last Name", "Provider Other First Name", "Provider Other Middle Name",
    "Provider Other Name Prefix Text", "Provider Other Name Suffix Text", "Provider Other Credential Text",
    "Provider Other Last Name Type Code",
    "Provider First Line Business Mailing Address", "Provider Second Line Business Mailing Address",
    f"{_MAILING} City Name", f"{_MAILING} State Name", f"{_MAILING} Postal Code",
    f"{_MAILING} Country Code (If outside U.S.)", f"{_MAILING} Telephone Number", f"{_MAILING} Fax Number",
    "Provider First Line Business Practice Location Address",
    "Provider Second Line Business Practice Location Address",
    f"{_PRACTICE} City Name", f"{_PRACTICE} State Name", f"{_PRACTICE} Postal Code",
    f"{_PRACTICE} Country Code (If outside U.S.)", f"{_PRACTICE} Telephone Number", f"{_PRACTICE} Fax Number",
    "Provider Enumeration Date", "Last Update Date", "NPI Deactivation Reason Code", "NPI Deactivation Date",
    "NPI Reactivation Date", "Provider Gender Code", "Authorized Official Last Name",
    "Authorized Official First Name", "Authorized Official Middle Name",
    "Authorized Official Title or Position", "Authorized Official Telephone Number",
    *_slots(TAXONOMY_SLOTS, "Healthcare Provider Taxonomy Code", "Provider License Number",
            "Provider License Number State Code", "Healthcare Provider Primary Taxonomy Switch"),
    *_slots(OTHER_IDENTIFIER_SLOTS, "Other Provider Identifier", "Other Provider Identifier Type Code",
            "Other Provider Identifier State", "Other Provider Identifier Issuer"),
    "Is Sole Proprietor", "Is Organization Subpart", "Parent Organization LBN", "Parent Organization TIN",
    "Authorized Official Name Prefix Text", "Authorized Official Name Suffix Text",
    "Authorized Official Credential Text",
    *_slots(TAXONOMY_SLOTS, "Healthcare Provider Taxonomy Group"),
    "Certification Date",
)  # fmt: skip

# The NPPES columns kept, by raw column name (the rest of the 330 are never materialised).
NPPES_COLUMNS: dict[str, str] = {
    "npi": "NPI",
    "entity_type_code": "Entity Type Code",
    "organization_name": "Provider Organization Name (Legal Business Name)",
    "last_name": "Provider Last Name (Legal Name)",
    "first_name": "Provider First Name",
    "credential": "Provider Credential Text",
    "address_line_1": "Provider First Line Business Practice Location Address",
    "address_line_2": "Provider Second Line Business Practice Location Address",
    "city": f"{_PRACTICE} City Name",
    "state": f"{_PRACTICE} State Name",
    "postal_code": f"{_PRACTICE} Postal Code",
    "last_update_date": "Last Update Date",
    "deactivation_date": "NPI Deactivation Date",
    "reactivation_date": "NPI Reactivation Date",
}
NPPES_DATE_COLUMNS = ("last_update_date", "deactivation_date", "reactivation_date")
TAXONOMY_CODE = "Healthcare Provider Taxonomy Code_{slot}"
PRIMARY_SWITCH = "Healthcare Provider Primary Taxonomy Switch_{slot}"
NPPES_REQUIRED: tuple[str, ...] = (
    *NPPES_COLUMNS.values(),
    *(TAXONOMY_CODE.format(slot=s) for s in range(1, TAXONOMY_SLOTS + 1)),
    *(PRIMARY_SWITCH.format(slot=s) for s in range(1, TAXONOMY_SLOTS + 1)),
)

ORDER_REFERRING_HEADER: tuple[str, ...] = (
    "NPI",
    "LAST_NAME",
    "FIRST_NAME",
    "PARTB",
    "DME",
    "HHA",
    "PMD",
    "HOSPICE",
)
ORDER_REFERRING_FLAGS: tuple[str, ...] = ("PARTB", "DME", "HHA", "PMD", "HOSPICE")
