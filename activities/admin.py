# The task admin lives in its own module (activities/task_admin.py); importing it registers it.
from activities import task_admin  # noqa: F401
