from django.apps import AppConfig


class ProcessorsConfig(AppConfig):
    name = "payportal.processors"
    label = "processors"
