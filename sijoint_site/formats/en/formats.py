"""One US date format everywhere (the admin's lists, history, sign-off, conflict screens): "September 21, 2026",
and times with the site's time zone named: "September 21, 2026, 2:05 p.m. CDT". Django's own English formats
("Sept. 21, 2026", "11/22/2026") take precedence over settings.DATE_FORMAT, so the project's formats live here
(settings.FORMAT_MODULE_PATH). What is typed into a date box is unchanged: DATE_INPUT_FORMATS stay Django's."""

DATE_FORMAT = "F j, Y"
SHORT_DATE_FORMAT = "F j, Y"
DATETIME_FORMAT = "F j, Y, P T"
SHORT_DATETIME_FORMAT = "F j, Y, P T"
TIME_FORMAT = "P"
MONTH_DAY_FORMAT = "F j"
YEAR_MONTH_FORMAT = "F Y"
