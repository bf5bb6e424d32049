# "17 sept. 2024": French press abbreviations (Django's `N`, translated), no leading zero.
NEWS_DATE_FORMAT = "j N Y"
NEWS_DATETIME_FORMAT = "j N Y, H:i"
