"""Schemathesis hooks for transmem's API: a serializer for the
newline-delimited JSON body of POST /api/v1/units/import (Schemathesis has
none built in, and reports the operation as an error without one)."""
import json

import schemathesis


@schemathesis.serializer("application/x-ndjson")
def ndjson(ctx, value):
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    return (json.dumps(value) + "\n").encode()
