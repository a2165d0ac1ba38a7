from django.apps import AppConfig


class SeedConfig(AppConfig):
    name = "payportal.seed"
    label = "seed"
    verbose_name = "Seed data"
