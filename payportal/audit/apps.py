from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "payportal.audit"
    label = "audit"
