from __future__ import annotations


def can_train(user) -> bool:
    return bool(user is not None and user.is_authenticated)


def can_see_run(user, run) -> bool:
    if not run.private:
        return True
    return bool(
        user is not None and user.is_authenticated and (user.pk == run.owner_id or user.is_staff)
    )


def can_manage_run(user, run) -> bool:
    return bool(
        user is not None and user.is_authenticated and (user.pk == run.owner_id or user.is_staff)
    )


def can_see_model(user, model) -> bool:
    if not model.private:
        return True
    return bool(
        user is not None and user.is_authenticated and (user.pk == model.owner_id or user.is_staff)
    )


def can_share_run(user, run) -> bool:
    """Like a gallery work: a finished public run, shared by any member who can see it."""
    return bool(
        user is not None
        and user.is_authenticated
        and not run.private
        and run.status == run.Status.COMPLETED
    )
