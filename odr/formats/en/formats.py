# Django's English writes a day of this year "February 8" but a whole date "Feb. 8, 2027": the
# same words with the year, as a day of another year is shown beside days of this one.
DATE_FORMAT = "F j, Y"  # February 8, 2027
