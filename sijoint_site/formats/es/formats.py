"""Dates and times on the Spanish pages, as US Spanish speakers write them: "21 de septiembre de 2026",
"2:05 p. m.", and numbers with a decimal point, "0.3 millas" (Django's own Spanish formats use a 24-hour clock and
a decimal comma, both less usual in the United States).
Templates show dates with `date:"DATE_FORMAT"`, so each language gets its own format."""

DATE_FORMAT = r"j \d\e F \d\e Y"
SHORT_DATE_FORMAT = r"j \d\e F \d\e Y"
DATETIME_FORMAT = r"j \d\e F \d\e Y, g:i a T"
SHORT_DATETIME_FORMAT = r"j \d\e F \d\e Y, g:i a T"
TIME_FORMAT = "g:i a"
MONTH_DAY_FORMAT = r"j \d\e F"
YEAR_MONTH_FORMAT = r"F \d\e Y"
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
