"""WSGI middleware of the API: error bodies, auth and microversions."""
