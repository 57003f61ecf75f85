from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "supervision"
    verbose_name = "Supervision: team CME policy, funding and leave requests, equity, reminders"
