from celery import shared_task

from agora.events import services


@shared_task
def send_promotion_email(rsvp_id: int) -> bool:
    return services.email_promotion(rsvp_id=rsvp_id)


@shared_task
def send_event_reminders() -> int:
    return services.send_reminders()
