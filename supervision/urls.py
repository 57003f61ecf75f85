from django.urls import path

from . import views

app_name = "supervision"

urlpatterns = [
    path("", views.team_home, name="team_home"),
    path("<int:team_id>/", views.dashboard, name="dashboard"),
    path("<int:team_id>/export.csv", views.dashboard_csv, name="dashboard_csv"),
    path("<int:team_id>/equity/", views.equity_view, name="equity"),
    path("<int:team_id>/invite/", views.invite, name="invite"),
    path("<int:team_id>/enrol/", views.enrol, name="enrol"),
    path("proposals/<int:proposal_id>/", views.proposal_detail, name="proposal_detail"),
    path("<int:team_id>/members/<int:user_id>/remove/", views.member_remove, name="member_remove"),
    path("<int:team_id>/professions/", views.professions, name="professions"),
    path("<int:team_id>/professions/<int:user_id>/", views.profession_decide, name="profession_decide"),
    path("professions/", views.professions_all, name="professions_all"),
    path("professions/<int:user_id>/", views.profession_decide_any, name="profession_decide_any"),
    path("<int:team_id>/policies/", views.policies, name="policies"),
    path("<int:team_id>/policies/new/", views.policy_edit, name="policy_new"),
    path("<int:team_id>/policies/<int:policy_id>/edit/", views.policy_edit, name="policy_edit"),
    path("policies/<int:policy_id>/document/", views.policy_document, name="policy_document"),
    path("requests/", views.my_requests, name="my_requests"),
    path("requests/new/", views.request_new, name="request_new"),
    path("requests/<int:request_id>/", views.request_detail, name="request_detail"),
    path("requests/<int:request_id>/decide/", views.request_decide, name="request_decide"),
    path("requests/<int:request_id>/withdraw/", views.request_withdraw, name="request_withdraw"),
    path("my-policy/", views.my_policy, name="my_policy"),
    path("reminders/", views.reminder_list, name="reminders"),
    path("reminders/<int:reminder_id>/read/", views.notification_read, name="notification_read"),
    path("reminders/read-all/", views.notifications_read_all, name="notifications_read_all"),
    path("follow-ups/<int:entry_id>/<int:months>/", views.follow_up, name="follow_up"),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation"),
]
