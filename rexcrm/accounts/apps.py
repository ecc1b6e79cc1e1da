from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "rexcrm.accounts"
    label = "accounts"
    verbose_name = "Accounts"
