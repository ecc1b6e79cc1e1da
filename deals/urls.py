from django.urls import path

from deals import settings_views, views

app_name = "deals"
urlpatterns = [
    path("deals/", views.DealListView.as_view(), name="deal_list"),
    path("deals/new/", views.DealFormView.as_view(), name="deal_new"),
    path("deals/<str:id>/edit/", views.DealFormView.as_view(), name="deal_edit"),
    path("deals/<str:id>/stage/", views.DealMoveStageView.as_view(), name="deal_move_stage"),
    path("deals/export.csv", views.DealExportView.as_view(), name="deal_export"),
    path("pipelines/", views.PipelineBoardView.as_view(), name="pipeline_board"),
    path("pipelines/<str:pipe_id>/", views.PipelineBoardView.as_view(), name="pipeline_detail"),
    path(
        "pipelines/<str:pipe_id>/stages/<str:stage_id>/cards/",
        views.PipelineColumnView.as_view(),
        name="pipeline_cards",
    ),
]

# Settings of pipelines and stages (administrators).
urlpatterns += [
    path("settings/pipelines/", settings_views.PipelinesView.as_view(), name="settings_pipelines"),
    path(
        "settings/pipelines/<str:pipe_id>/", settings_views.PipelineView.as_view(), name="settings_pipeline"
    ),
    path(
        "settings/pipelines/<str:pipe_id>/stages/",
        settings_views.StageAddView.as_view(),
        name="settings_stage_add",
    ),
    path(
        "settings/pipelines/<str:pipe_id>/stages/order/",
        settings_views.StageOrderView.as_view(),
        name="settings_stage_order",
    ),
    path(
        "settings/pipelines/<str:pipe_id>/stages/<str:stage_id>/",
        settings_views.StageUpdateView.as_view(),
        name="settings_stage",
    ),
    path(
        "settings/pipelines/<str:pipe_id>/stages/<str:stage_id>/move/",
        settings_views.StageMoveView.as_view(),
        name="settings_stage_move",
    ),
    path(
        "settings/pipelines/<str:pipe_id>/stages/<str:stage_id>/delete/",
        settings_views.StageDeleteView.as_view(),
        name="settings_stage_delete",
    ),
]
