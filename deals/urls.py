from django.urls import path

from deals import views

app_name = "deals"
urlpatterns = [
    path("deals/", views.DealListView.as_view(), name="deal_list"),
    path("deals/new/", views.DealFormView.as_view(), name="deal_new"),
    path("deals/<str:id>/edit/", views.DealFormView.as_view(), name="deal_edit"),
    path("deals/<str:id>/stage/", views.DealMoveStageView.as_view(), name="deal_move_stage"),
    path("pipelines/", views.PipelineBoardView.as_view(), name="pipeline_board"),
    path("pipelines/<str:pipe_id>/", views.PipelineBoardView.as_view(), name="pipeline_detail"),
    path(
        "pipelines/<str:pipe_id>/stages/<str:stage_id>/cards/",
        views.PipelineColumnView.as_view(),
        name="pipeline_cards",
    ),
]
