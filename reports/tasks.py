from celery import shared_task

from reports.services.exports import export_run, exports_prune, exports_resume


@shared_task(acks_late=True)
def report_export_task(job_id: int) -> str:
    return export_run(job_id)


@shared_task
def report_exports_resume() -> int:
    return exports_resume()


@shared_task
def report_exports_prune() -> int:
    return exports_prune()
