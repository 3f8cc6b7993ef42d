{#- How a registry record and a CRM record are compared (issue 15): both sides go through these same
    expressions, so a CRM's "Lakeside Family Practice, P.C. / 100 Main Street, Ste. 200 / 60611-3456"
    and NPPES's "LAKESIDE FAMILY PRACTICE PC / 100 MAIN ST SUITE 200 / 606113456" meet on one key.
    Plain Jinja only (no dbt context): tests/unit/test_registry_normaliser.py renders this file with
    jinja2 and runs the SQL on DuckDB, so the rules below are unit-tested where they live. The two
    DuckDB-only constructs (strip_accents, list lambdas) go through adapter.dispatch when dbt renders
    (`adapter` is defined), else (plain jinja2) their DuckDB SQL. -#}

{#- Letters, digits, '#' and '&', upper case, accents off: the base of every key. Dots and
    apostrophes go without a space ("P.C." -> "PC", "O'Brien" -> "OBRIEN"), other punctuation splits. -#}
{% macro registry_words(column) -%}
    trim(regexp_replace(
        translate(upper({{ registry_strip_accents("coalesce(cast(" ~ column ~ " as varchar), '')") }}), '.''’', ''),
        '[^A-Z0-9#&]+', ' ', 'g'))
{%- endmacro %}

{#- An address line as a key: unit designator and what follows dropped, suffixes abbreviated. -#}
{% macro normalised_address(column) -%}
    {#- USPS Publication 28 (https://pe.usps.com/text/pub28/): C1 street suffix abbreviations, and the
        directionals of section 233; the common ones, both spellings to one. -#}
    {%- set street_words = {
        'STREET': 'ST', 'AVENUE': 'AVE', 'AV': 'AVE', 'ROAD': 'RD', 'DRIVE': 'DR', 'BOULEVARD': 'BLVD',
        'LANE': 'LN', 'PARKWAY': 'PKWY', 'HIGHWAY': 'HWY', 'COURT': 'CT', 'PLACE': 'PL', 'CIRCLE': 'CIR',
        'TERRACE': 'TER', 'SQUARE': 'SQ', 'PLAZA': 'PLZ', 'TRAIL': 'TRL', 'EXPRESSWAY': 'EXPY',
        'FREEWAY': 'FWY', 'TURNPIKE': 'TPKE', 'CENTER': 'CTR', 'WAY': 'WAY',
        'NORTH': 'N', 'SOUTH': 'S', 'EAST': 'E', 'WEST': 'W',
        'NORTHEAST': 'NE', 'NORTHWEST': 'NW', 'SOUTHEAST': 'SE', 'SOUTHWEST': 'SW',
    } -%}
    {#- Publication 28, C2 secondary unit designators: the unit is not the location (a practice moving
        from suite 200 to 310 of one building stays where it was), so it and all after it are dropped. -#}
    {%- set unit_designators = ['SUITE', 'STE', 'UNIT', 'APT', 'APARTMENT', 'RM', 'ROOM', 'FL', 'FLOOR',
        'BLDG', 'BUILDING', 'DEPT', 'OFC', 'OFFICE', '#'] -%}
    {%- set spaced = "' ' || replace(" ~ registry_words(column) ~ ", '#', ' # ') || ' '" -%}
    {%- set no_unit = "regexp_replace(" ~ spaced ~ ", '\\s(" ~ unit_designators | join('|') ~ ")\\s.*$', ' ')" -%}
    {#- One pass over the words (a CASE per word), not one regular expression per suffix: this runs over
        the ~9M NPPES rows every build. -#}
    {%- set word_case -%}
        case word
            {%- for long, short in street_words.items() %} when '{{ long }}' then '{{ short }}'{% endfor %}
            else word end
    {%- endset %}
    nullif({{ registry_map_words(no_unit, word_case) }}, '')
{%- endmacro %}

{#- The words of `text` (split on single spaces, empty ones dropped) each mapped by the SQL expression
    `word_case` over `word`, joined by single spaces again, in their order. -#}
{% macro registry_map_words(text, word_case) -%}
    {%- if adapter is defined -%}
        {{ adapter.dispatch('registry_map_words', 'cadence')(text, word_case) }}
    {%- else -%}
        {{ duckdb__registry_map_words(text, word_case) }}
    {%- endif -%}
{%- endmacro %}

{% macro duckdb__registry_map_words(text, word_case) -%}
    array_to_string(list_transform(
        list_filter(string_split({{ text }}, ' '), lambda word: word <> ''),
        lambda word: {{ word_case }}
    ), ' ')
{%- endmacro %}

{#- PostgreSQL: no lambdas; the words as a set (WITH ORDINALITY keeps their order) and back. -#}
{% macro default__registry_map_words(text, word_case) -%}
    array_to_string(array(
        select {{ word_case }}
        from unnest(string_to_array({{ text }}, ' ')) with ordinality as words(word, position)
        where word <> ''
        order by position
    ), ' ')
{%- endmacro %}

{#- Accents off: "São José" -> "Sao Jose". DuckDB: strip_accents (Unicode decomposition, marks
    dropped). PostgreSQL has it only in the `unaccent` extension, which needs CREATE EXTENSION and
    differs from DuckDB (it also rewrites ß, Æ, Ø ...); translate() over the precomposed Latin letters
    instead: the same answer as strip_accents on every letter of U+00C0..U+024F that decomposes
    (generated with Python's unicodedata NFD and checked against DuckDB's strip_accents) except
    Ǣǣ Ǯǯ Ǽǽ Ǿǿ, which PostgreSQL leaves as they are. -#}
{% macro registry_strip_accents(text) -%}
    {%- if adapter is defined -%}
        {{ adapter.dispatch('registry_strip_accents', 'cadence')(text) }}
    {%- else -%}
        {{ duckdb__registry_strip_accents(text) }}
    {%- endif -%}
{%- endmacro %}

{% macro duckdb__registry_strip_accents(text) -%}
    strip_accents({{ text }})
{%- endmacro %}

{% macro default__registry_strip_accents(text) -%}
    translate({{ text }}, 'ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝàáâãäåçèéêëìíîïñòóôõöùúûüýÿĀāĂăĄąĆćĈĉĊċČčĎďĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥĨĩĪīĬĭĮįİĴĵĶķĹĺĻļĽľŃńŅņŇňŌōŎŏŐőŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽžƠơƯưǍǎǏǐǑǒǓǔǕǖǗǘǙǚǛǜǞǟǠǡǦǧǨǩǪǫǬǭǰǴǵǸǹǺǻȀȁȂȃȄȅȆȇȈȉȊȋȌȍȎȏȐȑȒȓȔȕȖȗȘșȚțȞȟȦȧȨȩȪȫȬȭȮȯȰȱȲȳ', 'AAAAAACEEEEIIIINOOOOOUUUUYaaaaaaceeeeiiiinooooouuuuyyAaAaAaCcCcCcCcDdEeEeEeEeEeGgGgGgGgHhIiIiIiIiIJjKkLlLlLlNnNnNnOoOoOoRrRrRrSsSsSsSsTtTtUuUuUuUuUuUuWwYyYZzZzZzOoUuAaIiOoUuUuUuUuUuAaAaGgKkOoOojGgNnAaAaAaEeEeIiIiOoOoRrRrUuUuSsTtHhAaEeOoOoOoOoYy')
{%- endmacro %}

{#- An organisation's (or a person's) name as a key: '&' is AND, a leading THE and the legal form go. -#}
{% macro normalised_name(column) -%}
    {#- Legal-form words at the end of an organisation's name (NPPES's legal business name carries them,
        CRMs mostly do not). -#}
    {%- set legal_suffixes = ['INC', 'INCORPORATED', 'LLC', 'PLLC', 'PC', 'PA', 'LLP', 'LTD', 'CORP',
        'CORPORATION', 'CO', 'SC', 'PLC'] -%}
    {%- set words = "' ' || replace(" ~ registry_words(column) ~ ", '&', ' AND ') || ' '" -%}
    {%- set words = "regexp_replace(" ~ words ~ ", '\\s(AND\\s)+', ' AND ', 'g')" -%}
    {%- set no_the = "regexp_replace(" ~ words ~ ", '^\\s*THE\\s', ' ')" -%}
    {%- set no_form = "regexp_replace(" ~ no_the ~ ", '(\\s(" ~ legal_suffixes | join('|') ~ "))+\\s*$', ' ')" -%}
    nullif(trim(regexp_replace({{ no_form }}, '\s+', ' ', 'g')), '')
{%- endmacro %}

{#- The 5-digit ZIP of a US postal code: '60611', '60611-3456' and NPPES's '606113456' give '60611'. -#}
{% macro zip5(column) -%}
    case
        when length(regexp_replace(coalesce(cast({{ column }} as varchar), ''), '[^0-9]', '', 'g')) in (5, 9)
            then left(regexp_replace(cast({{ column }} as varchar), '[^0-9]', '', 'g'), 5)
    end
{%- endmacro %}

{#- A practice location: normalised address line 1 and ZIP5 (null when either is missing). -#}
{% macro location_key(address_column, postal_column) -%}
    {{ join_location_key(normalised_address(address_column), zip5(postal_column)) }}
{%- endmacro %}

{#- The same from keys already computed (a model that has them as columns computes each only once). -#}
{% macro join_location_key(address_key, zip5_key) -%}
    case when ({{ address_key }}) is not null and ({{ zip5_key }}) is not null
        then ({{ address_key }}) || ' ' || ({{ zip5_key }}) end
{%- endmacro %}
