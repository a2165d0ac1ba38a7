from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payportal.payments"
    label = "payments"
