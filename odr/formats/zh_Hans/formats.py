# Django's zh_Hans writes the month with a leading zero and the day without ("02月8日"); its
# DATE_FORMAT ("Y年n月j日", 2027年2月8日) pads neither, and neither does this.
MONTH_DAY_FORMAT = "n月j日"  # 2月8日
