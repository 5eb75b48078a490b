"""Flask-WTF forms of the account pages (each carries its CSRF token)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp

_TOTP = [DataRequired(), Regexp(r"^\s*\d{6}\s*$", message="Enter the 6-digit code from your authenticator app.")]


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=256)])


class SetupForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(min=3, max=64)])
    email = EmailField("Email", validators=[DataRequired(), Length(max=255)])
    password = PasswordField("Password", validators=[DataRequired()])
    confirm = PasswordField("Repeat password", validators=[DataRequired(), EqualTo("password", "Passwords do not match.")])


class PasswordChangeForm(FlaskForm):
    old_password = PasswordField("Current password", validators=[DataRequired()])
    new_password = PasswordField("New password", validators=[DataRequired()])
    confirm = PasswordField("Repeat new password",
                            validators=[DataRequired(), EqualTo("new_password", "Passwords do not match.")])


class ResetPasswordForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=64)])
    code = StringField("Authenticator code", validators=_TOTP)
    new_password = PasswordField("New password", validators=[DataRequired()])
    confirm = PasswordField("Repeat new password",
                            validators=[DataRequired(), EqualTo("new_password", "Passwords do not match.")])


class TotpConfirmForm(FlaskForm):
    code = StringField("Code from your authenticator app", validators=_TOTP)


class ConfirmForm(FlaskForm):
    """A bare form for POST buttons (logout, start TOTP enrollment): just the CSRF token."""


class RegenerateKeyForm(FlaskForm):
    confirm = BooleanField("I understand that the current key stops working at once",
                           validators=[DataRequired(message="Tick the box to confirm.")])
