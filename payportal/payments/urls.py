from django.urls import path

from payportal.payments.views import disputes, refunds, transactions

urlpatterns = [
    # Transactions (payments)
    path("transactions/", transactions.payment_list, name="payment_list"),
    path("transactions/export.csv", transactions.payment_export, name="payment_export"),
    path(
        "transactions/<int:payment_id>/",
        transactions.payment_detail,
        name="payment_detail",
    ),
    # Refunds
    path(
        "transactions/<int:payment_id>/refund/",
        refunds.refund_create,
        name="refund_create",
    ),
    path("refunds/", refunds.refund_list, name="refund_list"),
    path("refunds/approvals/", refunds.approval_list, name="approval_list"),
    path(
        "refunds/<int:refund_id>/approve/",
        refunds.refund_approve,
        name="refund_approve",
    ),
    path(
        "refunds/<int:refund_id>/reject/", refunds.refund_reject, name="refund_reject"
    ),
    # Chargebacks (disputes)
    path("chargebacks/", disputes.dispute_list, name="dispute_list"),
    path(
        "chargebacks/<int:dispute_id>/", disputes.dispute_detail, name="dispute_detail"
    ),
    path(
        "chargebacks/<int:dispute_id>/evidence/",
        disputes.dispute_evidence,
        name="dispute_evidence",
    ),
    path(
        "chargebacks/<int:dispute_id>/files/",
        disputes.evidence_file_add,
        name="evidence_file_add",
    ),
    path(
        "chargebacks/<int:dispute_id>/files/<int:file_id>/",
        disputes.evidence_file_download,
        name="evidence_file_download",
    ),
    path(
        "chargebacks/<int:dispute_id>/files/<int:file_id>/remove/",
        disputes.evidence_file_remove,
        name="evidence_file_remove",
    ),
    path(
        "chargebacks/<int:dispute_id>/submit/",
        disputes.dispute_submit,
        name="dispute_submit",
    ),
    path(
        "chargebacks/<int:dispute_id>/accept/",
        disputes.dispute_accept,
        name="dispute_accept",
    ),
]
