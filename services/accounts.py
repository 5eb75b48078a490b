"""Accounts: creating users, signing in and out, changing and resetting passwords.

Sign-in failures never say whether the username exists. Every change a user would want to know about
is written to the audit log in the same transaction as the change.
"""
from __future__ import annotations

import re

from database import db
from database import users as store
from database.users import User
from services import audit, broker_session, passwords, totp
from utils.errors import Conflict, Forbidden, InvalidInput, NotFound
from utils.logging import get_logger

log = get_logger(__name__)

USERNAME_PATTERN = re.compile(r"[A-Za-z0-9_.-]{3,64}")
EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def validate_new_user(username: str, email: str, password: str) -> None:
    if not USERNAME_PATTERN.fullmatch(username):
        raise InvalidInput("Username must be 3-64 characters: letters, digits, '.', '_' or '-'.", field="username")
    if not EMAIL_PATTERN.fullmatch(email) or len(email) > 255:
        raise InvalidInput("Email must look like name@example.com.", field="email")
    passwords.check_policy(password, username)


def create_user(username: str, email: str, password: str, *, admin: bool = True, force: bool = False) -> User:
    """Create a user (an admin unless told otherwise). A second admin needs `force`."""
    username, email = username.strip(), email.strip()
    validate_new_user(username, email, password)
    if store.find_by_username(username) is not None:
        raise Conflict(f"User {username!r} already exists.", field="username")
    if admin and store.admin_exists() and not force:
        raise Conflict("An admin already exists; this server is meant for one admin (use --force to add another).")
    user = User(username=username, email=email, password_hash=passwords.hash_password(password), is_admin=admin)
    db.session.add(user)
    db.session.commit()
    return user


def setup_needed() -> bool:
    return store.count() == 0


def authenticate(username: str, password: str) -> User | None:
    """The user when the password is right (rehashing it if the hash parameters changed), else None."""
    user = store.find_by_username(username.strip())
    if user is None:
        log.warning("Failed sign-in for an unknown username")  # never logged: it may be a mistyped password
        passwords.burn_verify_time()
        return None
    matches, needs_rehash = passwords.verify(user.password_hash, password)
    if not matches:
        log.warning("Failed sign-in for user id %s", user.id)
        audit.record(user.id, "login_failed")
        return None
    if needs_rehash:
        user.password_hash = passwords.hash_password(password)
    audit.record(user.id, "login", commit=False)
    db.session.commit()
    return user


def logout(user_id: int) -> None:
    """End every browser session of the user and their broker session."""
    user = store.get(user_id)
    if user is None:
        return
    user.session_version += 1  # cookies signed before this no longer match (see web session checks)
    audit.record(user_id, "logout", commit=False)
    db.session.commit()
    if broker_session.disconnect(user_id, reason="user logged out"):
        audit.record(user_id, "broker_disconnected", reason="logout")


def _set_password(user: User, new_password: str, event: str) -> None:
    passwords.check_policy(new_password, user.username)
    user.password_hash = passwords.hash_password(new_password)
    user.session_version += 1  # other browsers signed in with the old password are signed out
    audit.record(user.id, event, commit=False)
    db.session.commit()


def change_password(user_id: int, old_password: str, new_password: str) -> User:
    user = store.get(user_id)
    if user is None or not passwords.verify(user.password_hash, old_password)[0]:
        raise Forbidden("The current password is wrong.", field="old_password")
    _set_password(user, new_password, "password_changed")
    return user


def set_password(username: str, new_password: str) -> None:
    """Administrative reset (CLI): no old password needed."""
    user = store.find_by_username(username)
    if user is None:
        raise NotFound(f"No user named {username!r}.", field="username")
    _set_password(user, new_password, "password_changed")


def reset_password_with_totp(username: str, code: str, new_password: str) -> None:
    """Reset a forgotten password with the current TOTP code. One error for every failure kind."""
    passwords.check_policy(new_password, username.strip())  # before the code is used up
    user = store.find_by_username(username.strip())
    if user is None or not totp.verify(user, code):
        if user is not None:
            audit.record(user.id, "password_reset_failed")
        raise Forbidden("Username or authenticator code is wrong (or no authenticator is enrolled).")
    _set_password(user, new_password, "password_reset")

