from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "payportal.dashboard"
    label = "dashboard"
