from django.urls import path

from activities import views

app_name = "activities"
urlpatterns = [
    path("activities/", views.ActivityListView.as_view(), name="activity_list"),
    path("activities/new/", views.ActivityFormView.as_view(), name="activity_new"),
    path("activities/<str:id>/edit/", views.ActivityFormView.as_view(), name="activity_edit"),
    path("tasks/", views.TaskListView.as_view(), name="task_list"),
    path("tasks/new/", views.TaskFormView.as_view(), name="task_new"),
    path("tasks/<str:id>/edit/", views.TaskFormView.as_view(), name="task_edit"),
    path("tasks/<str:id>/complete/", views.TaskCompleteView.as_view(), name="task_complete"),
    path("activities/export.csv", views.ActivityExportView.as_view(), name="activity_export"),
    path("tasks/export.csv", views.TaskExportView.as_view(), name="task_export"),
]
