from django.apps import AppConfig


class WorkspaceConfig(AppConfig):
    """The top layer: what spans every app (organization provisioning, the demo data of
    ``make run``, and later the web UI's shell, Today and global search)."""

    name = "rexcrm.workspace"
    label = "workspace"
    verbose_name = "Workspace"
