# core has no models. The module exists so that Django sends this app's
# post_migrate signal, which creates the throttle cache table (apps.py).
