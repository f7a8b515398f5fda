# Django date-filter letters; the same names as groupsite/formats/en_GB. Chinese writes year, month, day, then
# the weekday ("2026年12月9日 星期三 14:00"); weekday names come from Django's zh_Hans catalogue.
DATE_FORMAT = "Y年n月j日"
DATETIME_FORMAT = "Y年n月j日 H:i"
SHORT_DATE_FORMAT = "Y/m/d"
SHORT_DATETIME_FORMAT = "Y/m/d H:i"
TIME_FORMAT = "H:i"
MONTH_DAY_FORMAT = "n月j日"
YEAR_MONTH_FORMAT = "Y年n月"
FIRST_DAY_OF_WEEK = 1
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3

LONG_DATE_FORMAT = "Y年n月j日"
DAY_FORMAT = "n月j日 l"  # 12月9日 星期三
DAY_TIME_FORMAT = "n月j日 l H:i"  # 12月9日 星期三 14:00
LONG_DAY_TIME_FORMAT = "Y年n月j日 l H:i"  # 2026年12月9日 星期三 14:00
SHORT_DAY_TIME_FORMAT = "n月j日 D H:i"  # 12月9日 周三 14:00
MONTH_DAY_TIME_FORMAT = "n月j日 H:i"
