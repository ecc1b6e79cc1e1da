from django.urls import path

from deals import views

app_name = "deals"
urlpatterns = [
    path("deals/", views.DealListView.as_view(), name="deal_list"),
    path("deals/export.csv", views.DealExportView.as_view(), name="deal_export"),
    path("pipelines/", views.PipelineBoardView.as_view(), name="pipeline_board"),
    path("pipelines/<str:pipe_id>/", views.PipelineBoardView.as_view(), name="pipeline_detail"),
    path(
        "pipelines/<str:pipe_id>/stages/<str:stage_id>/cards/",
        views.PipelineColumnView.as_view(),
        name="pipeline_cards",
    ),
]
