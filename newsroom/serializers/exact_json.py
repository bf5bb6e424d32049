"""Django's JSON serializer, with times kept to the microsecond.

Django's DjangoJSONEncoder cuts datetimes and times to milliseconds (as JavaScript does), so a
dumpdata/loaddata round trip (and so a backup and restore) would not give back identical rows.
Registered as the "json" format in settings.SERIALIZATION_MODULES. XML keeps microseconds but
cannot hold control characters that editors paste (Word's vertical tab), so JSON it is.
"""

import datetime

from django.core.serializers import json as django_json


class Serializer(django_json.Serializer):
    def _value_from_field(self, obj, field):
        value = field.value_from_object(obj)
        if isinstance(value, datetime.datetime | datetime.time):
            return value.isoformat()
        return super()._value_from_field(obj, field)


Deserializer = django_json.Deserializer
