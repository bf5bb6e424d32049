# "17 Sep. 2024": the reference site's style.
NEWS_DATE_FORMAT = "d M. Y"
NEWS_DATETIME_FORMAT = "d M. Y H:i"
