# Django date-filter letters (https://docs.djangoproject.com/en/5.2/ref/templates/builtins/#date).
# Every name here is defined in each language's module, so `get_format(name)` never falls back to the name itself.
DATE_FORMAT = "j M Y"  # 9 Dec 2026
DATETIME_FORMAT = "j M Y, H:i"  # 9 Dec 2026, 14:00
SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
TIME_FORMAT = "H:i"
MONTH_DAY_FORMAT = "j M"  # 9 Dec
YEAR_MONTH_FORMAT = "F Y"
FIRST_DAY_OF_WEEK = 1  # Monday
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3

# The site's own names.
LONG_DATE_FORMAT = "j F Y"  # 9 December 2026
DAY_FORMAT = "l j F"  # Wednesday 9 December
DAY_TIME_FORMAT = "l j F, H:i"  # Wednesday 9 December, 14:00
LONG_DAY_TIME_FORMAT = "l j F Y, H:i"  # Wednesday 9 December 2026, 14:00
SHORT_DAY_TIME_FORMAT = "D j M, H:i"  # Wed 9 Dec, 14:00
MONTH_DAY_TIME_FORMAT = "j M, H:i"  # 9 Dec, 14:00
