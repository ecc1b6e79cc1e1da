from django.urls import path

from activities import views

app_name = "activities"
urlpatterns = [
    path("activities/", views.ActivityListView.as_view(), name="activity_list"),
    path("tasks/", views.TaskListView.as_view(), name="task_list"),
    path("activities/export.csv", views.ActivityExportView.as_view(), name="activity_export"),
    path("tasks/export.csv", views.TaskExportView.as_view(), name="task_export"),
]
