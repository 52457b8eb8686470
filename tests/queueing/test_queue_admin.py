"""Back office for the waiting room: pause and resume admission, queue state per match."""

from core.models import AuditEvent
from queueing import services
from queueing.models import QueueConfig, QueueEntry, QueueStatus
from tests.queueing.factories import make_queue


def join(queue, make_user, count):
    for _ in range(count):
        services.queue_join(match_id=queue.match_id, user=make_user())


def test_a_paused_queue_admits_nobody_and_keeps_places(db, make_user):
    queue = make_queue()
    join(queue, make_user, 3)
    admin = make_user(staff=True, is_superuser=True)

    services.queue_admission_pause(config=queue, paused=True, actor=admin)

    assert services.queue_admit(match=queue.match) == []
    assert QueueEntry.objects.filter(status=QueueStatus.WAITING).count() == 3
    services.queue_admission_pause(config=queue, paused=False, actor=admin)
    assert len(services.queue_admit(match=queue.match)) == 3
    assert list(AuditEvent.objects.filter(object_type="queueing.queueconfig")
                .order_by("id").values_list("action", flat=True)) == [
        "queue.admission_paused", "queue.admission_resumed"]


def test_the_admin_shows_queue_state_and_pauses_with_an_action(admin_client, make_user,
                                                               django_assert_max_num_queries):
    queues = [make_queue(max_open_windows=1) for _ in range(3)]
    join(queues[0], make_user, 4)
    services.queue_admit(match=queues[0].match)

    with django_assert_max_num_queries(12):  # constant: the counts come from one annotation
        page = admin_client.get("/admin/queueing/queueconfig/")

    assert page.status_code == 200
    row = page.context["cl"].result_list.get(pk=queues[0].pk)
    assert (row.n_waiting, row.n_open) == (3, 1)

    admin_client.post("/admin/queueing/queueconfig/", {
        "action": "pause_admission", "_selected_action": [q.pk for q in queues]})

    assert set(QueueConfig.objects.values_list("admission_paused", flat=True)) == {True}
