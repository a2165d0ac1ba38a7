from django.apps import AppConfig


class MerchantsConfig(AppConfig):
    name = "payportal.merchants"
    label = "merchants"
